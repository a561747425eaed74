"""Rule (issue 23): a withdrawn contact (the door check found the wrong person) re-evaluates everyone whose
obligation came from him. A secondary contact found only through him, and upgraded to close because he tested
positive, holds a close obligation that came only through him: it is withdrawn too (it was kept, red)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from conformance.scenario import at, code, obligations, ok, scheduled
from sqlalchemy import select
from test_flow import city

from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.verification import service as verification
from fangkong.people.models import Person
from fangkong.tasks.models import Task

TZ = ZoneInfo("Asia/Shanghai")


def test_an_upgrade_through_a_withdrawn_contact_is_withdrawn_with_him(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    at(monkeypatch, "2022-03-11T22:00+08:00")
    ok("measures", "result", str(scheduled("P00003")[0][0]), "positive")  # P00004 and P00006 upgraded
    assert obligations("P00004") == [("close", "centralized_isolation", None)]
    at(monkeypatch, "2022-03-11T23:00+08:00")
    with unit_of_work() as s:
        p3 = s.scalar(select(Person.id).where(Person.person_id == "P00003"))
        task = s.scalar(select(Task).where(Task.kind == "verification", Task.person_fk == p3))
        with acting_as(s, "社区"):
            verification.record_outcome(s, task, "wrong_person", jurisdiction=task.jurisdiction, version=task.version,
                                        at=datetime(2022, 3, 11, 23, tzinfo=TZ))
    for pid in ("P00004", "P00006"):
        assert obligations(pid) == []
        assert obligations(pid, active_only=False) == [("secondary", "home_isolation", "upgraded"),
                                                       ("close", "centralized_isolation", "withdrawn")]
        assert code(pid)["colour"] == "green"
