"""Task services: open a timed task with its deadline from the deployment's clock, close it, list what is late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from fangkong.db.audit import audit
from fangkong.db.scope import acting
from fangkong.errors import Conflict, Forbidden, InvalidInput, NotFound
from fangkong.protocol.deadlines import due_at
from fangkong.settings import Settings, get_settings
from fangkong.tasks import sla
from fangkong.tasks.models import CLOSED, OWNER_KINDS, TASK_KINDS, Task, TaskStatus

__all__ = ["Owner", "deadline", "open_task", "close_task", "get_task", "list_tasks", "overdue_counts",
           "check_version", "check_jurisdiction", "task_state", "covers", "flush_versioned"]


@dataclass(frozen=True)
class Owner:
    kind: str
    ref: str
    name: str | None = None


def deadline(step: str, start: datetime, *, settings: Settings | None = None) -> datetime:
    """When a step started at `start` is due, on this deployment's clock (FANGKONG_DEADLINES)."""
    settings = settings or get_settings()
    clock = settings.clock()
    if step not in clock:
        raise InvalidInput(f"unknown deadline step {step!r}", key="err_internal")
    return due_at(clock[step], start, settings.zone)


def open_task(session: Session, kind: str, step: str, *, owner: Owner, start: datetime,
              jurisdiction: str | None = None, due: datetime | None = None, case_fk: int | None = None,
              person_fk: int | None = None, risk_person_fk: int | None = None, measure_fk: int | None = None,
              parent_fk: int | None = None, note: str | None = None) -> Task:
    """A new open task, due by the clock's deadline for `step` counted from `start` (or at `due`)."""
    if kind not in TASK_KINDS:
        raise InvalidInput(f"unknown task kind {kind!r}", key="err_internal")
    if owner.kind not in OWNER_KINDS:
        raise InvalidInput(f"unknown owner kind {owner.kind!r}", key="err_internal")
    task = Task(kind=kind, step=step, status=TaskStatus.OPEN, jurisdiction=jurisdiction,
                owner_kind=owner.kind,
                owner_ref=owner.ref, owner_name=owner.name, case_fk=case_fk, person_fk=person_fk,
                risk_person_fk=risk_person_fk, measure_fk=measure_fk, parent_fk=parent_fk, started_at=start,
                due_at=due or deadline(step, start), note=note)
    session.add(task)
    return task


def close_task(session: Session, task: Task, status: str, *, at: datetime,
               note: str | None = None) -> Task:
    """Close an open task with an outcome; a closed task is never reopened or closed twice."""
    actor = acting(session)
    if status not in CLOSED:
        raise InvalidInput(f"status must be one of {', '.join(CLOSED)}", key="err_bad_state")
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is already {task.status}", details=[task_state(task)],
                       key="task_already_closed", params={"status": f"task_{task.status}"})
    before = {"status": task.status}
    task.status, task.done_at, task.done_by = status, at, actor
    if note:
        task.note = note[:500]
    audit(session, actor, f"task.{status}", "task", task.id, before=before,
          after={"status": status, "at": at.isoformat(), "late": at > task.due_at})
    return task


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"unknown task {task_id}", key="err_unknown_task", params={"id": task_id})
    return task


def covers(jurisdiction: str, code: str | None) -> bool:
    """A jurisdiction code covers every code it prefixes (district 140105 covers 140105001001)."""
    return bool(code) and code.startswith(jurisdiction)


def check_jurisdiction(task: Task, jurisdiction: str) -> None:
    """Only staff of the task's jurisdiction (or a jurisdiction above it) may act on it."""
    if not covers(jurisdiction, task.jurisdiction):
        raise Forbidden(f"task {task.id} belongs to jurisdiction {task.jurisdiction}, "
                        f"not to your jurisdiction {jurisdiction}", key="task_not_ours",
                        params={"theirs": task.jurisdiction, "mine": jurisdiction or "–"})


def check_version(task: Task, version: int) -> None:
    """Optimistic locking: the caller must have seen the current version, else 409 with the current state."""
    if version != task.version:
        raise Conflict(f"task {task.id} was changed by someone else (version {task.version}, you sent {version}); "
                       "reload and try again", details=[task_state(task)], key="err_stale")


def flush_versioned(session: Session, task: Task) -> None:
    """Write now, so a concurrent update of the same version is refused here (409), not at commit."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = session.get(Task, task.id)
        raise Conflict(f"task {task.id} was changed by someone else at the same time; reload and try again",
                       details=[task_state(current)] if current else [], key="err_stale") from None


def task_state(task: Task) -> dict:
    return {"id": task.id, "kind": task.kind, "status": task.status, "version": task.version,
            "owner": task.owner_name or task.owner_ref, "jurisdiction": task.jurisdiction,
            "person_id": task.person.person_id if task.person else None,
            "due_at": task.due_at.isoformat(), "done_at": task.done_at.isoformat() if task.done_at else None,
            "done_by": task.done_by, "note": task.note}


def list_tasks(session: Session, *, now: datetime, overdue: bool = False, status: str | None = "open",
               kind: str | None = None, owner: str | None = None, jurisdiction: str | None = None,
               case_fk: int | None = None, limit: int = 100, offset: int = 0, past: bool = False) -> list[Task]:
    """Tasks, most overdue first; `overdue` keeps the open ones past their deadline. One query (owner and
    subject are columns of the task or joined in), so the dashboard stays fast at any size."""
    q = select(Task).order_by(Task.due_at, Task.id).limit(limit).offset(offset)
    if overdue:
        q = q.where(sla.open_as_of(now, past), Task.due_at < now)
    elif status == TaskStatus.OPEN:
        q = q.where(sla.open_as_of(now, past))   # `past`: what was open at `now` (the pages' day control)
    elif status:
        q = q.where(Task.status == status)
    if kind:
        q = q.where(Task.kind == kind)
    if owner:
        q = q.where(or_(Task.owner_ref == owner, Task.owner_name == owner))
    if jurisdiction:
        q = q.where(Task.jurisdiction.startswith(jurisdiction, autoescape=True))
    if case_fk is not None:
        q = q.where(Task.case_fk == case_fk)
    return list(session.scalars(q).unique())


def overdue_counts(session: Session, *, now: datetime) -> dict[str, int]:
    """Open tasks past their deadline, per kind (one aggregate query)."""
    rows = session.execute(select(Task.kind, func.count()).where(Task.status == TaskStatus.OPEN,
                                                                 Task.due_at < now)
                           .group_by(Task.kind))
    return {k: n for k, n in rows}


def escalate_overdue(session: Session, *, now: datetime, limit: int = 1000) -> list[Task]:
    """Open tasks past their deadline not escalated yet: each is marked escalated (once: a task escalated stays
    so, done or not) and audited; the caller tells the commander. Oldest deadline first, `limit` per call."""
    tasks = list(session.scalars(select(Task).where(Task.status == TaskStatus.OPEN, Task.due_at < now,
                                                    Task.escalated_at.is_(None))
                                 .order_by(Task.due_at, Task.id).limit(limit)).unique())
    for task in tasks:
        task.escalated_at = now
        audit(session, "scheduler", "task.escalate", "task", str(task.id),
              after={"kind": task.kind, "due_at": task.due_at.isoformat(), "owner": task.owner_name or task.owner_ref})
    session.flush()
    return tasks
