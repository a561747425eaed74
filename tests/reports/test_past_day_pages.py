"""A past day on the pages (issue 25's day control): /risk-persons shows the measure in force at that day's 24:00,
the overview lists the cases known by then, /me shows the citizen's code, check-in and results as of then, and
/isolation counts the rooms, people and beds held then, each checked against the records' history (the same
pages without a day show the present). Real HTTP, the test_flow city traced on 2022-03-11 21:00."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from builders.risk import traced_city
from sqlalchemy import select
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.cases import service as case_service
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures import service as measures
from fangkong.measures.checkins import service as checkins
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import Measure
from fangkong.measures.sites import service as sites
from fangkong.people.lookup import get_person

TZ = ZoneInfo("Asia/Shanghai")
DAY1 = "2022-03-12"   # the past day the pages are asked for; what follows happens on 03-12 and 03-13


def _at(day: int, hour: int) -> datetime:
    return datetime(2022, 3, day, hour, tzinfo=TZ)


def _measure(s, person_id: str) -> Measure:
    return s.scalar(select(Measure).where(Measure.person_fk == get_person(s, person_id).id,
                                          Measure.ended_at.is_(None)).order_by(Measure.id))


def _history(tmp_path) -> dict:
    """The traced city, then: P00004's measure escalated to centralized isolation on 03-13; P00002 given a room on
    03-12, arriving on 03-13; P00004 a room on 03-13; the first case admitted to hospital on 03-13; P00003 checked in
    on 03-12 and his measure withdrawn on 03-13; a second case (P00007) declared on 03-13."""
    first = traced_city(tmp_path / "city")
    with unit_of_work() as s, acting_as(s, "test"):
        before = _measure(s, "P00004").kind
        escalated = lifecycle.escalate(s, _measure(s, "P00004"), now=_at(13, 10), reason="home unsuitable")
        site = sites.add_site(s, "S1", name="隔离点一", jurisdiction="140105001001", rooms=3)
        sites.assign_room(s, _measure(s, "P00002"), site, "001", now=_at(12, 10))
        sites.assign_room(s, escalated, site, "002", now=_at(13, 11))
        sites.arrive(s, get_person(s, "P00002"), at=_at(13, 8))
        h = hospitals.add_hospital(s, "H1", name="定点医院", jurisdiction="140105", beds=10)
        hospitals.admit(s, case_service.get_case(s, first), h, at=_at(13, 9))
        m3 = _measure(s, "P00003")
        checkins.record(s, m3, temperature=36.5, symptoms=[], at=_at(12, 9), tz=TZ)
        measures.withdraw(s, m3, at=_at(13, 9), reason="someone else")
        second = case_service.declare_case(s, "P00007", sampled_at=_at(13, 7), now=_at(13, 12)).case_no
    return {"first": first, "second": second, "before": before}


def _board(client, **params) -> dict[str, str]:
    html = client.get("/risk-persons", params=params).text
    return dict(re.findall(r'data-person="(P\d+)" data-measure="([a-z_]*)"', html))


def _risk_persons(client, h) -> None:
    """/risk-persons: the measure in force at 03-12 24:00 (before the escalation), centralized now."""
    then, now = _board(client, day=DAY1), _board(client)
    assert then["P00004"] == h["before"] != "centralized_isolation" and now["P00004"] == "centralized_isolation"
    assert then["P00003"] and now["P00003"] == ""        # withdrawn on 03-13: in force on 03-12, none now
    assert then["P00002"] == now["P00002"] == "centralized_isolation"


def _overview(client, h) -> None:
    """The overview's latest cases: those known by the day's end."""
    listed = lambda html: set(re.findall(r'<tr data-case="(C\d+)"', html))  # noqa: E731
    assert listed(client.get("/", params={"day": DAY1}).text) == {h["first"]}
    assert listed(client.get("/").text) == {h["first"], h["second"]}


def _isolation(client, h) -> None:
    """/isolation: rooms held, people assigned and arrived, hospital beds used, cases in hospital, then and now."""
    def figures(**params) -> tuple:
        html = client.get("/isolation", params=params).text
        row = re.search(r'<tr data-site="S1">(.*?)</tr>', html, re.S).group(1)
        occupied = int(re.search(r'data-occupied="(\d+)"', row).group(1))
        free = int(re.search(r'data-free="(\d+)"', row).group(1))
        persons, arrived = map(int, re.search(r'data-persons="(\d+)" data-arrived="(\d+)"', row).groups())
        used = int(re.search(r'<tr data-hospital="H1">.*?data-used="(\d+)"', html, re.S).group(1))
        active = int(re.search(r'<span id="active-cases">(\d+)</span>', html).group(1))
        return occupied, free, persons, arrived, used, active
    assert figures(day=DAY1) == (1, 2, 1, 0, 0, 1)     # P00002 assigned, not arrived; nobody in hospital
    assert figures() == (2, 1, 2, 1, 1, 2)


def _me(client, h) -> None:
    """/me: P00003's colour, check-in and measure as of 03-12's end; green and nothing to check in now."""
    me = client.client_for("citizen", person="P00003")
    colour = lambda page: re.search(r'id="my-code" data-colour="(\w+)"', page).group(1)  # noqa: E731
    page = me.get("/me", params={"day": DAY1}).text
    assert colour(page) != "green" and 'data-state="done"' in page and "/checkin/" not in page
    page = me.get("/me").text
    assert colour(page) == "green" and 'data-state="none"' in page
    # the day before the trace: no measure, nothing to check in; the trace's day: one not done that day
    page = me.get("/me", params={"day": "2022-03-10"}).text
    assert colour(page) == "green" and 'data-state="none"' in page
    assert 'data-state="missed"' in me.get("/me", params={"day": "2022-03-11"}).text


@pytest.mark.parametrize("check", [_risk_persons, _overview, _isolation, _me], ids=lambda f: f.__name__[1:])
def test_a_past_day_shows_the_records_as_of_its_end(server, tmp_path, check):  # noqa: F811 - the fixture
    check(server, _history(tmp_path))
