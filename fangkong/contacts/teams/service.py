"""Tracing-team services: register teams, give every new case the least-loaded free team, keep its record.

Who acts is the session's (db.scope.acting): these functions take no actor (docs/architecture.md, Who acts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from fangkong.cases.models import Case
from fangkong.contacts.teams.models import (
    INVESTIGATION_STATUSES,
    TEAM_STATUSES,
    Investigation,
    InvestigationStatus,
    TeamStatus,
    TracingTeam,
)
from fangkong.db.audit import audit
from fangkong.db.jurisdiction import require_inside
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.protocol.teams import TeamLoad, check_members, pick_team
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, Task, TaskKind, TaskStatus

__all__ = ["register_team", "set_team_status", "team_loads", "list_teams", "get_team", "open_investigation",
           "assign_waiting", "update_investigation", "get_investigation", "list_investigations",
           "investigation_state", "district_of", "load_of"]

_OPEN = (InvestigationStatus.ASSIGNED, InvestigationStatus.INTERVIEWING,
         InvestigationStatus.TRAJECTORY_CONFIRMED)


def district_of(code: str | None) -> str:
    """The district part (6 digits) of a jurisdiction code; owners of work nobody else has yet."""
    return (code or "")[:6] or "unknown"


def register_team(session: Session, team_id: str, *, name: str, jurisdiction: str, members: list[dict],
                  max_cases: int = 2, now: datetime) -> TracingTeam:
    """A new tracing team; it takes waiting cases of its jurisdiction at once."""
    require_inside(session, jurisdiction, f"team {team_id}")
    if session.scalar(select(TracingTeam.id).where(TracingTeam.team_id == team_id)):
        raise Conflict(f"team {team_id} is already registered")
    problem = check_members([str(m.get("role", "")) for m in members])
    if problem:
        raise InvalidInput(f"team {team_id}: {problem}")
    if not 1 <= max_cases <= 50:
        raise InvalidInput(f"team {team_id}: max_cases must be between 1 and 50")
    team = TracingTeam(team_id=team_id, name=name, jurisdiction=jurisdiction, members=members,
                       max_cases=max_cases, status="on_duty", created_at=now)
    session.add(team)
    session.flush()
    audit(session, acting(session), "team.register", "tracing_team", team_id, after={"jurisdiction": jurisdiction,
                                                                         "members": len(members)})
    assign_waiting(session, now=now)
    return team


def set_team_status(session: Session, team: TracingTeam, status: str, *, now: datetime) -> TracingTeam:
    require_inside(session, team.jurisdiction, f"team {team.team_id}")
    if status not in TEAM_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(TEAM_STATUSES)}")
    before = {"status": team.status}
    team.status = status
    audit(session, acting(session), "team.status", "tracing_team", team.team_id, before=before,
          after={"status": status})
    if status == TeamStatus.ON_DUTY:
        assign_waiting(session, now=now)
    return team


def team_loads(session: Session) -> list[tuple[TracingTeam, int]]:
    """Every team with its number of open investigations (one query)."""
    load = (select(Investigation.team_fk, func.count().label("n")).where(Investigation.status.in_(_OPEN))
            .group_by(Investigation.team_fk).subquery())
    q = (select(TracingTeam, func.coalesce(load.c.n, 0)).outerjoin(load, load.c.team_fk == TracingTeam.id)
         .order_by(TracingTeam.team_id))
    return [(tm, n) for tm, n in session.execute(q)]


def list_teams(session: Session) -> list[tuple[TracingTeam, int]]:
    return team_loads(session)


def load_of(session: Session, team: TracingTeam) -> int:
    """Open investigations of one team."""
    return session.scalar(select(func.count()).where(Investigation.team_fk == team.id,
                                                     Investigation.status.in_(_OPEN))) or 0


def get_team(session: Session, team_id: str) -> TracingTeam:
    team = session.scalar(select(TracingTeam).where(TracingTeam.team_id == team_id))
    if team is None:
        raise NotFound(f"unknown team {team_id!r}")
    return team


def _pick(session: Session, community: str | None) -> TracingTeam | None:
    loads = [(tm, n) for tm, n in team_loads(session) if tm.status == TeamStatus.ON_DUTY]
    key = pick_team([TeamLoad(tm.team_id, tm.jurisdiction, n, tm.max_cases) for tm, n in loads], community)
    return next((tm for tm, _ in loads if tm.team_id == key), None)


def _assign(session: Session, inv: Investigation, team: TracingTeam, now: datetime) -> None:
    inv.team, inv.team_fk, inv.status, inv.assigned_at = team, team.id, "assigned", now
    waiting = session.scalar(select(Task).where(Task.case_fk == inv.case_fk,
                                                Task.kind == TaskKind.TEAM_ASSIGNMENT,
                                                Task.status == TaskStatus.OPEN))
    if waiting is None:
        waiting = task_service.open_task(
            session, TaskKind.TEAM_ASSIGNMENT, "team_assigned",
            owner=task_service.Owner(OwnerKind.TEAM, team.team_id, team.name),
            start=inv.started_at, due=inv.team_due_at, jurisdiction=team.jurisdiction, case_fk=inv.case_fk)
    task_service.close_task(session, waiting, "done", at=now,
                            note=f"team {team.team_id}")
    task_service.open_task(session, TaskKind.INVESTIGATION, "contacts_placed",
                           owner=task_service.Owner(OwnerKind.TEAM, team.team_id, team.name),
                           start=inv.started_at,
                           due=inv.contacts_due_at, jurisdiction=team.jurisdiction, case_fk=inv.case_fk)
    audit(session, acting(session), "investigation.assigned", "case", inv.case_fk, after={"team": team.team_id,
                                                                             "at": now.isoformat()})


def open_investigation(session: Session, case: Case, *, now: datetime) -> Investigation:
    """The case's investigation (one per case): the least-loaded free team of its jurisdiction at once, or
    an open team-assignment task for the district when every team is busy. Re-running changes nothing."""
    inv = session.scalar(select(Investigation).where(Investigation.case_fk == case.id))
    if inv is not None:
        return inv
    start = case.declared_at or now
    inv = Investigation(case_fk=case.id, status=InvestigationStatus.WAITING, declared_trajectory=[],
                        started_at=start,
                        team_due_at=task_service.deadline("team_assigned", start),
                        contacts_due_at=task_service.deadline("contacts_placed", start))
    session.add(inv)
    session.flush()
    community = case.person.community
    team = _pick(session, community)
    if team is not None:
        _assign(session, inv, team, now)
    else:
        district = district_of(community)
        task_service.open_task(session, TaskKind.TEAM_ASSIGNMENT, "team_assigned",
                               owner=task_service.Owner(OwnerKind.DISTRICT, district, None), start=start,
                               due=inv.team_due_at, jurisdiction=community, case_fk=case.id,
                               note="no free tracing team")
        audit(session, acting(session), "investigation.waiting", "case", case.case_no, after={"community": community})
    session.flush()
    return inv


def assign_waiting(session: Session, *, now: datetime) -> int:
    """Give waiting cases (oldest first) a team now free; returns how many got one."""
    waiting = session.scalars(select(Investigation).where(Investigation.status == InvestigationStatus.WAITING)
                              .order_by(Investigation.started_at, Investigation.id))
    assigned = 0
    for inv in list(waiting):
        team = _pick(session, inv.case.person.community)
        if team is not None:
            _assign(session, inv, team, now)
            session.flush()
            assigned += 1
    return assigned


def investigation_state(inv: Investigation) -> dict:
    return {"case_id": inv.case.case_no, "team": inv.team.team_id if inv.team else None, "status": inv.status,
            "version": inv.version, "notes": inv.notes, "declared_trajectory": inv.declared_trajectory}


def update_investigation(session: Session, inv: Investigation, *, version: int, now: datetime,
                         status: str | None = None, notes: str | None = None,
                         declared_trajectory: list[dict] | None = None) -> Investigation:
    """The team's record: notes, declared trajectory, status (forward only). Closing it closes the team's
    task and frees the team. An update from an older version is refused (409 with the current state)."""
    if version != inv.version:
        raise Conflict(f"investigation of case {inv.case.case_no} was changed by someone else "
                       f"(version {inv.version}, you sent {version}); reload and try again",
                       details=[investigation_state(inv)], key="err_stale")
    before = investigation_state(inv)
    if status is not None:
        _check_step(inv, status)
        inv.status = status
    if notes is not None:
        inv.notes = notes
    if declared_trajectory is not None:
        inv.declared_trajectory = declared_trajectory
    if inv.status == InvestigationStatus.CLOSED and inv.closed_at is None:
        inv.closed_at = now
        task = session.scalar(select(Task).where(Task.case_fk == inv.case_fk,
                                                 Task.kind == TaskKind.INVESTIGATION,
                                                 Task.status == TaskStatus.OPEN))
        if task is not None:
            task_service.close_task(session, task, "done", at=now)
    case_no = inv.case.case_no  # read before the flush: after a failed one the session refuses every load
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"investigation of case {case_no} was changed by someone else at the same time; "
                       "reload and try again", key="err_stale") from None
    audit(session, acting(session), "investigation.update", "case", inv.case.case_no, before=before,
          after=investigation_state(inv))
    if inv.status == InvestigationStatus.CLOSED:
        assign_waiting(session, now=now)
    return inv


def _check_step(inv: Investigation, status: str) -> None:
    if status not in INVESTIGATION_STATUSES[1:]:
        raise InvalidInput(f"status must be one of {', '.join(INVESTIGATION_STATUSES[1:])}", key="err_bad_investigation_status")
    if inv.status == InvestigationStatus.WAITING:
        raise Conflict(f"case {inv.case.case_no} has no team yet; its investigation cannot move on",
                       key="inv_no_team", params={"case": inv.case.case_no})
    if INVESTIGATION_STATUSES.index(status) < INVESTIGATION_STATUSES.index(inv.status):
        raise Conflict(f"investigation of case {inv.case.case_no} is {inv.status}; it cannot go back to {status}",
                       key="inv_no_back", params={"case": inv.case.case_no})


def get_investigation(session: Session, case: Case) -> Investigation:
    inv = session.scalar(select(Investigation).where(Investigation.case_fk == case.id))
    if inv is None:
        raise NotFound(f"case {case.case_no} has no investigation yet", key="err_no_investigation", params={"case": case.case_no})
    return inv


def list_investigations(session: Session, *, team: TracingTeam | None = None, status: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Investigation]:
    q = select(Investigation).order_by(Investigation.id).limit(limit).offset(offset)
    if team is not None:
        q = q.where(Investigation.team_fk == team.id)
    if status:
        q = q.where(Investigation.status == status)
    return list(session.scalars(q).unique())
