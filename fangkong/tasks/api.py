"""HTTP routes of tasks: what is open, what is late, and who owns it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.db.core import utcnow
from fangkong.kit.deps import Page, SessionDep
from fangkong.protocol.times import AwarePlanned
from fangkong.tasks import service
from fangkong.tasks.models import TASK_KINDS, TASK_STATUSES
from fangkong.tasks.schemas import TaskRead

router = APIRouter(prefix="/api/tasks", tags=["tasks"])
KindQ = Annotated[str | None, Query(pattern=f"^({'|'.join(TASK_KINDS)})$")]
StatusQ = Annotated[str | None, Query(pattern=f"^({'|'.join(TASK_STATUSES)})$")]
CodeQ = Annotated[str | None, Query(max_length=64, pattern=r"^[\w-]+$")]


@router.get("", response_model=list[TaskRead])
def list_tasks(session: SessionDep, page: Page, overdue: bool = False, status: StatusQ = "open",
               kind: KindQ = None, owner: CodeQ = None, jurisdiction: CodeQ = None,
               at: Annotated[AwarePlanned | None,
                             Query(description="evaluate deadlines at this time (default now)")] = None):
    """Open tasks, most urgent first; `overdue=true` lists only those past their deadline, with their owner."""
    now = at or utcnow()
    rows = service.list_tasks(session, now=now, overdue=overdue, status=status, kind=kind, owner=owner,
                              jurisdiction=jurisdiction, limit=page.limit, offset=page.offset)
    return [TaskRead.of(t, now) for t in rows]


@router.get("/{task_id}", response_model=TaskRead)
def read_task(session: SessionDep, task_id: Annotated[int, Path(ge=1, le=2**31 - 1)]):
    return TaskRead.of(service.get_task(session, task_id), utcnow())
