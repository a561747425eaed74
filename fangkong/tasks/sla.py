"""The SLA board (issue 25): open tasks against their deadlines (DOMAIN.md §3), per kind and per owner (a
tracing team, a community, a site, a hospital), overdue and due soon; and the overdue count as of any instant,
from the tasks' own history (opened by then, not closed by then)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fangkong.db.scope import scope_of
from fangkong.people.models import Person
from fangkong.tasks.models import Task, TaskStatus

__all__ = ["DUE_SOON", "OwnerLoad", "by_owner", "by_kind", "open_as_of", "overdue_at", "task_list", "count_tasks"]

#: an open task due within this long is "due soon" (the board's amber line)
DUE_SOON = timedelta(hours=2)


def _scoped(session: Session, q):
    """A task is seen where its jurisdiction lies (the data layer's rule); a task about a person (a site's
    transfer of another district's resident) only where that person lives, too: the page names the person."""
    prefix = scope_of(session)
    if not prefix:
        return q
    return q.where(or_(Task.person_fk.is_(None), select(Person.id).where(
        Person.id == Task.person_fk, Person.community.startswith(prefix, autoescape=True)).exists()))


def _open_at(at: datetime):
    """SQL: the task had been opened by `at` and not closed by then (closed tasks keep when they closed)."""
    return and_(Task.started_at <= at, or_(Task.done_at.is_(None), Task.done_at > at),
                or_(Task.status == TaskStatus.OPEN, Task.done_at.is_not(None)))


def open_as_of(at: datetime, past: bool = False):
    """SQL: the task is open (the status column); `past`: it was open at `at`, from the tasks' own history (a past
    day's pages, the header's day control: what was open at the day's end)."""
    return _open_at(at) if past else Task.status == TaskStatus.OPEN


def overdue_at(session: Session, at: datetime) -> dict[str, int]:
    """Tasks open and past their deadline at `at`, per kind (one aggregate query): now for today, the day's end
    for a past day (the demo's "overdue at day end")."""
    rows = session.execute(_scoped(session, select(Task.kind, func.count()).where(_open_at(at), Task.due_at < at)
                                   .group_by(Task.kind)))
    return {k: n for k, n in rows}


def by_kind(session: Session, *, now: datetime, soon: timedelta = DUE_SOON, past: bool = False
            ) -> dict[str, dict[str, int]]:
    """Open tasks per kind (at `now`: open_as_of): open, overdue, due soon (one aggregate query)."""
    is_open = open_as_of(now, past)
    q = (select(Task.kind, func.count(), func.count().filter(Task.due_at < now),
                func.count().filter(Task.due_at >= now, Task.due_at < now + soon))
         .where(is_open).group_by(Task.kind))
    return {k: {"open": o, "overdue": late, "due_soon": s} for k, o, late, s in session.execute(_scoped(session, q))}


@dataclass(frozen=True)
class OwnerLoad:
    owner_kind: str
    owner_ref: str
    owner_name: str | None
    open: int
    overdue: int
    due_soon: int
    oldest_due: datetime | None


def by_owner(session: Session, *, now: datetime, kind: str | None = None, soon: timedelta = DUE_SOON,
             limit: int = 100, past: bool = False) -> list[OwnerLoad]:
    """Per owner, its open tasks, how many are overdue and how many due soon, most overdue first."""
    late = func.count().filter(Task.due_at < now)
    q = (select(Task.owner_kind, Task.owner_ref, func.max(Task.owner_name), func.count(), late,
                func.count().filter(Task.due_at >= now, Task.due_at < now + soon), func.min(Task.due_at))
         .where(open_as_of(now, past)).group_by(Task.owner_kind, Task.owner_ref)
         .order_by(late.desc(), func.count().desc(), Task.owner_ref).limit(limit))
    if kind:
        q = q.where(Task.kind == kind)
    return [OwnerLoad(*row) for row in session.execute(_scoped(session, q))]


def _filtered(q, *, now: datetime, kind: str | None, owner: str | None, state: str, soon: timedelta, past: bool):
    q = q.where(open_as_of(now, past))
    if state == "overdue":
        q = q.where(Task.due_at < now)
    elif state == "due_soon":
        q = q.where(Task.due_at >= now, Task.due_at < now + soon)
    if kind:
        q = q.where(Task.kind == kind)
    if owner:
        q = q.where(Task.owner_ref == owner)
    return q


def count_tasks(session: Session, *, now: datetime, kind: str | None = None, owner: str | None = None,
                state: str = "overdue", soon: timedelta = DUE_SOON, past: bool = False) -> int:
    q = _filtered(select(func.count(Task.id)), now=now, kind=kind, owner=owner, state=state, soon=soon, past=past)
    return session.scalar(_scoped(session, q)) or 0


def task_list(session: Session, *, now: datetime, kind: str | None = None, owner: str | None = None,
              state: str = "overdue", soon: timedelta = DUE_SOON, limit: int = 50, offset: int = 0,
              past: bool = False) -> list[Task]:
    """The open tasks of a kind / an owner, overdue or due soon (or all open), the most overdue first."""
    q = _scoped(session, _filtered(select(Task), now=now, kind=kind, owner=owner, state=state, soon=soon,
                                   past=past))
    return list(session.scalars(q.order_by(Task.due_at, Task.id).limit(limit).offset(offset)).unique())
