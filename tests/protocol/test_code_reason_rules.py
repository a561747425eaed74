"""protocol.obligations (issue 27): the rules the ORM services and the plain read of `codes show` share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace as Row
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.obligations import (
    case_obligations,
    measure_in_force,
    measure_obligation,
    obligation_reasons,
    pending_test_reason,
    zone_reasons,
)

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2022, 3, 11, 12, tzinfo=UTC)
H = timedelta(hours=1)


def _m(start=-10, end=10, ended=None, needs=False, **kw):
    return Row(id=1, category="close", kind="centralized_isolation", start_at=T + start * H, end_at=T + end * H,
               ended_at=None if ended is None else T + ended * H, needs_results=needs, source_kind="case",
               source_ref="C1", case_fk=None, **kw)


def test_a_measure_is_in_force_from_its_start_until_it_ended_or_its_nominal_end():
    assert measure_in_force(_m(), T)
    assert not measure_in_force(_m(start=1), T)
    assert not measure_in_force(_m(ended=0), T) and measure_in_force(_m(ended=1), T)
    assert not measure_in_force(_m(end=0), T)
    # its end needs results: in force past its nominal end, overdue, a note beside its colour
    o = measure_obligation(_m(end=-1, needs=True), T)
    assert measure_in_force(_m(end=-1, needs=True), T) and o.overdue
    assert [r.label for r in obligation_reasons([o])] == ["close", "release_overdue"]
    assert obligation_reasons([measure_obligation(_m(), T)])[0].until == T + 10 * H


def test_a_case_until_its_discharge_suspected_until_declared():
    case = Row(id=7, person_fk=3, status="confirmed", case_no="C7", reported_at=T - 5 * H, declared_at=T + H)
    stay = Row(case_fk=7, admitted_at=T - 4 * H, discharged_at=T + 2 * H, id=1)
    got = case_obligations([case], [stay], T)
    assert [(fk, o.kind, o.label) for fk, o in got] == [(3, "case", "suspected"), (3, "hospital_stay", "hospital")]
    assert case_obligations([case], [stay], T + 2 * H) == []
    assert case_obligations([Row(**{**vars(case), "status": "ruled_out"})], [], T) == []
    assert [r.label for r in obligation_reasons([o for _, o in case_obligations([case], [], T + H)])] == ["case"]


def test_a_test_is_overdue_from_the_day_after_it_was_due_and_zones_by_level():
    today = date(2022, 3, 11)
    ahead = pending_test_reason(today, today=today, tz=TZ)
    assert ahead.since == datetime(2022, 3, 12, tzinfo=TZ)
    assert pending_test_reason(today - timedelta(days=1), today=today, tz=TZ).since is None
    assert [r.label for r in zone_reasons(["sealed", "precaution", "sealed"])] == ["low_risk_area", "high_risk_area"]


@given(st.integers(-50, 50), st.integers(-50, 50), st.one_of(st.none(), st.integers(-50, 50)), st.booleans(),
       st.integers(-60, 60))
def test_in_force_is_the_query_the_orm_narrows_by(start, end, ended, needs, at):
    """The SQL prefilter of measures.obligations._measures, written out: the rule never keeps more than it."""
    m, when = _m(start, end, ended, needs), T + at * H
    sql = m.start_at <= when and (m.ended_at is None or m.ended_at > when) and (needs or m.end_at > when)
    assert measure_in_force(m, when) == sql
