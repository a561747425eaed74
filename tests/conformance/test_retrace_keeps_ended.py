"""Rule (issue 23): a re-trace only adds what is new. An obligation released, stepped down or withdrawn stays
ended: tracing the case again (new data, a corrected window) on a later day re-creates none of them, and a contact
link the door check withdrew (the wrong person) does not come back. A later exposure or a higher category is new.
Edition 9 (PROTOCOL-NOTES §2): close contact 7 d centralized + 3 d home health monitoring, tests 1, 2, 3, 5, 7 and
monitoring day 3; secondary contact 7 d home isolation, tests 1, 4, 7."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from conformance.scenario import at, code, obligations, ok, scheduled
from sqlalchemy import func, select
from test_flow import city

from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.verification import service as verification
from fangkong.people.models import Person
from fangkong.tasks.models import Task

TZ = ZoneInfo("Asia/Shanghai")


def _declare_and_trace(tmp_path, monkeypatch) -> str:
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    case = ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at", "2022-03-11T20:00")
    ok("trace", case)
    return case


def _negative_until(person_id: str, day: str) -> None:
    for test_id, due, result, _ in scheduled(person_id):
        if due <= day and result == "pending":
            ok("measures", "result", str(test_id), "negative")


def test_trace_release_step_down_then_re_trace_re_creates_nothing(rollback_env, tmp_path, monkeypatch):
    case = _declare_and_trace(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-17T20:00+08:00")
    for pid in ("P00002", "P00003", "P00004", "P00005", "P00006", "P00007"):
        _negative_until(pid, "2022-03-17")
    at(monkeypatch, "2022-03-18T01:00+08:00")
    ok("measures", "release-due")
    # P00003 (close, exposed 03-10) stepped down to home health monitoring; P00004 (secondary) released
    assert obligations("P00003") == [("close", "home_monitoring", None)]
    assert obligations("P00004") == []
    at(monkeypatch, "2022-03-18T10:00+08:00")
    ok("trace", case)  # re-traced a week later: the same people found again
    assert obligations("P00003") == [("close", "home_monitoring", None)], "not sent back to centralized isolation"
    assert obligations("P00003", active_only=False) == [("close", "centralized_isolation", "stepped_down"),
                                                       ("close", "home_monitoring", None)]
    assert obligations("P00004", active_only=False) == [("secondary", "home_isolation", "released")]
    assert code("P00004")["colour"] == "green"
    assert obligations("P00002") == [("close", "centralized_isolation", None)]  # still in its first phase: kept
    at(monkeypatch, "2022-03-20T20:00+08:00")
    _negative_until("P00003", "2022-03-20")
    at(monkeypatch, "2022-03-21T01:00+08:00")
    ok("measures", "release-due")
    at(monkeypatch, "2022-03-21T10:00+08:00")
    ok("trace", case)  # and again after his release
    assert obligations("P00003") == []
    assert code("P00003")["colour"] == "green"


def test_trace_withdraw_then_re_trace_does_not_bring_the_wrong_person_back(rollback_env, tmp_path, monkeypatch):
    case = _declare_and_trace(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-11T23:00+08:00")
    with unit_of_work() as s:  # the door check: the man at P00003's address is not the one at V1
        p3 = s.scalar(select(Person.id).where(Person.person_id == "P00003"))
        task = s.scalar(select(Task).where(Task.kind == "verification", Task.person_fk == p3))
        with acting_as(s, "社区"):
            verification.record_outcome(s, task, "wrong_person", jurisdiction=task.jurisdiction, version=task.version,
                                        at=datetime(2022, 3, 11, 23, tzinfo=TZ))
    for day in ("2022-03-12T10:00+08:00", "2022-03-13T10:00+08:00"):
        at(monkeypatch, day)
        out = ok("trace", case)  # re-traced: the lake still places "P00003" at V1
        assert "3 withdrawn" in out
        for pid in ("P00003", "P00004", "P00006"):  # he and the secondary contacts found only through him
            assert obligations(pid) == [], pid
            assert code(pid)["colour"] == "green", pid
        assert obligations("P00002") == [("close", "centralized_isolation", None)]
        with unit_of_work() as s:
            tasks = s.scalar(select(func.count(Task.id)).where(Task.kind == "verification", Task.person_fk == p3))
            assert tasks == 1, "no second door check for the wrong person"
            # the door checks point at the re-trace's rows (an upgrade or a withdrawal through them still works)
            assert s.scalar(select(func.count(Task.id)).where(Task.kind == "verification",
                                                              Task.risk_person_fk.is_(None))) == 0


def test_a_re_trace_keeps_the_links_an_upgrade_follows(rollback_env, tmp_path, monkeypatch):
    case = _declare_and_trace(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("trace", case)
    at(monkeypatch, "2022-03-12T11:00+08:00")
    ok("measures", "result", str(scheduled("P00003")[0][0]), "positive")  # his secondary contacts upgraded at once
    assert obligations("P00004") == [("close", "centralized_isolation", None)]
    at(monkeypatch, "2022-03-12T12:00+08:00")
    ok("trace", case)  # traced again: the secondary contact upgraded is not given his secondary measure back
    assert obligations("P00004") == [("close", "centralized_isolation", None)]
    assert obligations("P00004", active_only=False) == [("secondary", "home_isolation", "upgraded"),
                                                       ("close", "centralized_isolation", None)]
