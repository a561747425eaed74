"""Measure services: give every risk person the edition's measure, keep the stricter one, record tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures.models import TEST_RESULTS, Measure, TestTask
from fangkong.measures.obligations import CONTACT_CATEGORIES, end_obligation
from fangkong.people.models import Person
from fangkong.people.service import chunks
from fangkong.protocol.edition import Edition
from fangkong.protocol.measures import MeasurePlan, measure_for, stricter

__all__ = ["AssignResult", "assign_for_case", "active_measures", "list_measures", "record_test_result",
           "tests_due", "get_measure", "end_for_case"]

_AT_SITE = ("centralized_isolation",)


@dataclass
class AssignResult:
    created: int = 0
    kept: int = 0
    replaced: int = 0
    phone_only: int = 0
    #: found only after their period had already run out (counted from the last exposure): no measure
    expired: int = 0


def _plan_of(m: Measure) -> MeasurePlan:
    return MeasurePlan(category=m.category, kind=m.kind, start_at=m.start_at, phase_end_at=m.phase_end_at,
                       end_at=m.end_at, then_kind=m.then_kind, test_dates=tuple(t.due_date for t in m.tests))


def active_measures(session: Session, person_fks: list[int]) -> dict[int, Measure]:
    out: dict[int, Measure] = {}
    for part in chunks(sorted(set(person_fks))):
        for m in session.scalars(select(Measure).where(Measure.person_fk.in_(part), Measure.status == "active")):
            out[m.person_fk] = m
    return out


def assign_for_case(session: Session, case: Case, *, edition: Edition, tz: ZoneInfo, now: datetime,
                    actor: str = "system") -> AssignResult:
    """Every registered risk person of the case gets the edition's measure for their category.

    A person already under a measure keeps the stricter one (or the later end for the same kind);
    the replaced measure stays on record with status `replaced`. Periods run from the last exposure.
    """
    result = AssignResult()
    # the columns the rule reads, not RiskPerson objects: a case in a dense city has ~30 000 risk persons, and
    # loading them whole (their evidence parsed, person and case joined) took 3.8 s of a 1 M-person city's trace
    risks = session.execute(select(RiskPerson.id, RiskPerson.person_fk, RiskPerson.category,
                                   RiskPerson.last_exposure_at).where(RiskPerson.case_fk == case.id)).all()
    current = active_measures(session, [r.person_fk for r in risks if r.person_fk])
    for risk in risks:
        if risk.person_fk is None:
            result.phone_only += 1
            continue
        plan = measure_for(edition, risk.category, last_exposure_at=risk.last_exposure_at, found_at=now, tz=tz)
        if plan.end_at <= now:
            result.expired += 1
            continue
        old = current.get(risk.person_fk)
        if old is not None and stricter(_plan_of(old), plan) is not plan:
            result.kept += 1
            continue
        if old is not None:
            end_obligation(session, old, at=now, reason="replaced")
            result.replaced += 1
        m = Measure(person_fk=risk.person_fk, case_fk=case.id, risk_person_fk=risk.id, category=risk.category,
                    kind=plan.kind, then_kind=plan.then_kind, place="site" if plan.kind in _AT_SITE else "home",
                    last_exposure_at=risk.last_exposure_at, start_at=plan.start_at,
                    phase_end_at=plan.phase_end_at, end_at=plan.end_at, status="active", edition=edition.name,
                    source_kind="contact", source_ref=case.case_no, needs_results=bool(plan.test_dates))
        m.tests = [TestTask(person_fk=risk.person_fk, due_date=d) for d in plan.test_dates]
        session.add(m)
        current[risk.person_fk] = m
        result.created += 1
    session.flush()
    audit(session, actor, "measures.assign", "case", case.case_no, after=vars(result))
    return result


def end_for_case(session: Session, person_fk: int, *, now: datetime, actor: str = "system") -> Measure | None:
    """A person under a measure who becomes a case leaves it for the hospital (status `became_case`)."""
    m = active_measures(session, [person_fk]).get(person_fk)
    if m is not None:
        end_obligation(session, m, at=now, reason="became_case", actor=actor)
    return m


def list_measures(session: Session, *, status: str | None = "active", kind: str | None = None,
                  limit: int = 100, offset: int = 0) -> list[Measure]:
    q = select(Measure).order_by(Measure.id).limit(limit).offset(offset)
    if status:
        q = q.where(Measure.status == status)
    if kind:
        q = q.where(Measure.kind == kind)
    return list(session.scalars(q))


def check_version(m: Measure, version: int | None) -> None:
    """Optimistic locking: the caller read `version`; a measure changed since is refused with its state."""
    if version is not None and version != m.version:
        raise Conflict(f"measure {m.id} was changed by someone else (version {m.version}, you sent {version}); "
                       "reload and try again",
                       details=[{"id": m.id, "version": m.version, "status": m.status, "kind": m.kind,
                                 "end_at": m.end_at.isoformat()}])


def get_measure(session: Session, measure_id: int) -> Measure:
    m = session.get(Measure, measure_id)
    if m is None:
        raise NotFound(f"unknown measure {measure_id}")
    return m


def tests_due(session: Session, day: date, *, pending_only: bool = True) -> list[TestTask]:
    q = select(TestTask).join(Measure).where(TestTask.due_date == day, Measure.status == "active")
    if pending_only:
        q = q.where(TestTask.result == "pending")
    return list(session.scalars(q.order_by(TestTask.id)))


def record_test_result(session: Session, task: TestTask, result: str, *, at: datetime,
                       actor: str = "system") -> TestTask:
    """A scheduled test's result; a second, different result for the same test is a conflict to review."""
    if result not in TEST_RESULTS or result == "pending":
        raise InvalidInput(f"result must be one of {', '.join(TEST_RESULTS[1:])}")
    if task.result not in ("pending", result):
        raise InvalidInput(f"test {task.id} already has result {task.result}; not overwritten")
    task.result, task.result_at = result, at
    audit(session, actor, "test.result", "test_task", task.id, after={"result": result})
    mark_changed(session, [task.person_fk], at)  # an overdue test no longer colours the code
    return task


def count_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(Measure.kind, func.count()).where(Measure.status == "active")
                           .group_by(Measure.kind))
    return {k: v for k, v in rows}


def person_of(session: Session, person_fk: int) -> Person:
    return session.get(Person, person_fk)


#: 临时管控: the short hold in place of everyone in a reactive pooled tube, until their single re-test
TEMPORARY_CONTROL = "temporary_control"


def place_temporary_control(session: Session, person_fks: list[int], *, since: datetime, until: datetime,
                            edition: str, reason: str, actor: str = "system") -> int:
    """Hold these persons in place from `since` to `until` (category `pool_member`); bulk, for whole pools.

    A person already under a measure keeps it (it is at least as strict as a hold at home); a person
    already on hold has it extended to the later end, never shortened.
    """
    current = active_measures(session, person_fks)
    fresh = [fk for fk in sorted(set(person_fks)) if fk not in current]
    for m in current.values():
        if m.kind == TEMPORARY_CONTROL and m.end_at < until:
            m.phase_end_at = m.end_at = until
    rows = [dict(person_fk=fk, category="pool_member", kind=TEMPORARY_CONTROL, place="home", last_exposure_at=since,
                 start_at=since, phase_end_at=until, end_at=until, status="active", edition=edition, created_at=since,
                 source_kind="tube", source_ref=reason[:64], needs_results=False)
            for fk in fresh]
    for part in chunks(rows):
        session.execute(insert(Measure), list(part))
    if fresh:
        audit(session, actor, "measures.temporary_control", "persons", len(fresh),
              after={"reason": reason, "until": until.isoformat()})
    return len(fresh)


def lift_temporary_control(session: Session, person_fks: list[int], *, at: datetime, reason: str,
                           actor: str = "system") -> int:
    """End the holds of these persons (a negative single re-test): status `released` at `at`."""
    lifted = 0
    for m in active_measures(session, person_fks).values():
        if m.kind == TEMPORARY_CONTROL:
            m.phase_end_at, m.end_at = max(at, m.start_at), max(at, m.start_at)
            end_obligation(session, m, at=at, reason="retest_negative")
            audit(session, actor, "measure.temporary_control_lifted", "measure", m.id, after={"reason": reason})
            lifted += 1
    return lifted


def assign_for_persons(session: Session, person_fks: list[int], category: str, *, last_exposure_at: datetime,
                       edition: Edition, tz: ZoneInfo, now: datetime, case_fk: int | None = None,
                       source: tuple[str, str | None] = ("zone", None), actor: str = "system") -> AssignResult:
    """The edition's measure for a group found without a trace (sealed-zone residents: `sealed_resident`),
    counted from `last_exposure_at`; a person already under a stricter or longer measure keeps it."""
    result = AssignResult()
    plan = measure_for(edition, category, last_exposure_at=last_exposure_at, found_at=now, tz=tz)
    if plan.end_at <= now:
        result.expired = len(set(person_fks))
        return result
    current = active_measures(session, person_fks)
    for fk in sorted(set(person_fks)):
        old = current.get(fk)
        if old is not None and stricter(_plan_of(old), plan) is not plan:
            result.kept += 1
            continue
        if old is not None:
            end_obligation(session, old, at=now, reason="replaced")
            result.replaced += 1
        m = Measure(person_fk=fk, case_fk=case_fk, category=category, kind=plan.kind, then_kind=plan.then_kind,
                    place="site" if plan.kind in _AT_SITE else "home", last_exposure_at=last_exposure_at,
                    start_at=plan.start_at, phase_end_at=plan.phase_end_at, end_at=plan.end_at, status="active",
                    edition=edition.name, source_kind=source[0], source_ref=source[1],
                    needs_results=bool(plan.test_dates) and source[0] != "zone")
        m.tests = [TestTask(person_fk=fk, due_date=d) for d in plan.test_dates]
        session.add(m)
        result.created += 1
    session.flush()
    audit(session, actor, "measures.assign_group", "category", category, after=vars(result))
    return result


def release_for_persons(session: Session, person_fks: list[int], category: str, *, now: datetime,
                        reason: str, actor: str = "system") -> int:
    """End the active measures of this category whose cause has ended (a lifted zone): status `released`."""
    released = 0
    for m in active_measures(session, person_fks).values():
        if m.category == category:
            end_obligation(session, m, at=now, reason="zone_lifted" if category == "sealed_resident" else "released")
            released += 1
    if released:
        audit(session, actor, "measures.release_group", "category", category,
              after={"released": released, "reason": reason, "at": now.isoformat()})
    return released
