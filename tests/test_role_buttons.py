"""Buttons appear only where the role may act (issue 25): the approve button for who may approve zones, the
verifier's outcome buttons for who may record them; decided by the one policy table (auth.web.may)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace as NS

import pytest

import fangkong.zones.web  # noqa: F401 - registers the zone rows' zone_condition filter (run alone, nothing else does)
from fangkong.auth.web import may
from fangkong.db.scope import Principal, reset_principal, set_principal
from fangkong.kit.webkit import templates
from fangkong.protocol.roles import permissions_of

NOW = datetime(2022, 3, 11, 8, tzinfo=UTC)


def _as(role: str):
    return set_principal(Principal(username=role, role=role, prefix=None, permissions=permissions_of(role)))


def _render(name: str, role: str, **context) -> str:
    token = _as(role)
    try:
        return templates.get_template(name).render(lang="zh", **context)
    finally:
        reset_principal(token)


@pytest.mark.parametrize(("role", "shown"), [("commander", True), ("admin", True), ("epidemiologist", False),
                                             ("analyst", False)])
def test_the_approve_button_only_for_who_may_approve(role, shown):
    zone = NS(zone_no="Z0001", name="x", case=None, level="sealed", places=[], approved_at=None, proposed_at=NOW,
              status="proposed", approved_by=None)
    html = _render("zone_row.html", role, r=NS(z=zone, residents=None, step=None))
    assert ('class="approve"' in html) is shown


@pytest.mark.parametrize(("role", "shown"), [("verifier", True), ("commander", False), ("isolation", False)])
def test_the_outcome_buttons_only_for_who_may_record_them(role, shown):
    task = NS(id=7, person=None, case=None, note="", status="open", version=1, due_at=NOW, done_at=None,
              done_by=None)
    html = _render("verify_row.html", role, r=NS(task=task, category=None, late_min=0, span="1h"), community="1",
                   error=None, oob=False)
    assert ('name="outcome"' in html) is shown


def test_may_follows_the_policy_table_and_refuses_the_anonymous():
    token = _as("lab")
    try:
        assert may("POST", "/testing/anything") and not may("POST", "/zones/Z1/approve")
    finally:
        reset_principal(token)
    assert not may("GET", "/")
