"""Designated hospitals: beds, a transfer task per case, admission refusals, the plan."""

from datetime import timedelta

import pytest
from builders.risk import TRACED_AT, at, declare, import_people, traced_city
from clihelp import fk
from sqlalchemy import select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.errors import Conflict, NotFound
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.hospitals import service as hospitals
from fangkong.protocol.hospitals import DischargeSample
from fangkong.tasks.models import Task

#: two samples 24 h apart with Ct ≥ 35 (edition 9's discharge criteria), during a stay admitted at at(1)
OK_SAMPLES = [DischargeSample(at(2), 36.0), DischargeSample(at(27), None)]


def test_a_declared_case_gets_a_transfer_task_closed_by_admission(rollback_env, tmp_path):
    with unit_of_work() as s:
        hospitals.add_hospital(s, "H4", name="第四医院", jurisdiction="1401", beds=2, negative_pressure_beds=1)
        hospitals.add_hospital(s, "H9", name="外市医院", jurisdiction="1402", beds=50)
    case_id = traced_city(tmp_path / "city")
    with unit_of_work() as s:
        task = s.scalar(select(Task).where(Task.kind == "case_transfer"))
        assert (task.owner_kind, task.owner_ref, task.case.case_no) == ("hospital", "H4", case_id)
        assert task.due_at == task.case.placed_deadline_at == task.case.reported_at + timedelta(hours=1)
        case = task.case
        hospitals.admit(s, case, hospitals.get_hospital(s, "H4"), at=TRACED_AT, negative_pressure=True)
        assert task.status == "done"
        with pytest.raises(Conflict, match="already in hospital H4"):
            hospitals.admit(s, case, hospitals.get_hospital(s, "H4"), at=TRACED_AT)
        beds = {b.hospital.hospital_id: b for b in hospitals.hospital_beds(s)}
        assert (beds["H4"].used, beds["H4"].negative_pressure_free) == (1, 0)
        assert hospitals.beds_used(s, TRACED_AT + timedelta(minutes=1)) == 1


def test_full_hospitals_and_unknown_ones_are_refused(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        h = hospitals.add_hospital(s, "H1", name="x", jurisdiction="140105", beds=1, negative_pressure_beds=0)
        c1, c2 = declare(s, "P00001"), declare(s, "P00003", now=at(0.5))
        with pytest.raises(Conflict, match="no free negative-pressure bed"):
            hospitals.admit(s, c1, h, at=at(1), negative_pressure=True)
        hospitals.admit(s, c1, h, at=at(1))
        with pytest.raises(Conflict, match=r"hospital H1 has no free bed \(1/1\)"):
            hospitals.admit(s, c2, h, at=at(1))
        with pytest.raises(NotFound, match="unknown hospital 'H2'"):
            hospitals.get_hospital(s, "H2")
        with pytest.raises(Conflict, match="already registered"):
            hospitals.add_hospital(s, "H1", name="x", jurisdiction="140105", beds=1)
        hospitals.discharge(s, c1, at=at(30), samples=OK_SAMPLES)
        with pytest.raises(Conflict, match="is not in a hospital"):
            hospitals.discharge(s, c1, at=at(31))
        hospitals.admit(s, c2, h, at=at(31))


def test_escalation_plan_by_active_cases(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        state = hospitals.plan(s)
        assert state.active_cases == 0 and state.next_step.threshold == 100  # seed 003 by default
        h = hospitals.add_hospital(s, "H1", name="x", jurisdiction="140105", beds=5)
        c1 = declare(s, "P00001")
        declare(s, "P00003")
        hospitals.set_step(s, 1, action="启用第二病区", beds=20)
        s.flush()
        state = hospitals.plan(s)
        assert state.active_cases == 2 and [x.threshold for x in state.in_force] == [1] and state.next_step is None
        hospitals.admit(s, c1, h, at=at(1))
        hospitals.discharge(s, c1, at=at(30), samples=OK_SAMPLES)
        state = hospitals.plan(s)
        assert state.active_cases == 1 and state.in_force == () and state.cases_to_next == 1


def test_hospitals_over_http_and_cli(server, tmp_path):  # noqa: F811
    body = {"hospital_id": "H4", "name": "第四医院", "jurisdiction": "1401", "beds": 1, "negative_pressure_beds": 1}
    assert server.post("/api/hospitals", json=body).status_code == 201
    assert server.post("/api/hospitals", json=body).status_code == 409
    assert server.post("/api/hospitals", json={**body, "hospital_id": "X", "negative_pressure_beds": 5}).status_code == 422
    assert server.post("/api/hospitals", json={**body, "hospital_id": "X", "beds": -1}).status_code == 422
    case_id = traced_city(tmp_path / "city")
    r = server.post(f"/api/cases/{case_id}/admit", json={"hospital_id": "NOPE"})
    assert r.status_code == 404
    admitted = TRACED_AT + timedelta(hours=2)
    r = server.post(f"/api/cases/{case_id}/admit", json={"hospital_id": "H4", "negative_pressure": True,
                                                          "at": admitted.isoformat()})
    assert r.status_code == 200 and r.json()["beds_used"] == 1 and r.json()["negative_pressure_used"] == 1
    assert server.post(f"/api/cases/{case_id}/admit", json={"hospital_id": "H4"}).status_code == 409
    plan = server.get("/api/hospitals/plan").json()
    assert plan["active_cases"] == 1 and plan["next_step"]["threshold"] == 100 and plan["cases_to_next"] == 100
    r = server.put("/api/hospitals/plan/0", json={"action": "启用负压病房", "beds": 10})
    assert r.status_code == 200 and r.json()["in_force"][0]["threshold"] == 0
    assert server.put("/api/hospitals/plan/0", json={"action": ""}).status_code == 422
    assert server.delete("/api/hospitals/plan/7").status_code == 404
    r = server.post(f"/api/cases/{case_id}/discharge", json={})
    assert r.status_code == 422 and "discharge criteria" in r.text and "2 consecutive samples" in r.text
    samples = [{"sampled_at": (admitted + timedelta(hours=h)).isoformat(), "ct": ct} for h, ct in ((3, 36), (28, None))]
    assert server.post(f"/api/cases/{case_id}/discharge",
                       json={"samples": samples, "at": (admitted + timedelta(hours=30)).isoformat()}
                       ).json()["beds_used"] == 0
    r = fk("hospitals", "plan")
    assert r.exit_code == 0 and "active cases: 0" in r.stdout and "启用负压病房" in r.stdout
    assert fk("hospitals", "step", "0", "--remove").exit_code == 0
    r = fk("hospitals", "plan")
    assert "next step in 101 more active cases" in r.stdout
    r = fk("hospitals", "admit", case_id, "H5")
    assert r.exit_code == 1 and "unknown hospital 'H5'" in r.output
    r = fk("hospitals", "list")
    assert r.exit_code == 0 and "0/1" in r.stdout
