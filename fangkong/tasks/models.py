"""Tables of timed work: tasks (one row per timed step, owner, deadline, outcome)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["CLOSED", "OWNER_KINDS", "TASK_KINDS", "TASK_STATUSES", "OwnerKind", "Task", "TaskKind",
           "TaskStatus"]

class TaskKind(StrEnum):
    """team_assignment: a case waits for a tracing team; investigation: the team finds and places the close
    contacts; verification: a community checks a risk person at the door (落地核查); transfer: a person is
    brought to their isolation room; room_needed: no free room was found; case_transfer: a case is brought to
    a designated hospital; symptom_alert: a check-in reported symptoms; resample: a scheduled test came back
    invalid and the person is sampled again"""

    TEAM_ASSIGNMENT = "team_assignment"
    INVESTIGATION = "investigation"
    VERIFICATION = "verification"
    TRANSFER = "transfer"
    ROOM_NEEDED = "room_needed"
    CASE_TRANSFER = "case_transfer"
    SYMPTOM_ALERT = "symptom_alert"
    RESAMPLE = "resample"


class TaskStatus(StrEnum):
    """open → done, or one of the verification outcomes; cancelled when its cause went away"""

    OPEN = "open"
    DONE = "done"
    FORWARDED = "forwarded"
    NOT_FOUND = "not_found"
    WRONG_PERSON = "wrong_person"
    CANCELLED = "cancelled"


class OwnerKind(StrEnum):
    TEAM = "team"
    COMMUNITY = "community"
    DISTRICT = "district"
    SITE = "site"
    HOSPITAL = "hospital"


TASK_KINDS = tuple(m.value for m in TaskKind)
TASK_STATUSES = tuple(m.value for m in TaskStatus)
CLOSED = TASK_STATUSES[1:]
OWNER_KINDS = tuple(m.value for m in OwnerKind)


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (Index("ix_task_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    #: the deadline step of the clock it runs against (protocol.deadlines)
    step: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN)
    #: jurisdiction code the task belongs to (a community for a verification); scopes who may close it
    jurisdiction: Mapped[str | None] = mapped_column(String(32), index=True)
    owner_kind: Mapped[str] = mapped_column(String(20))
    owner_ref: Mapped[str] = mapped_column(String(64), index=True)
    owner_name: Mapped[str | None] = mapped_column(String(200))
    case_fk: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: indexed: deleting a case's risk persons (a re-trace) sets this to NULL, found by the index
    risk_person_fk: Mapped[int | None] = mapped_column(ForeignKey("risk_person.id", ondelete="SET NULL"),
                                                       index=True)
    measure_fk: Mapped[int | None] = mapped_column(ForeignKey("measure.id"), index=True)
    #: the task this one was forwarded from (a person who moved to another community)
    parent_fk: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the scheduler found it past its deadline and told the commander (once per task)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: optimistic locking: every update bumps it; an update carrying an older version is refused
    version: Mapped[int] = mapped_column(Integer, default=1)

    person = relationship("Person", lazy="joined")
    case = relationship("Case", lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def is_overdue(self, now: datetime) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < now
