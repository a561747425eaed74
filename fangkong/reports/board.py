"""The risk persons board: one filtered, sorted, paginated query across risk persons, people and measures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskPerson
from fangkong.db.scoping import cut
from fangkong.measures.models import Measure, MeasureStatus
from fangkong.measures.obligations import in_force
from fangkong.people.models import Person
from fangkong.protocol.edition import MEASURE_KINDS
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


def _strictest_then(at: datetime):
    """SQL, correlated with the risk person: the id of the strictest measure of his person in force at `at`, from
    the records' history (reports.service.in_force_at, the bulletin's reading), the earliest of equals."""
    m2 = aliased(Measure)
    rank = case(*[(m2.kind == k, i) for i, k in enumerate(MEASURE_KINDS)], else_=len(MEASURE_KINDS))
    return (select(m2.id).where(m2.person_fk == RiskPerson.person_fk, m2.start_at <= at,
                                or_(m2.ended_at.is_(None), m2.ended_at > at), or_(m2.needs_results, m2.end_at > at))
            .order_by(rank, m2.id).limit(1).scalar_subquery())


def _strictest_now(m):
    """SQL: `m` (the measure joined to the risk person) is his person's strictest measure in force now (active,
    or held on as the person became a case), the earliest of equals: one row per risk person, as the overview
    counts them (joining every measure in force showed a person under two obligations twice: 1 057 rows for 917
    records). As a NOT EXISTS of a stricter one on the (person, status) index, so that a filter on the measure's
    kind still starts from the measures (a correlated "the strictest one's id" was 4-7 times slower there)."""
    m3 = aliased(Measure)

    def rank(x):
        return case(*[(x.kind == k, i) for i, k in enumerate(MEASURE_KINDS)], else_=len(MEASURE_KINDS))
    in_force = (MeasureStatus.ACTIVE, MeasureStatus.BECAME_CASE)
    stricter = select(m3.id).where(m3.person_fk == m.person_fk, m3.status.in_(in_force), m3.id != m.id,
                                   or_(rank(m3) < rank(m), and_(rank(m3) == rank(m), m3.id < m.id)))
    return and_(m.person_fk == RiskPerson.person_fk, m.status.in_(in_force), ~stricter.exists())


def _query(f: BoardFilter, now: datetime, past: bool = False, slim: bool = False):
    """The board's query and its "late" expression. `slim`: the risk person's id and the measure's alone, joined
    to the people and the cases only where a filter or the sort needs them (the count and the page's ids: at
    1 M persons, joining every risk person's person before counting or sorting cost ~0.1 s each)."""
    m = aliased(Measure)
    # the measure shown: the one in force now, or on a past day the strictest in force at its end
    held = m.id == _strictest_then(now) if past else _strictest_now(m)
    if slim:
        q = select(RiskPerson.id, m.id.label("mid"))
        if f.case_id or f.sort == "case":
            q = q.join(Case, Case.id == RiskPerson.case_fk)
        if f.community or f.sort in ("person", "community"):
            q = q.outerjoin(Person, Person.id == RiskPerson.person_fk)
        q = q.outerjoin(m, held)
    else:
        q = (select(RiskPerson.id, m.id.label("mid"), RiskPerson.person_fk, RiskPerson.phone, RiskPerson.category,
                    RiskPerson.override_reason, RiskPerson.found_at, RiskPerson.placed_deadline_at,
                    Person.person_id, Person.name, Person.community, Case.case_no, m.kind, m.end_at)
             .join(Case, Case.id == RiskPerson.case_fk)
             .outerjoin(Person, Person.id == RiskPerson.person_fk)
             .outerjoin(m, held))
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
    # (the set of late risk persons, read once: as a correlated EXISTS, SQLite walked every open overdue task
    # through the status index for each risk person, 18 s at 10 000 risk persons and 1 M persons)
    late_task = RiskPerson.id.in_(select(Task.risk_person_fk).where(Task.risk_person_fk.is_not(None),
                                                                     open_as_of(now, past), Task.due_at < now))
    overdue = or_(late_task, and_(RiskPerson.placed_deadline_at < now, m.id.is_(None)))
    if f.overdue:
        q = q.where(overdue)
    return q, overdue


def board(session: Session, f: BoardFilter, *, now: datetime, limit: int = 50, offset: int = 0,
          past: bool = False) -> tuple[int, list[BoardRow]]:
    """(total matching, one page of rows); everything filtered, sorted and counted in the database. `past`: as
    of `now`, a past day's end (found by then, late then, and the measure in force then: the strictest measure
    row in force at `now` by its history, and on the page's rows the obligations' reading as of `now`
    (measures.obligations.in_force: a measure whose results had met its end condition by then is over though
    no one had released it yet))."""
    ids, _ = _query(f, now, past, slim=True)
    total = session.scalar(select(func.count()).select_from(cut(session, ids).subquery())) or 0   # cut: scoped
    column = SORTS.get(f.sort, SORTS["found"])[0]
    page = session.execute(ids.order_by(column.desc() if f.descending() else column.asc(), RiskPerson.id)
                           .limit(limit).offset(offset)).all()
    if not page:
        return total, []
    # the page's rows in full, read for its ids only, in the page's order
    q, overdue = _query(f, now, past)
    full = {(r.id, r.mid): r for r in session.execute(q.add_columns(overdue.label("late")).where(
        RiskPerson.id.in_({p.id for p in page})))}
    found = [full[p.id, p.mid] for p in page if (p.id, p.mid) in full]
    then = _measures_then(session, [r.person_fk for r in found if r.person_fk], now) if past else {}
    rows = []
    for r in found:
        kind, end = then.get(r.person_fk, (None, None)) if past else (r.kind, r.end_at)
        rows.append(BoardRow(risk_id=r.id, case_id=r.case_no, person_id=r.person_id, name=r.name,
                             community=r.community, phone=r.phone, category=r.category,
                             overridden=r.override_reason is not None, found_at=r.found_at,
                             deadline=r.placed_deadline_at, overdue=bool(r.late), measure_kind=kind,
                             measure_end=end))
    return total, rows


def _measures_then(session: Session, person_fks: list[int], at: datetime) -> dict[int, tuple[str, datetime]]:
    """Person → (kind, nominal end) of the strictest measure in force at `at` (the obligations' reading)."""
    out: dict[int, tuple[str, datetime]] = {}
    for fk, held in in_force(session, person_fks, at).items():
        measures = [o for o in held if o.kind == "measure" and o.measure_kind]
        if measures:
            best = min(measures, key=lambda o: (_rank(o.measure_kind), o.measure_id or 0))
            out[fk] = (best.measure_kind, best.end_at)
    return out


def _rank(kind: str) -> int:
    return MEASURE_KINDS.index(kind) if kind in MEASURE_KINDS else len(MEASURE_KINDS)


def communities(session: Session) -> list[str]:
    # driven from the (small) risk persons, not from the register of millions
    q = select(Person.community).where(Person.id.in_(select(RiskPerson.person_fk))).distinct()
    return sorted(c for c in session.scalars(q) if c)


