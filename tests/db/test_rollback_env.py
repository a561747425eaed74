"""The rollback_env fixture: a test's commits are SAVEPOINTs inside one transaction that is rolled back at its end,
so the next test finds the run's store empty; a unit of work that fails rolls back to its savepoint only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Venue

pytestmark = pytest.mark.both_stores


def venues() -> list[str]:
    with unit_of_work() as s:
        return list(s.scalars(select(Venue.venue_id).order_by(Venue.venue_id)))


def add(venue_id: str) -> None:
    with unit_of_work() as s:
        s.add(Venue(venue_id=venue_id, name=venue_id, kind="shop", lat=37.87, lon=112.55, community="140105001001"))


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_finds_the_store_empty_whatever_the_one_before_committed(rollback_env, turn):
    assert venues() == []
    add(f"V-{turn}")
    assert venues() == [f"V-{turn}"]   # committed: a later unit of work sees it


def test_a_failed_unit_of_work_undoes_itself_and_nothing_before_it(rollback_env):
    add("KEPT")
    with pytest.raises(RuntimeError), unit_of_work() as s:
        s.add(Venue(venue_id="LOST", name="x", kind="shop", lat=0, lon=0, community="140105001001"))
        s.flush()
        raise RuntimeError("the command fails after writing")
    assert venues() == ["KEPT"]
    with unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Venue)) == 1
