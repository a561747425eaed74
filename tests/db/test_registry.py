"""The models registry above the domains: every table in it, sorted; the data layer refuses a partial set; who
acts is read from the session."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import fangkong.models
from fangkong.db import registry, scoping
from fangkong.db.core import Base
from fangkong.db.scope import SCOPE_KEY
from fangkong.models import Person


def test_every_mapped_class_is_in_the_registry_sorted():
    mapped = {m.class_.__name__ for m in Base.registry.mappers}
    listed = [n for n in fangkong.models.__all__ if n != "Base"]
    assert set(listed) == mapped
    assert fangkong.models.__all__ == sorted(fangkong.models.__all__)
    assert set(registry.tables()) == {m.local_table.name for m in Base.registry.mappers}


def test_the_data_layer_refuses_before_the_registry_is_complete(monkeypatch):
    monkeypatch.setattr(registry, "_complete", False)
    with pytest.raises(RuntimeError, match="fangkong.models"):
        registry.tables()
    with pytest.raises(RuntimeError, match="fangkong.models"):
        registry.sorted_tables()


def test_a_scoped_session_without_rules_refuses_to_query(monkeypatch, sqlite_env):
    from fangkong.db.core import get_engine

    assert "person" in scoping.RULES  # given by the registry
    monkeypatch.setattr(scoping, "RULES", {})
    with Session(get_engine()) as session:
        session.info[SCOPE_KEY] = "1401"
        with pytest.raises(RuntimeError, match="no jurisdiction rules"):
            session.scalars(select(Person)).all()
        session.info.pop(SCOPE_KEY)
        assert session.scalars(select(Person)).all() == []  # unscoped sessions (CLI, jobs) need no rules


def test_who_acts_is_read_from_the_session():
    from fangkong.db.scope import Principal, acting, bind

    assert acting(Session()) == "system"  # a job bound to nobody
    assert acting(bind(Session(), None, actor="李分析")) == "李分析"  # the CLI's --by or operator
    assert acting(bind(Session(), Principal(username="wang", role="admin", prefix=None))) == "wang"


def test_acting_as_names_a_system_step_only_where_nobody_acts():
    from fangkong.db.scope import acting, acting_as, bind

    s = Session()
    with acting_as(s, "citizen-sign-in"):
        assert acting(s) == "citizen-sign-in"
    assert acting(s) == "system"  # restored: the rest of the unit of work is unchanged
    signed_in = bind(Session(), None, actor="wang")
    with acting_as(signed_in, "citizen-sign-in"):
        assert acting(signed_in) == "wang"  # a signed-in user or a CLI operator is kept
    assert acting(signed_in) == "wang"
