"""Tables of tracing teams (流调队伍) and of each case's investigation (流调), with their statuses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["INVESTIGATION_STATUSES", "TEAM_STATUSES", "Investigation", "InvestigationStatus", "TeamStatus",
           "TracingTeam"]


class TeamStatus(StrEnum):
    """on_duty teams take new cases; off_duty teams keep their open cases but get no new one"""

    ON_DUTY = "on_duty"
    OFF_DUTY = "off_duty"


class InvestigationStatus(StrEnum):
    """waiting (no free team) → assigned → interviewing → trajectory_confirmed → closed (contacts
    confirmed)"""

    WAITING = "waiting"
    ASSIGNED = "assigned"
    INTERVIEWING = "interviewing"
    TRAJECTORY_CONFIRMED = "trajectory_confirmed"
    CLOSED = "closed"


TEAM_STATUSES = tuple(m.value for m in TeamStatus)
INVESTIGATION_STATUSES = tuple(m.value for m in InvestigationStatus)


class TracingTeam(Base):
    __tablename__ = "tracing_team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: jurisdiction code the team serves (usually a district: 140105)
    jurisdiction: Mapped[str] = mapped_column(String(32), index=True)
    #: [{"name", "role": cdc | medical | police, "phone"}]: 2 CDC/medical + 1 police (三公(工)联动)
    members: Mapped[list] = mapped_column(JSONType)
    #: open investigations the team can carry at once
    max_cases: Mapped[int] = mapped_column(Integer, default=2)
    status: Mapped[str] = mapped_column(String(20), default=TeamStatus.ON_DUTY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Investigation(Base):
    __tablename__ = "investigation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_fk: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    team_fk: Mapped[int | None] = mapped_column(ForeignKey("tracing_team.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True, default=InvestigationStatus.WAITING)
    notes: Mapped[str | None] = mapped_column(Text)
    #: the trajectory the case declared at the interview: [{"place", "start", "end", "note"}]
    declared_trajectory: Mapped[list] = mapped_column(JSONType, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the clock: a team by `team_due_at`, close contacts found and placed by `contacts_due_at`
    team_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    contacts_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    team = relationship("TracingTeam", lazy="joined")
    case = relationship("Case", lazy="joined")

    __mapper_args__ = {"version_id_col": version}
