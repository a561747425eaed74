"""Case services: a positive result becomes a suspected case, a re-check declares it, or declare directly."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case, CaseStatus
from fangkong.db.audit import AuditEntry, audit
from fangkong.db.changes import mark_changed, mark_reported, mark_ruled_out
from fangkong.db.core import utcnow
from fangkong.db.scope import acting
from fangkong.db.scoping import cut
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.tasks.service import deadline

__all__ = ["report_positive", "recheck", "declare_case", "get_case", "list_cases", "declared_on", "case_page",
           "of_persons", "rule_out", "rule_out_effect", "CASE_SORTS"]


def _open_case(session: Session, person_fk: int) -> Case | None:
    return session.scalar(select(Case).where(Case.person_fk == person_fk,
                                             Case.status != CaseStatus.RULED_OUT))


def _check_times(sampled_at: datetime, isolated_at: datetime | None) -> None:
    for name, t in (("sampled_at", sampled_at), ("isolated_at", isolated_at)):
        if t is not None and t.tzinfo is None:
            raise InvalidInput(f"{name} must carry a time zone", key="err_time_zone")


def report_positive(session: Session, person_id: str, *, sampled_at: datetime,
                    now: datetime | None = None) -> Case:
    """A first positive result: a suspected case (可疑阳性), placed within the deadline, not yet traced."""
    person = people_service.get_person(session, person_id)
    if _open_case(session, person.id):
        raise Conflict(f"person {person_id} already has an open case", key="err_open_case", params={"person": person_id})
    now = now or utcnow()
    case = Case(person_fk=person.id, status=CaseStatus.SUSPECTED, sampled_at=sampled_at, reported_at=now,
                placed_deadline_at=deadline("case_placed", now))
    session.add(case)
    session.flush()
    case.case_no = f"C{case.id:06d}"
    audit(session, acting(session), "case.suspected", "case", case.case_no, after={"person_id": person_id})
    mark_changed(session, [person.id], now)
    mark_reported(session, person.id, now)  # the secondary contacts found through him are upgraded at commit
    return case


def recheck(session: Session, case: Case, *, positive: bool, onset_date: date | None = None,
            isolated_at: datetime | None = None, now: datetime | None = None) -> Case:
    """复核: a positive re-check declares the case (confirmed if symptomatic, else asymptomatic)."""
    if case.status != CaseStatus.SUSPECTED:
        raise Conflict(f"case {case.case_no} is {case.status}, not awaiting a re-check", key="err_not_awaiting_recheck",
                       params={"case": case.case_no})
    now = now or utcnow()
    before = {"status": case.status}
    if not positive:
        case.status = CaseStatus.RULED_OUT
    else:
        case.status = CaseStatus.CONFIRMED if onset_date else CaseStatus.ASYMPTOMATIC
        case.onset_date = onset_date
        case.isolated_at = isolated_at
        case.declared_at = now
    audit(session, acting(session), "case.recheck", "case", case.case_no, before=before,
          after={"status": case.status})
    mark_changed(session, [case.person_fk], now)
    return case


def declare_case(session: Session, person_id: str, *, sampled_at: datetime, onset_date: date | None = None,
                 isolated_at: datetime | None = None, last_negative_at: datetime | None = None,
                 severity: str | None = None, imported: bool = False, now: datetime | None = None) -> Case:
    """Declare a case directly (an epidemiologist's decision after the re-check); `imported` declares it an
    imported case (境外输入: infected abroad, e.g. found at the port of entry)."""
    _check_times(sampled_at, isolated_at)
    now = now or utcnow()
    if last_negative_at is not None and last_negative_at > sampled_at:
        raise InvalidInput("last negative sample is after the positive sample", key="err_negative_after_positive")
    person = people_service.get_person(session, person_id)
    case = _open_case(session, person.id)
    if case is not None and case.status in DECLARED:
        raise Conflict(f"person {person_id} is already case {case.case_no}", key="err_already_case",
                       params={"person": person_id, "case": case.case_no})
    if case is None:
        case = report_positive(session, person_id, sampled_at=sampled_at, now=now)
    case.last_negative_at = last_negative_at
    case.severity = severity
    case.imported = imported
    return recheck(session, case, positive=True, onset_date=onset_date, isolated_at=isolated_at, now=now)


def rule_out(session: Session, case: Case, *, reason: str, now: datetime | None = None) -> Case:
    """Rule out a *declared* case (a false positive found by a later re-check, or the wrong person): it is no case
    any more, audited with the reason. What followed from it ends as of `now`, at the unit of work's commit (the
    measures domain: measures/ruleout.py; docs/rules.md, "A case ruled out after declaration"). A suspected case is
    ruled out by its re-check (`recheck`)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("give the reason for ruling the case out", key="err_rule_out_reason")
    if case.status not in DECLARED:
        raise Conflict(f"case {case.case_no} is {case.status}, not a declared case", key="err_not_declared",
                       params={"case": case.case_no})
    now = now or utcnow()
    if case.declared_at is not None and now < case.declared_at:
        raise InvalidInput("the ruling is before the declaration", key="err_rule_out_early",
                           params={"case": case.case_no})
    before = {"status": case.status}
    case.status = CaseStatus.RULED_OUT
    audit(session, acting(session), "case.ruled_out", "case", case.case_no, before=before,
          after={"status": case.status, "reason": reason[:500], "at": now.isoformat()})
    mark_changed(session, [case.person_fk], now)
    mark_ruled_out(session, case.id, now)
    return case


def rule_out_effect(session: Session, case_no: str) -> dict:
    """What the last ruling-out of this case did, as the measures domain recorded it at commit (persons whose
    obligations ended, obligations in force again, hospital stays ended); {} when it was not ruled out."""
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "case.ruled_out_effect",
                                                    AuditEntry.entity_id == case_no).order_by(AuditEntry.id.desc()))
    return dict(entry.after or {}) if entry is not None else {}


def get_case(session: Session, case_ref: str | int) -> Case:
    """A case by its number (C000001) or numeric id."""
    ref = str(case_ref).strip()
    case = session.scalar(select(Case).where(Case.case_no == ref.upper()))
    if case is None and ref.isdigit() and len(ref) < 12:
        case = session.get(Case, int(ref))
    if case is None:
        raise NotFound(f"unknown case {ref!r}", key="err_unknown_case", params={"case": ref})
    return case


def list_cases(session: Session, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[Case]:
    q = select(Case).order_by(Case.id.desc()).limit(limit).offset(offset)
    if status:
        q = q.where(Case.status == status)
    return list(session.scalars(q))


#: the case list's sortable columns (issue 25): key → (column, descending first)
CASE_SORTS = {"case": (Case.id, True), "declared": (Case.declared_at, True), "sampled": (Case.sampled_at, True),
              "status": (Case.status, False)}


def case_page(session: Session, *, status: str | None = None, community: str | None = None, sort: str = "case",
              desc: bool | None = None, limit: int = 50, offset: int = 0,
              until: datetime | None = None) -> tuple[int, list[Case]]:
    """(total, one page of cases), filtered, sorted and counted in the database (cut to the jurisdiction);
    `until`: those known by then (declared, or sampled when not declared: a past day's list)."""
    q = select(Case)
    if until is not None:
        q = q.where(or_(Case.declared_at <= until, and_(Case.declared_at.is_(None), Case.sampled_at <= until)))
    if status:
        q = q.where(Case.status == status)
    if community:
        q = q.where(Case.person_fk.in_(select(Person.id).where(Person.community == community)))
    total = session.scalar(select(func.count()).select_from(cut(session, q).subquery())) or 0
    column, first_desc = CASE_SORTS.get(sort, CASE_SORTS["case"])
    down = first_desc if desc is None else desc
    q = q.order_by(column.desc() if down else column.asc(), Case.id.desc()).limit(limit).offset(offset)
    return total, list(session.scalars(q))


def communities(session: Session) -> list[str]:
    """The communities where cases live (the case list's filter), cut to the jurisdiction: from the (few) cases,
    not from the register of millions."""
    q = select(Person.community).where(Person.id.in_(select(Case.person_fk))).distinct()
    return sorted(c for c in session.scalars(q) if c)


def of_persons(session: Session, person_fks: list[int]) -> list[Case]:
    """The cases of these persons (the search's answer)."""
    if not person_fks:
        return []
    return list(session.scalars(select(Case).where(Case.person_fk.in_(person_fks)).order_by(Case.id)))


def declared_on(session: Session, day: date, *, tz) -> list[Case]:
    """Cases declared on a calendar day of the deployment's zone, in the order they were declared."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    q = (select(Case).where(Case.status.in_(DECLARED), Case.declared_at >= start,
                            Case.declared_at < start + timedelta(days=1)).order_by(Case.declared_at, Case.id))
    return list(session.scalars(q))
