"""The measure lifecycle: escalation, extension, release rules, upgrade, positive → case."""

from datetime import datetime, timedelta

import pytest
from builders.risk import TRACED_AT, TZ, traced_city
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.cases.models import Case
from fangkong.db.audit import AuditEntry
from fangkong.errors import Conflict, InvalidInput
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures.models import Measure
from fangkong.people.models import Person
from fangkong.protocol.edition import load_edition

E9 = load_edition("9")


def measure_of(s, person_id: str) -> Measure:
    return s.scalar(select(Measure).join(Person, Person.id == Measure.person_fk)
                    .where(Person.person_id == person_id, Measure.status == "active"))


def results(s, person_id: str, values: list[str], at=TRACED_AT):
    m = measure_of(s, person_id)
    for task, value in zip(m.tests, values, strict=False):
        lifecycle.record_result(s, task, value, at=at, edition=E9, tz=TZ)


def test_escalate_home_to_centralized_keeps_period_and_tests(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        old = measure_of(s, "P00004")
        assert (old.category, old.kind) == ("secondary", "home_isolation")
        days = [t.due_date for t in old.tests]
        with pytest.raises(InvalidInput, match="reason"):
            lifecycle.escalate(s, old, now=TRACED_AT, reason=" ")
        new = lifecycle.escalate(s, old, now=TRACED_AT + timedelta(hours=1), reason="家中无独立房间")
        assert (new.kind, new.place, new.end_at) == ("centralized_isolation", "site", old.end_at)
        assert [t.due_date for t in new.tests] == days and old.status == "replaced"
        with pytest.raises(Conflict, match="already centralized"):
            lifecycle.escalate(s, new, now=TRACED_AT, reason="x")
        with pytest.raises(Conflict, match="is replaced, not active"):
            lifecycle.escalate(s, old, now=TRACED_AT, reason="x")
    with unit_of_work() as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "measure.escalated")) == 1


def test_extension_restarts_the_clock_and_never_shortens(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        old = measure_of(s, "P00003")
        with pytest.raises(InvalidInput, match="after the last one"):
            lifecycle.extend(s, old, exposure_at=old.last_exposure_at, edition=E9, tz=TZ, now=TRACED_AT, reason="x")
        with pytest.raises(InvalidInput, match="in the future"):
            lifecycle.extend(s, old, exposure_at=TRACED_AT + timedelta(days=1), edition=E9, tz=TZ, now=TRACED_AT,
                             reason="x")
        now = datetime(2022, 3, 13, 10, tzinfo=TZ)
        new = lifecycle.extend(s, old, exposure_at=datetime(2022, 3, 13, 9, tzinfo=TZ), edition=E9, tz=TZ, now=now,
                               reason="同楼层新阳性")
        assert new.phase_end_at == datetime(2022, 3, 21, tzinfo=TZ) and new.end_at == datetime(2022, 3, 24, tzinfo=TZ)
        assert new.tests[0].due_date.isoformat() == "2022-03-14" and old.status == "replaced"


def test_release_refused_early_or_with_a_missing_test_then_allowed(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    end = datetime(2022, 3, 18, tzinfo=TZ)
    with unit_of_work() as s:
        m = measure_of(s, "P00004")
        assert m.end_at == end
        with pytest.raises(InvalidInput, match="cannot end yet: the period runs until 2022-03-18 00:00"):
            lifecycle.release(s, m, edition=E9, tz=TZ, now=end - timedelta(hours=1))
        results(s, "P00004", ["negative", "negative"])
        with pytest.raises(InvalidInput, match="the test of 2022-03-17 is missing"):
            lifecycle.release(s, m, edition=E9, tz=TZ, now=end)
        results(s, "P00004", ["negative"] * 3)
        with pytest.raises(InvalidInput, match="waiting for the close contact's first tests"):
            lifecycle.release(s, m, edition=E9, tz=TZ, now=end)
        assert m.status == "active"
        results(s, "P00003", ["negative", "negative"])
        decision, after = lifecycle.release(s, m, edition=E9, tz=TZ, now=end)
        assert decision.action == "release" and after.status == "released"


def test_positive_result_makes_a_case_and_upgrades_secondaries(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    at = datetime(2022, 3, 12, 15, tzinfo=TZ)
    with unit_of_work() as s:
        results(s, "P00003", ["negative"])
        first = measure_of(s, "P00003").tests[1]
        case = lifecycle.record_result(s, first, "positive", at=at, edition=E9, tz=TZ)
        assert case.status == "suspected" and case.person.person_id == "P00003"
        for pid in ("P00004", "P00006"):
            m = measure_of(s, pid)
            assert (m.category, m.kind) == ("close", "centralized_isolation")
            assert m.tests[0].due_date.isoformat() == "2022-03-12"
        assert measure_of(s, "P00007").category == "companion"
    with unit_of_work() as s:
        assert s.scalar(select(func.count(Case.id))) == 2
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "measure.upgraded")) == 2


def test_release_due_steps_down_releases_and_lists_the_blocked(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        for pid in ("P00002", "P00003", "P00004", "P00005", "P00007"):
            results(s, pid, ["negative"] * 5)
        results(s, "P00006", ["negative", "invalid", "negative"])
        report = lifecycle.release_due(s, edition=E9, tz=TZ, now=datetime(2022, 3, 18, tzinfo=TZ))
        # P00003 (close, exposed 03-10) steps down; P00002 (household, exposed until 03-11) not yet
        assert (report.stepped_down, report.upgraded) == (1, 0)
        assert report.released == 3  # P00004 (secondary) and the two 3-day health monitorings
        assert report.blocked == []
        m = measure_of(s, "P00003")
        assert (m.kind, m.place, m.then_kind) == ("home_monitoring", "home", None)
        assert measure_of(s, "P00002").kind == "centralized_isolation"
        report = lifecycle.release_due(s, edition=E9, tz=TZ, now=datetime(2022, 3, 19, tzinfo=TZ))
        assert report.stepped_down == 1 and measure_of(s, "P00002").kind == "home_monitoring"
        assert [(pid, reason) for _, pid, reason in report.blocked] == [("P00006", "the test of 2022-03-15 is invalid")]



def test_lifecycle_over_http_and_cli(server, tmp_path):  # noqa: F811
    from clihelp import fk

    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        mid, tid = measure_of(s, "P00004").id, measure_of(s, "P00004").tests[0].id
        close_id = measure_of(s, "P00002").id
    r = server.post(f"/api/measures/{mid}/release")
    assert r.status_code == 422 and "the test of 2022-03-11 is missing" in r.json()["detail"]
    assert server.get(f"/api/measures/{mid}/release").json()["action"] == "refuse"
    assert server.post(f"/api/measures/{mid}/escalate", json={"reason": ""}).status_code == 422
    assert server.post("/api/measures/99999/escalate", json={"reason": "x"}).status_code == 404
    assert server.post(f"/api/measures/{mid}/extend", json={"exposure_at": "2022-03-01T00:00:00+08:00",
                                                            "reason": "x"}).status_code == 422
    assert server.post(f"/api/measures/tests/{tid}/result", json={"result": "maybe"}).status_code == 422
    assert server.post("/api/measures/tests/99999/result", json={"result": "negative"}).status_code == 404
    r = server.post(f"/api/measures/tests/{tid}/result", json={"result": "negative", "at": "2022-03-11T22:00:00+08:00"})
    assert r.status_code == 200 and r.json()["tests"][0]["result"] == "negative"
    r = server.post(f"/api/measures/{close_id}/escalate", json={"reason": "x"})
    assert r.status_code == 409 and "already centralized" in r.json()["detail"]
    r = server.post(f"/api/measures/{mid}/escalate", json={"reason": "家中无独立房间"})
    assert r.status_code == 200 and r.json()["kind"] == "centralized_isolation"
    new_id = r.json()["id"]
    r = fk("measures", "release", new_id, "--at", "2022-03-17T12:00")
    assert r.exit_code == 1 and "cannot end yet: the period runs until 2022-03-18 00:00" in r.output
    r = fk("measures", "release-due", "--at", "2022-03-18T00:00")
    assert r.exit_code == 0 and "blocked 4" in r.stdout and "P00004" in r.output
    test_ids = [t["id"] for t in server.get(f"/api/measures/{new_id}").json()["tests"]]
    r = fk("measures", "result", test_ids[1], "positive", "--at", "2022-03-14T12:00")
    assert r.exit_code == 0 and "awaits its re-check" in r.stdout
    r = fk("measures", "extend", close_id, "--exposure-at", "2022-03-12T09:00", "--reason", "复阳", "--at",
           "2022-03-12T10:00")
    assert r.exit_code == 0 and "until 2022-03-23 00:00" in r.stdout
