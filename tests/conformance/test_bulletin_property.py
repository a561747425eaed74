"""Property (issue 23): whatever happens after day D (cases declared and traced, zones approved, measures ended),
the bulletin of D printed again is the text issued, and counting D again from the records' history gives the
figures issued."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders.records import wipe_records
from builders.zones import traced_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fangkong import flows
from fangkong.cases import service as case_service
from fangkong.db.scope import acting_as
from fangkong.errors import FangkongError
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.measures.obligations import end_obligation
from fangkong.protocol.edition import load_edition
from fangkong.reports import issued
from fangkong.settings import get_settings
from fangkong.zones import service as zone_service

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")
DAY = date(2022, 3, 12)

#: (kind, hours after D 24:00, which person or record)
EVENT = st.tuples(st.sampled_from(["case", "end_measure", "approve"]), st.integers(1, 200), st.integers(2, 6))


def at(*args):
    return datetime(*args, tzinfo=TZ)


def _apply(s, kind: str, hours: int, which: int) -> None:
    when = at(2022, 3, 13) + timedelta(hours=hours)
    try:
        if kind == "case":
            case = case_service.declare_case(s, f"P{which:05d}", sampled_at=when - timedelta(hours=2), now=when)
            flows.respond(s, get_settings(), case, now=when + timedelta(minutes=30))
        elif kind == "end_measure":
            live = list(s.scalars(select(Measure).where(Measure.ended_at.is_(None)).order_by(Measure.id)))
            if live:
                end_obligation(s, live[which % len(live)], at=when, reason="released")
        else:
            for z in zone_service.list_zones(s, status="proposed"):
                with acting_as(s, "王指挥"):
                    zone_service.approve(s, z, edition=E9, tz=TZ, now=when)
    except FangkongError:
        pass  # a refused event (already a case, ...) changes nothing


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(EVENT, min_size=1, max_size=5), st.booleans())
def test_property_a_past_bulletin_does_not_change_with_what_happens_after(sqlite_env, tmp_path_factory, events,
                                                                           approve_on_d):
    wipe_records()
    traced_case(tmp_path_factory.mktemp("city"))
    if approve_on_d:
        with unit_of_work(actor="王指挥") as s:
            for z in zone_service.list_zones(s):
                zone_service.approve(s, z, edition=E9, tz=TZ, now=at(2022, 3, 12, 9))
    with unit_of_work(actor="指挥部") as s:
        first = issued.issue(s, DAY, tz=TZ, now=at(2022, 3, 13, 8))
        text, figures = first.text_zh, first.figures
    for kind, hours, which in sorted(events, key=lambda e: e[1]):
        with unit_of_work() as s:
            _apply(s, kind, hours, which)
    with unit_of_work() as s:
        assert issued.shown(s, DAY, tz=TZ).text == text
        again = issued.shown(s, DAY, tz=TZ, draft=True).figures.as_dict()
    assert again == figures
