"""Tracing teams and the clock: one team per case at once, waiting cases, overdue tasks (each test rolled back)."""

from datetime import timedelta

import pytest
from builders.risk import MEMBERS, T0, add_team, at, declare, import_people
from clihelp import fk
from sqlalchemy import func, select

from fangkong.contacts.teams import service as teams
from fangkong.contacts.teams.models import Investigation
from fangkong.db.audit import AuditEntry
from fangkong.errors import Conflict, InvalidInput
from fangkong.kit.clikit import unit_of_work
from fangkong.settings import get_settings
from fangkong.tasks import service as task_service
from fangkong.tasks.models import Task


def test_new_case_gets_least_loaded_free_team_with_deadlines(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        add_team(s, "T1")
        add_team(s, "T2")
        add_team(s, "FAR", jurisdiction="140106")
        first = teams.open_investigation(s, declare(s, "P00001"), now=at(0.1))
        second = teams.open_investigation(s, declare(s, "P00003"), now=at(0.2))
        assert (first.team.team_id, second.team.team_id) == ("T1", "T2")
        assert first.status == "assigned" and first.team_due_at == T0
        assert first.contacts_due_at == T0 + timedelta(hours=3)
        third = teams.open_investigation(s, declare(s, "P00005"), now=at(0.3))
        assert third.team.team_id == "T1"  # both carry one case: the tie goes to the lower key
        assert teams.open_investigation(s, first.case, now=at(1)) is first  # re-running changes nothing
    with unit_of_work() as s:
        tasks = s.scalars(select(Task).order_by(Task.id)).all()
        assert [(t.kind, t.status, t.owner_ref) for t in tasks[:2]] == [("team_assignment", "done", "T1"),
                                                                     ("investigation", "open", "T1")]
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "investigation.assigned")) == 3


def test_no_free_team_leaves_a_task_for_the_district_until_a_team_comes(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        add_team(s, "T1", max_cases=1)
        teams.open_investigation(s, declare(s, "P00001"), now=at(0))
        waiting = teams.open_investigation(s, declare(s, "P00003"), now=at(0))
        assert waiting.status == "waiting" and waiting.team is None
        late = task_service.list_tasks(s, now=at(0.5), overdue=True)
        assert [(t.kind, t.owner_kind, t.owner_ref, t.case.case_no) for t in late] == [
            ("team_assignment", "district", "140105", waiting.case.case_no)]
        add_team(s, "T2", now=at(1))
        assert waiting.status == "assigned" and waiting.team.team_id == "T2" and waiting.assigned_at == at(1)
        assert not [t for t in task_service.list_tasks(s, now=at(1), overdue=True) if t.kind == "team_assignment"]
        done = s.scalar(select(Task).where(Task.case_fk == waiting.case_fk, Task.kind == "team_assignment"))
        assert done.status == "done" and done.done_at > done.due_at  # late, and the record says so


def test_closing_an_investigation_frees_the_team_for_a_waiting_case(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        add_team(s, "T1", max_cases=1)
        inv = teams.open_investigation(s, declare(s, "P00001"), now=at(0))
        waiting = teams.open_investigation(s, declare(s, "P00003"), now=at(0))
        trajectory = [{"place": "V1", "start": at(-20).isoformat(), "end": at(-19).isoformat(), "note": "午饭"}]
        teams.update_investigation(s, inv, version=inv.version, now=at(1), status="interviewing", notes="到家访谈",
                                   declared_trajectory=trajectory)
        teams.update_investigation(s, inv, version=inv.version, now=at(2), status="closed")
        assert inv.closed_at == at(2) and waiting.team.team_id == "T1"
        task = s.scalar(select(Task).where(Task.case_fk == inv.case_fk, Task.kind == "investigation"))
        assert task.status == "done" and task.done_at == at(2) and task.done_at <= task.due_at


def test_stale_investigation_update_is_409_with_current_state(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        add_team(s, "T1")
        inv = teams.open_investigation(s, declare(s, "P00001"), now=at(0))
        seen = inv.version
        teams.update_investigation(s, inv, version=seen, now=at(1), notes="first")
        with pytest.raises(Conflict) as exc:
            teams.update_investigation(s, inv, version=seen, now=at(1), notes="second")
        assert exc.value.details[0]["notes"] == "first" and exc.value.details[0]["version"] == seen + 1
        teams.update_investigation(s, inv, version=inv.version, now=at(1), status="trajectory_confirmed")
        with pytest.raises(Conflict, match="cannot go back to interviewing"):
            teams.update_investigation(s, inv, version=inv.version, now=at(1), status="interviewing")


def test_bad_teams_are_refused_and_nothing_is_stored(rollback_env, tmp_path):
    with unit_of_work() as s:
        with pytest.raises(InvalidInput, match="1 police"):
            teams.register_team(s, "T9", name="x", jurisdiction="140105", members=MEMBERS[:2], now=T0)
        add_team(s, "T1")
        with pytest.raises(Conflict, match="already registered"):
            add_team(s, "T1")
    with unit_of_work() as s:
        assert s.scalar(select(func.count(Investigation.id))) == 0


def test_deadlines_come_from_the_deployment(rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_DEADLINES", '{"contacts_placed": "2h", "team_assigned": "15m"}')
    get_settings.cache_clear()
    import_people(tmp_path / "city")
    with unit_of_work() as s:
        inv = teams.open_investigation(s, declare(s, "P00001"), now=at(0))
        assert inv.contacts_due_at == at(2) and inv.team_due_at == at(0.25)
        assert inv.case.placed_deadline_at == at(1)


def test_a_malformed_deadline_setting_is_refused(monkeypatch):
    monkeypatch.setenv("FANGKONG_DEADLINES", '{"contacts_placed": "soon"}')
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="not a duration"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_cli_teams_and_overdue(rollback_env, tmp_path):
    import_people(tmp_path / "city")
    r = fk("teams", "add", "T1", "--name", "小店一队", "--jurisdiction", "140105", "--member", "张伟:cdc",
           "--member", "李娜:medical", "--member", "王强:police", "--max-cases", "1")
    assert r.exit_code == 0, r.output
    r = fk("teams", "add", "T2", "--name", "x", "--jurisdiction", "140105", "--member", "张伟:cdc")
    assert r.exit_code == 1 and "2 CDC/medical" in r.output
    with unit_of_work() as s:
        teams.open_investigation(s, declare(s, "P00001"), now=at(0))
        teams.open_investigation(s, declare(s, "P00003"), now=at(0))
    r = fk("tasks", "overdue", "--at", "2022-03-14T13:00")
    assert r.exit_code == 0, r.output
    assert "小店一队" in r.stdout and "140105" in r.stdout and "C000002" in r.stdout
    r = fk("teams", "list")
    assert "1/1" in r.stdout
    r = fk("teams", "investigation", "C000001", "--notes", "x")
    assert r.exit_code != 0 and "--version" in r.output
    r = fk("teams", "investigation", "C000001", "--status", "interviewing", "--version", "2")
    assert r.exit_code == 0, r.output
    r = fk("teams", "investigation", "C000001", "--notes", "late", "--version", "2")
    assert r.exit_code == 1 and "changed by someone else" in r.output
    r = fk("tasks", "overdue", "--kind", "nap")
    assert r.exit_code == 2


def test_trace_gives_the_case_a_team(rollback_env, tmp_path):
    from test_flow import declare_and_trace

    from fangkong.cases import service as case_service

    with unit_of_work() as s:
        add_team(s, "T1")
    case_id, _ = declare_and_trace(tmp_path)
    with unit_of_work() as s:
        inv = teams.get_investigation(s, case_service.get_case(s, case_id))
        assert inv.team.team_id == "T1" and inv.status == "assigned"
