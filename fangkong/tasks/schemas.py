"""API shapes of tasks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from fangkong.tasks.models import OwnerKind, TaskKind, TaskStatus

__all__ = ["TaskRead"]


class TaskRead(BaseModel):
    id: int
    kind: TaskKind
    step: str
    status: TaskStatus
    jurisdiction: str | None
    owner_kind: OwnerKind
    owner: str
    owner_name: str | None
    case_id: str | None
    person_id: str | None
    started_at: datetime
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    overdue: bool
    overdue_minutes: int
    note: str | None
    version: int

    @classmethod
    def of(cls, task, now: datetime) -> TaskRead:
        late = (now - task.due_at) if task.status == TaskStatus.OPEN else (task.done_at or now) - task.due_at
        return cls(id=task.id, kind=task.kind, step=task.step, status=task.status, jurisdiction=task.jurisdiction,
                   owner_kind=task.owner_kind, owner=task.owner_ref, owner_name=task.owner_name,
                   case_id=task.case.case_no if task.case else None,
                   person_id=task.person.person_id if task.person else None, started_at=task.started_at,
                   due_at=task.due_at, done_at=task.done_at, done_by=task.done_by, overdue=task.is_overdue(now),
                   overdue_minutes=max(0, int(late.total_seconds() // 60)), note=task.note, version=task.version)
