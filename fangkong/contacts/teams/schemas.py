"""API shapes of tracing teams and investigations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fangkong.contacts.teams.models import InvestigationStatus, TeamStatus
from fangkong.protocol.times import AwareHappened

__all__ = ["MemberIn", "TeamCreate", "TeamUpdate", "TeamRead", "TrajectoryPoint", "InvestigationUpdate",
           "InvestigationRead"]

Code = Field(min_length=2, max_length=32, pattern=r"^\d+$")


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    role: Literal["cdc", "medical", "police"]
    phone: str | None = Field(None, pattern=r"^1\d{10}$")


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: str = Field(min_length=1, max_length=32, pattern=r"^[\w-]+$")
    name: str = Field(min_length=1, max_length=100)
    jurisdiction: str = Code
    members: list[MemberIn] = Field(min_length=3, max_length=12)
    max_cases: int = Field(2, ge=1, le=50)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["on_duty", "off_duty"]


class TeamRead(BaseModel):
    team_id: str
    name: str
    jurisdiction: str
    members: list[dict]
    max_cases: int
    status: TeamStatus
    open_cases: int

    @classmethod
    def of(cls, team, load: int) -> TeamRead:
        return cls(team_id=team.team_id, name=team.name, jurisdiction=team.jurisdiction, members=team.members,
                   max_cases=team.max_cases, status=team.status, open_cases=load)


class TrajectoryPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: str = Field(min_length=1, max_length=200)
    start: AwareHappened
    end: AwareHappened | None = None
    note: str | None = Field(None, max_length=500)

    def as_json(self) -> dict:
        return {"place": self.place, "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None, "note": self.note}


class InvestigationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=2**31)
    status: Literal["assigned", "interviewing", "trajectory_confirmed", "closed"] | None = None
    notes: str | None = Field(None, max_length=20_000)
    declared_trajectory: list[TrajectoryPoint] | None = Field(None, max_length=2000)


class InvestigationRead(BaseModel):
    case_id: str
    team: str | None
    status: InvestigationStatus
    notes: str | None
    declared_trajectory: list[dict]
    started_at: datetime
    assigned_at: datetime | None
    team_due_at: datetime
    contacts_due_at: datetime
    closed_at: datetime | None
    version: int

    @classmethod
    def of(cls, inv) -> InvestigationRead:
        return cls(case_id=inv.case.case_no, team=inv.team.team_id if inv.team else None, status=inv.status,
                   notes=inv.notes, declared_trajectory=inv.declared_trajectory, started_at=inv.started_at,
                   assigned_at=inv.assigned_at, team_due_at=inv.team_due_at, contacts_due_at=inv.contacts_due_at,
                   closed_at=inv.closed_at, version=inv.version)
