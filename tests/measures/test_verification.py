"""Community verification (落地核查): tasks per risk person, outcomes, 403, 409, forwarding."""

from datetime import timedelta

import pytest
from builders.risk import TRACED_AT, traced_city
from clihelp import fk
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.codes import service as code_service
from fangkong.db.core import session_scope
from fangkong.errors import Conflict, Forbidden, InvalidInput
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.measures.verification import service as verification
from fangkong.protocol.edition import load_edition
from fangkong.tasks import service as task_service
from fangkong.tasks.models import Task

HOME = "140105001001"


def _tasks(s) -> dict[str, Task]:
    return {t.person.person_id: t for t in s.scalars(select(Task).where(Task.kind == "verification",
                                                                         Task.status == "open"))}


def test_trace_opens_a_task_per_person_for_their_community(rollback_env, tmp_path):
    case_id = traced_city(tmp_path / 'city')
    with unit_of_work() as s:
        tasks = _tasks(s)
        assert set(tasks) == {"P00002", "P00003", "P00004", "P00005", "P00006", "P00007"}
        assert {(t.owner_kind, t.owner_ref, t.jurisdiction) for t in tasks.values()} == {("community", HOME, HOME)}
        close = tasks["P00002"]
        assert close.step == "contacts_placed" and close.due_at - close.started_at == timedelta(hours=3)
        assert tasks["P00005"].step == "verified" and tasks["P00005"].due_at.astimezone(
            rollback_env.zone).time().hour == 0
        assert close.measure_fk is not None and close.case.case_no == case_id
    assert fk("trace", case_id).exit_code == 0  # a re-trace opens no second task
    with unit_of_work() as s:
        assert s.scalar(select(func.count(Task.id)).where(Task.kind == "verification")) == 6


def test_outcomes_with_jurisdiction_and_version_checks(rollback_env, tmp_path):
    traced_city(tmp_path / 'city')
    now = TRACED_AT + timedelta(hours=1)
    with unit_of_work() as s:
        task = _tasks(s)["P00002"]
        tid, v = task.id, task.version
        with pytest.raises(Forbidden, match=f"belongs to jurisdiction {HOME}, not to your jurisdiction 140105001002"):
            verification.record_outcome(s, task, "found_placed", jurisdiction="140105001002", version=v, at=now)
        with pytest.raises(InvalidInput, match="outcome must be one of"):
            verification.record_outcome(s, task, "gone", jurisdiction=HOME, version=v, at=now)
        with pytest.raises(InvalidInput, match="before the task began"):
            verification.record_outcome(s, task, "found_placed", jurisdiction=HOME, version=v,
                                        at=now - timedelta(days=1))
    with unit_of_work() as s:
        task = task_service.get_task(s, tid)
        assert task.status == "open" and task.version == v  # nothing changed
        verification.record_outcome(s, task, "found_placed", jurisdiction="140105", version=v, at=now,
                                    note="在家，已落位")
        assert task.status == "done" and task.done_at == now and task.version == v + 1
    with unit_of_work() as s:
        with pytest.raises(Conflict) as exc:  # a second verifier who read the same version
            verification.record_outcome(s, task_service.get_task(s, tid), "not_found", jurisdiction=HOME, version=v,
                                        at=now)
        assert exc.value.details[0]["status"] == "done" and exc.value.details[0]["note"] == "在家，已落位"


def test_simultaneous_updates_of_the_same_version_one_wins(env, tmp_path):
    traced_city(tmp_path / 'city')
    with unit_of_work() as s:
        tid = _tasks(s)["P00003"].id
    now = TRACED_AT + timedelta(hours=1)
    with session_scope() as a:
        mine = task_service.get_task(a, tid)
        with session_scope() as b:  # the other verifier commits first
            verification.record_outcome(b, task_service.get_task(b, tid), "not_found", jurisdiction=HOME,
                                        version=1, at=now)
        with pytest.raises(Conflict, match="at the same time") as exc:
            verification.record_outcome(a, mine, "found_placed", jurisdiction=HOME, version=1, at=now)
        assert exc.value.details[0]["status"] == "not_found"
    with unit_of_work() as s:
        assert task_service.get_task(s, tid).status == "not_found"


def test_moved_is_forwarded_and_wrong_person_withdraws_the_measure(rollback_env, tmp_path):
    traced_city(tmp_path / 'city')
    now = TRACED_AT + timedelta(hours=1)
    with unit_of_work() as s:
        tasks = _tasks(s)
        with pytest.raises(InvalidInput, match="to_community"):
            verification.record_outcome(s, tasks["P00004"], "moved", jurisdiction=HOME, version=1, at=now)
        verification.record_outcome(s, tasks["P00004"], "moved", jurisdiction=HOME, version=1, at=now,
                                    to_community="140106002001")
        verification.record_outcome(s, tasks["P00002"], "wrong_person", jurisdiction=HOME, version=1, at=now)
        p2 = tasks["P00002"].person_fk
    with unit_of_work() as s:
        new = s.scalar(select(Task).where(Task.parent_fk == tasks["P00004"].id))
        assert (new.owner_ref, new.jurisdiction, new.status, new.person.person_id) == (
            "140106002001", "140106002001", "open", "P00004")
        assert s.scalar(select(Measure.status).where(Measure.person_fk == p2)) == "withdrawn"
        assert code_service.person_code(s, "P00002", edition=load_edition("9"), now=now, tz=rollback_env.zone).colour == "green"


def test_api_and_cli_outcomes(server, tmp_path):  # noqa: F811
    traced_city(tmp_path / 'city')
    r = server.get("/api/verifications", params={"jurisdiction": HOME})
    assert r.status_code == 200 and len(r.json()) == 6
    task = next(t for t in r.json() if t["person_id"] == "P00002")
    url = f"/api/verifications/{task['id']}/outcome"
    body = {"outcome": "found_placed", "jurisdiction": HOME, "version": task["version"]}
    assert server.post(url, json={**body, "jurisdiction": "140106"}).status_code == 403
    assert server.post(url, json={**body, "outcome": "gone"}).status_code == 422
    assert server.post(url, json={**body, "at": "2099-01-01T00:00:00+08:00"}).status_code == 422
    assert server.post("/api/verifications/99999/outcome", json=body).status_code == 404
    r = server.post(url, json=body)
    assert r.status_code == 200 and r.json()["status"] == "done"
    r = server.post(url, json={**body, "outcome": "not_found"})
    assert r.status_code == 409 and r.json()["errors"][0]["status"] == "done"
    other = next(t for t in server.get("/api/verifications").json() if t["person_id"] == "P00003")
    r = fk("verification", "record", other["id"], "--outcome", "found_placed", "--as", "140106", "--version", "1")
    assert r.exit_code == 1 and "not to your jurisdiction 140106" in r.output
    r = fk("verification", "record", other["id"], "--outcome", "found_placed", "--as", HOME, "--version", "1")
    assert r.exit_code == 0 and "done" in r.stdout
    r = fk("verification", "list", "--jurisdiction", HOME)
    assert r.exit_code == 0 and "P00004" in r.stdout and "P00003" not in r.stdout
    investigation_tasks = server.get("/api/tasks", params={"kind": "verification", "status": "done"}).json()
    assert {t["person_id"] for t in investigation_tasks} == {"P00002", "P00003"}
