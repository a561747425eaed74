"""HTTP routes of tracing teams and the investigation record of each case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.cases import service
from fangkong.contacts.teams import service as teams
from fangkong.contacts.teams.schemas import (
    InvestigationRead,
    InvestigationUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)
from fangkong.db.core import utcnow
from fangkong.kit.deps import Page, SessionDep

router = APIRouter(tags=["teams"])
TeamId = Annotated[str, Path(max_length=32, pattern=r"^[\w-]+$")]
CaseId = Annotated[str, Path(max_length=20)]


@router.post("/api/teams", response_model=TeamRead, status_code=201)
def register_team(session: SessionDep, body: TeamCreate):
    """A tracing team (2 CDC/medical + 1 police); waiting cases of its jurisdiction go to it at once."""
    team = teams.register_team(session, body.team_id, name=body.name, jurisdiction=body.jurisdiction,
                               members=[m.model_dump() for m in body.members], max_cases=body.max_cases,
                               now=utcnow())
    return TeamRead.of(team, teams.load_of(session, team))


@router.get("/api/teams", response_model=list[TeamRead])
def list_teams(session: SessionDep):
    return [TeamRead.of(tm, n) for tm, n in teams.list_teams(session)]


@router.patch("/api/teams/{team_id}", response_model=TeamRead)
def update_team(session: SessionDep, team_id: TeamId, body: TeamUpdate):
    team = teams.set_team_status(session, teams.get_team(session, team_id), body.status, now=utcnow())
    return TeamRead.of(team, teams.load_of(session, team))


@router.get("/api/investigations", response_model=list[InvestigationRead])
def list_investigations(session: SessionDep, page: Page, team: Annotated[str | None, Query(max_length=32)] = None,
                        status: Annotated[str | None, Query(
                            pattern="^(waiting|assigned|interviewing|trajectory_confirmed|closed)$")] = None):
    tm = teams.get_team(session, team) if team else None
    return [InvestigationRead.of(i) for i in teams.list_investigations(session, team=tm, status=status,
                                                                       limit=page.limit, offset=page.offset)]


@router.get("/api/cases/{case_id}/investigation", response_model=InvestigationRead)
def read_investigation(session: SessionDep, case_id: CaseId):
    return InvestigationRead.of(teams.get_investigation(session, service.get_case(session, case_id)))


@router.patch("/api/cases/{case_id}/investigation", response_model=InvestigationRead)
def update_investigation(session: SessionDep, case_id: CaseId, body: InvestigationUpdate):
    """The team's record; send the `version` you read: a stale one is refused with 409 and the current state."""
    inv = teams.get_investigation(session, service.get_case(session, case_id))
    trajectory = [p.as_json() for p in body.declared_trajectory] if body.declared_trajectory is not None else None
    inv = teams.update_investigation(session, inv, version=body.version, now=utcnow(), status=body.status,
                                     notes=body.notes, declared_trajectory=trajectory)
    return InvestigationRead.of(inv)
