"""The risk persons board: one filtered, sorted, paginated query across risk persons, people and measures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskPerson
from fangkong.measures.models import Measure, MeasureStatus
from fangkong.people.models import Person
from fangkong.tasks.models import Task
from fangkong.tasks.sla import open_as_of

__all__ = ["BoardFilter", "BoardRow", "board", "communities", "SORTS"]

#: sortable columns: key → (column, descending by default)
SORTS = {"found": (RiskPerson.found_at, True), "deadline": (RiskPerson.placed_deadline_at, False),
         "category": (RiskPerson.category, False), "person": (Person.person_id, False),
         "case": (Case.case_no, False), "community": (Person.community, False)}


@dataclass(frozen=True)
class BoardFilter:
    category: str | None = None
    kind: str | None = None
    community: str | None = None
    case_id: str | None = None
    overdue: bool = False
    sort: str = "found"
    #: None: the column's own default direction
    desc: bool | None = None

    def descending(self) -> bool:
        return SORTS.get(self.sort, SORTS["found"])[1] if self.desc is None else self.desc


@dataclass(frozen=True)
class BoardRow:
    risk_id: int
    case_id: str
    person_id: str | None
    name: str | None
    community: str | None
    phone: str | None
    category: str
    overridden: bool
    found_at: datetime
    deadline: datetime | None
    overdue: bool
    measure_kind: str | None
    measure_end: datetime | None


def _query(f: BoardFilter, now: datetime, past: bool = False):
    m = aliased(Measure)
    q = (select(RiskPerson.id, RiskPerson.phone, RiskPerson.category, RiskPerson.override_reason,
                RiskPerson.found_at, RiskPerson.placed_deadline_at, Person.person_id, Person.name, Person.community,
                Case.case_no, m.kind, m.end_at)
         .join(Case, Case.id == RiskPerson.case_fk)
         .outerjoin(Person, Person.id == RiskPerson.person_fk)
         .outerjoin(m, and_(m.person_fk == RiskPerson.person_fk,
                            m.status.in_((MeasureStatus.ACTIVE, MeasureStatus.BECAME_CASE)))))
    if f.category:
        q = q.where(RiskPerson.category == f.category)
    if f.kind:
        q = q.where(m.kind == f.kind)
    if f.community:
        q = q.where(Person.community == f.community)
    if f.case_id:
        q = q.where(Case.case_no == f.case_id.upper())
    if past:   # a past day (the pages' day control): the risk persons found by its end, late as of then
        q = q.where(RiskPerson.found_at <= now)
    # late (the SLA board's reading, the same as /verify's): a task on this risk person (its door-to-door check,
    # its transfer) open past its deadline, or not placed under any measure by its placement deadline
    late_task = (select(Task.id).where(Task.risk_person_fk == RiskPerson.id, open_as_of(now, past),
                                       Task.due_at < now).exists())
    overdue = or_(late_task, and_(RiskPerson.placed_deadline_at < now, m.id.is_(None)))
    if f.overdue:
        q = q.where(overdue)
    return q, overdue


def board(session: Session, f: BoardFilter, *, now: datetime, limit: int = 50, offset: int = 0,
          past: bool = False) -> tuple[int, list[BoardRow]]:
    """(total matching, one page of rows); everything filtered, sorted and counted in the database. `past`: as
    of `now`, a past day's end (found by then, late then; the measures are those in force now)."""
    q, overdue = _query(f, now, past)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    column = SORTS.get(f.sort, SORTS["found"])[0]
    q = q.add_columns(overdue.label("late")).order_by(column.desc() if f.descending() else column.asc(),
                                                      RiskPerson.id)
    rows = []
    for r in session.execute(q.limit(limit).offset(offset)):
        rows.append(BoardRow(risk_id=r.id, case_id=r.case_no, person_id=r.person_id, name=r.name,
                             community=r.community, phone=r.phone, category=r.category,
                             overridden=r.override_reason is not None, found_at=r.found_at,
                             deadline=r.placed_deadline_at, overdue=bool(r.late), measure_kind=r.kind,
                             measure_end=r.end_at))
    return total, rows


def communities(session: Session) -> list[str]:
    # driven from the (small) risk persons, not from the register of millions
    q = select(Person.community).where(Person.id.in_(select(RiskPerson.person_fk))).distinct()
    return sorted(c for c in session.scalars(q) if c)


