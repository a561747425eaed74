"""Obligations in force at an instant (measures.obligations.in_force): read back from history."""

from datetime import timedelta

from builders.risk import TRACED_AT, TZ, traced_city
from sqlalchemy import select

from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures.models import Measure
from fangkong.measures.obligations import in_force
from fangkong.people.models import Person
from fangkong.protocol.edition import load_edition

E9 = load_edition("9")


def fk_of(s, person_id: str) -> int:
    return s.scalar(select(Person.id).where(Person.person_id == person_id))


def labels(s, person_id: str, at) -> list[tuple]:
    fk = fk_of(s, person_id)
    return sorted((o.kind, o.label, o.measure_kind, o.overdue) for o in in_force(s, [fk], at, tz=TZ)[fk])


def test_what_was_in_force_is_read_back_after_an_escalation(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        m = s.scalar(select(Measure).where(Measure.person_fk == fk_of(s, "P00004"), Measure.status == "active"))
        lifecycle.escalate(s, m, now=TRACED_AT + timedelta(hours=2), reason="家中无独立房间")
    with unit_of_work() as s:
        assert labels(s, "P00004", TRACED_AT - timedelta(minutes=1)) == []
        assert labels(s, "P00004", TRACED_AT + timedelta(hours=1)) == [("measure", "secondary", "home_isolation", False)]
        assert labels(s, "P00004", TRACED_AT + timedelta(hours=3)) == [
            ("measure", "secondary", "centralized_isolation", False)]
        old = s.scalar(select(Measure).where(Measure.person_fk == fk_of(s, "P00004"), Measure.status == "replaced"))
        assert (old.ended_at, old.end_reason) == (TRACED_AT + timedelta(hours=2), "escalated")
        # the case itself is an obligation from its report
        assert labels(s, "P00001", TRACED_AT + timedelta(hours=1)) == [("case", "asymptomatic", None, False)]


def test_an_obligation_that_needs_results_does_not_end_by_time_alone(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        m = s.scalar(select(Measure).where(Measure.person_fk == fk_of(s, "P00005"), Measure.status == "active"))
        assert m.needs_results and m.category == "overlap"
        end = m.end_at
        first, _second = m.tests
        lifecycle.record_result(s, first, "negative", at=TRACED_AT + timedelta(days=1), edition=E9, tz=TZ)
    with unit_of_work() as s:
        # past the nominal end with the day-2 test missing: still in force, overdue
        assert labels(s, "P00005", end + timedelta(hours=1)) == [("measure", "overlap", "health_monitoring", True)]
        m = s.scalar(select(Measure).where(Measure.person_fk == fk_of(s, "P00005"), Measure.status == "active"))
        lifecycle.record_result(s, m.tests[1], "negative", at=end + timedelta(hours=2), edition=E9, tz=TZ)
    with unit_of_work() as s:
        # its end condition is met when the last result came: over from then on, in force before
        assert labels(s, "P00005", end + timedelta(hours=1)) == [("measure", "overlap", "health_monitoring", True)]
        assert labels(s, "P00005", end + timedelta(hours=3)) == []
