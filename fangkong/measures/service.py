"""Measure services: give every risk person the edition's measure as an obligation beside the others, record tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.db.sets import chunks
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures.models import (
    TEST_RESULTS,
    EndReason,
    Measure,
    MeasureCategory,
    MeasureStatus,
    SourceKind,
    TestResult,
    TestTask,
)
from fangkong.measures.obligations import CONTACT_CATEGORIES, end_obligation
from fangkong.measures.sites import service as sites
from fangkong.people.models import Person
from fangkong.protocol.edition import Edition
from fangkong.protocol.measures import covers, measure_for, strictness
from fangkong.settings import get_settings
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, Task, TaskKind, TaskStatus

__all__ = [
    "AssignResult",
    "active_measures",
    "all_active",
    "assign_for_case",
    "end_for_case",
    "get_measure",
    "list_measures",
    "pending_tests",
    "record_test_result",
    "tests_due",
    "withdraw",
]

_AT_SITE = ("centralized_isolation",)


@dataclass
class AssignResult:
    created: int = 0
    kept: int = 0
    replaced: int = 0
    phone_only: int = 0
    #: found only after their period had already run out (counted from the last exposure): no measure
    expired: int = 0
    #: already served: an ended obligation of the same category covers it (released, stepped down, upgraded ...)
    served: int = 0
    #: the door check found the wrong person for this case's link: a re-trace does not place him again
    withdrawn: int = 0


def active_measures(session: Session, person_fks: list[int]) -> dict[int, Measure]:
    """The measure each person is shown: the strictest in force (then the latest end); see all_active."""
    return {fk: ms[0] for fk, ms in all_active(session, person_fks).items()}


def all_active(session: Session, person_fks: list[int]) -> dict[int, list[Measure]]:
    """Every measure in force (not ended) per person, strictest first (then the latest end)."""
    out: dict[int, list[Measure]] = {}
    for part in chunks(sorted(set(person_fks))):
        for m in session.scalars(select(Measure).where(Measure.person_fk.in_(part), Measure.ended_at.is_(None))):
            out.setdefault(m.person_fk, []).append(m)
    for ms in out.values():
        ms.sort(key=lambda m: (strictness(m.kind), -m.end_at.timestamp(), m.id))
    return out


def _admit(session: Session, current: list[Measure], new: Measure, *, now: datetime) -> str:
    """Add `new` beside the person's obligations in force unless one of its category covers it; one of its
    category that it outlasts ends (`extended`) and hands over its room. Returns created | kept | replaced."""
    same = [m for m in current if m.category == new.category]
    if any(covers(m.kind, m.end_at, new.kind, new.end_at) for m in same):
        return "kept"
    session.add(new)
    if same:
        # the successor's id is needed to hand over the room; otherwise the caller's one flush inserts it with
        # the others (a flush per measure cost a third of placing a bad day: bench/recolour.py --prepare)
        session.flush()
    for m in same:
        end_obligation(session, m, at=now, reason=EndReason.EXTENDED)
        sites.repoint(session, m, new)
    current.append(new)
    return "replaced" if same else "created"


#: an obligation that ended this way was served (or handed on to its successor): it still covers a new one
_SERVED = (EndReason.RELEASED, EndReason.REPLACED, EndReason.ESCALATED, EndReason.EXTENDED, EndReason.UPGRADED,
           EndReason.STEPPED_DOWN)


@dataclass(frozen=True)
class _Ended:
    case_fk: int | None
    category: str
    kind: str
    end_at: datetime
    end_reason: str


def _ended_contact_obligations(session: Session, person_fks: list[int]) -> dict[int, list[_Ended]]:
    """The contact obligations of these persons that have ended (what a re-trace must not re-create)."""
    out: dict[int, list[_Ended]] = {}
    for part in chunks(sorted(set(person_fks))):
        q = select(Measure.person_fk, Measure.case_fk, Measure.category, Measure.kind, Measure.end_at,
                   Measure.end_reason).where(Measure.person_fk.in_(part), Measure.ended_at.is_not(None),
                                             Measure.category.in_(CONTACT_CATEGORIES))
        for fk, *rest in session.execute(q):
            out.setdefault(fk, []).append(_Ended(*rest))
    return out


def _relink(session: Session, case: Case) -> None:
    """A re-trace replaced the case's risk-person rows (the old ones' links were set to NULL): the case's contact
    obligations point again at the row of the same person found under the same category (a close obligation that
    upgraded a secondary one, at his secondary row), so an upgrade or a withdrawal through him still finds them. A
    link the re-trace no longer finds (another category, or not found) stays cut: its evidence is not the one the
    obligation came from."""
    same = or_(RiskPerson.category == Measure.category,
               and_(Measure.category == RiskCategory.CLOSE, RiskPerson.category == RiskCategory.SECONDARY))
    rp = (select(RiskPerson.id).where(RiskPerson.case_fk == Measure.case_fk, RiskPerson.person_fk == Measure.person_fk,
                                      same).scalar_subquery())
    session.execute(update(Measure).where(Measure.case_fk == case.id, Measure.source_kind == SourceKind.CONTACT,
                                          Measure.risk_person_fk.is_(None)).values(risk_person_fk=rp)
                    .execution_options(synchronize_session=False))


def assign_for_case(session: Session, case: Case, *, edition: Edition, tz: ZoneInfo, now: datetime) -> AssignResult:
    """Every registered risk person of the case gets the edition's measure for their category, as an obligation
    beside the others in force (a sealed-zone residence, another case's contact measure): nothing is overwritten.
    One of the same category that covers it (as strict, ending no earlier) keeps the new one from being added;
    one it outlasts ends as `extended`. Periods run from the last exposure.

    A re-trace (of this case, or another case's trace reaching the same people) only adds what is new: an
    obligation of the same category that has ended after being served (released, stepped down, upgraded,
    extended, escalated) and covers the new one keeps it from being added (`served`), and a person whose link to
    this case was withdrawn (the door check found the wrong person) is not placed again by this case
    (`withdrawn`). A later exposure or a higher category is new, and is added.
    """
    actor = acting(session)
    result = AssignResult()
    _relink(session, case)
    # the columns the rule reads, not RiskPerson objects: a case in a dense city has ~30 000 risk persons, and
    # loading them whole (their evidence parsed, person and case joined) cost more than the trace (bench/RESULTS.md)
    risks = session.execute(select(RiskPerson.id, RiskPerson.person_fk, RiskPerson.category,
                                   RiskPerson.last_exposure_at).where(RiskPerson.case_fk == case.id)).all()
    fks = [r.person_fk for r in risks if r.person_fk]
    current = all_active(session, fks)
    ended = _ended_contact_obligations(session, fks)
    for risk in risks:
        if risk.person_fk is None:
            result.phone_only += 1
            continue
        plan = measure_for(edition, risk.category, last_exposure_at=risk.last_exposure_at, found_at=now, tz=tz)
        if plan.end_at <= now:
            result.expired += 1
            continue
        past = ended.get(risk.person_fk, ())
        if any(e.case_fk == case.id and e.end_reason == EndReason.WITHDRAWN for e in past):
            result.withdrawn += 1
            continue
        if any(e.category == risk.category and e.end_reason in _SERVED and covers(e.kind, e.end_at, plan.kind,
                                                                                  plan.end_at) for e in past):
            result.served += 1
            continue
        m = Measure(person_fk=risk.person_fk, case_fk=case.id, risk_person_fk=risk.id, category=risk.category,
                    kind=plan.kind, then_kind=plan.then_kind, place="site" if plan.kind in _AT_SITE else "home",
                    last_exposure_at=risk.last_exposure_at, start_at=plan.start_at,
                    phase_end_at=plan.phase_end_at, end_at=plan.end_at, status=MeasureStatus.ACTIVE,
                    edition=edition.name,
                    source_kind=SourceKind.CONTACT, source_ref=case.case_no,
                    needs_results=bool(plan.test_dates))
        m.tests = [TestTask(person_fk=risk.person_fk, due_date=d) for d in plan.test_dates]
        outcome = _admit(session, current.setdefault(risk.person_fk, []), m, now=now)
        setattr(result, outcome, getattr(result, outcome) + 1)
    session.flush()
    audit(session, actor, "measures.assign", "case", case.case_no, after=vars(result))
    return result


def end_for_case(session: Session, person_fk: int, *, now: datetime) -> list[Measure]:
    """A person who becomes a case leaves every contact obligation (and pool hold) for the hospital: each ends
    with reason `became_case`. Zone residence, arrival and other obligations stay (DOMAIN.md §5)."""
    ended = []
    for m in session.scalars(select(Measure).where(Measure.person_fk == person_fk, Measure.ended_at.is_(None))):
        if m.category in CONTACT_CATEGORIES or m.kind == TEMPORARY_CONTROL:
            ended.append(end_obligation(session, m, at=now, reason=EndReason.BECAME_CASE, audited=True))
    return ended


def withdraw(session: Session, m: Measure, *, at: datetime, reason: str) -> Measure:
    """The obligation was placed on the wrong person (a door check found someone else): it ends as `withdrawn`,
    their room is freed unless another centralized obligation keeps it, and their code is re-evaluated; their
    other obligations stay."""
    actor = acting(session)
    end_obligation(session, m, at=at, reason=EndReason.WITHDRAWN)
    sites.vacate(session, m, at=at, reason=reason)
    audit(session, actor, "measure.withdrawn", "measure", m.id, after={"reason": reason})
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
                                 "end_at": m.end_at.isoformat()}], key="err_stale")


def get_measure(session: Session, measure_id: int) -> Measure:
    m = session.get(Measure, measure_id)
    if m is None:
        raise NotFound(f"unknown measure {measure_id}", key="err_unknown_measure", params={"id": measure_id})
    return m


def tests_due(session: Session, day: date, *, pending_only: bool = True) -> list[TestTask]:
    q = select(TestTask).join(Measure).where(TestTask.due_date == day, Measure.status == MeasureStatus.ACTIVE)
    if pending_only:
        q = q.where(TestTask.result == TestResult.PENDING)
    return list(session.scalars(q.order_by(TestTask.id)))


def record_test_result(session: Session, task: TestTask, result: str, *, at: datetime) -> TestTask:
    """A scheduled test's result; a second, different result for the same test is a conflict to review."""
    actor = acting(session)
    if result not in TEST_RESULTS or result == TestResult.PENDING:
        raise InvalidInput(f"result must be one of {', '.join(TEST_RESULTS[1:])}", key="err_bad_result")
    if task.result not in (TestResult.PENDING, result):
        raise InvalidInput(f"test {task.id} already has result {task.result}; not overwritten", key="err_result_exists", params={"id": task.id})
    task.result, task.result_at = result, at
    audit(session, actor, "test.result", "test_task", task.id, after={"result": result})
    if result == TestResult.INVALID:
        _resample(session, task, at=at)
    if task.resample_of is not None:
        for open_ in session.scalars(select(Task).where(Task.kind == TaskKind.RESAMPLE,
                                                        Task.status == TaskStatus.OPEN,
                                                        Task.person_fk == task.person_fk,
                                                        Task.measure_fk == task.measure_fk)):
            task_service.close_task(session, open_, "done", at=at, note=f"re-sample {result}")
    mark_changed(session, [task.person_fk], at)  # an overdue test no longer colours the code
    return task


def _resample(session: Session, task: TestTask, *, at: datetime) -> TestTask:
    """An invalid result is sampled again at once: a new test due the same day stands for it (its result is the
    one the release reads), and the person's community gets a `resample` task (due the same day); missing, the
    re-sample is overdue from the next day and colours the code like any test."""
    actor = acting(session)
    tz = get_settings().zone
    again = TestTask(measure_fk=task.measure_fk, person_fk=task.person_fk, due_date=at.astimezone(tz).date(),
                     resample_of=task.id)
    session.add(again)
    session.flush()
    community = session.scalar(select(Person.community).where(Person.id == task.person_fk)) or "unknown"
    task_service.open_task(session, TaskKind.RESAMPLE, "resampled",
                           owner=task_service.Owner(OwnerKind.COMMUNITY, community, community),
                           start=at, jurisdiction=community, person_fk=task.person_fk, measure_fk=task.measure_fk,
                           note=f"test {task.id} invalid: re-sample as test {again.id}")
    audit(session, actor, "test.resample", "test_task", again.id, after={"of": task.id})
    return again


def count_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(Measure.kind, func.count()).where(Measure.status == MeasureStatus.ACTIVE)
                           .group_by(Measure.kind))
    return {k: v for k, v in rows}


#: 临时管控: the short hold in place of everyone in a reactive pooled tube, until their single re-test
TEMPORARY_CONTROL = "temporary_control"


def place_temporary_control(session: Session, person_fks: list[int], *, since: datetime, until: datetime,
                            edition: str, reason: str) -> int:
    """Hold these persons in place from `since` to `until` (category `pool_member`); bulk, for whole pools.

    The hold is an obligation beside the person's others (issue 23: nothing is overwritten): a person under an
    overlap's health monitoring, free to go about, is held all the same. A person already on hold until `until`
    or later keeps that hold; one on hold until earlier has it end as `extended` and a new one added.
    """
    actor = acting(session)
    holds: dict[int, list[Measure]] = {}
    for fk, ms in all_active(session, person_fks).items():
        holds[fk] = [m for m in ms if m.kind == TEMPORARY_CONTROL and m.end_at > since]
    fresh = [fk for fk in sorted(set(person_fks)) if not any(m.end_at >= until for m in holds.get(fk, []))]
    for fk in fresh:
        for m in holds.get(fk, []):
            end_obligation(session, m, at=since, reason=EndReason.EXTENDED)
    rows = [dict(person_fk=fk, category=MeasureCategory.POOL_MEMBER, kind=TEMPORARY_CONTROL, place="home",
                 last_exposure_at=since, start_at=since, phase_end_at=until, end_at=until,
                 status=MeasureStatus.ACTIVE,
                 edition=edition, created_at=since,
                 source_kind=SourceKind.TUBE, source_ref=reason[:64], needs_results=False)
            for fk in fresh]
    for part in chunks(rows):
        session.execute(insert(Measure), list(part))
    if fresh:
        audit(session, actor, "measures.temporary_control", "persons", len(fresh),
              after={"reason": reason, "until": until.isoformat()})
        mark_changed(session, fresh, since)
    return len(fresh)


def hold_started_at(session: Session, person_fk: int) -> datetime | None:
    """When the person's hold in force began: a hold extended by a later tube (the earlier row ended `extended` at
    the later one's start) counts from the first one's start. None when not on hold."""
    holds = list(session.scalars(select(Measure).where(Measure.person_fk == person_fk,
                                                       Measure.kind == TEMPORARY_CONTROL)))
    live = [m.start_at for m in holds if m.ended_at is None]
    if not live:
        return None
    start = min(live)
    extended = {m.ended_at: m.start_at for m in holds if m.end_reason == EndReason.EXTENDED}
    while start in extended and extended[start] < start:
        start = extended[start]
    return start


def lift_temporary_control(session: Session, person_fks: list[int], *, at: datetime, reason: str) -> int:
    """End the holds of these persons (a negative single re-test): status `released` at `at`."""
    actor = acting(session)
    lifted = 0
    for m in [m for ms in all_active(session, person_fks).values() for m in ms]:
        if m.kind == TEMPORARY_CONTROL:
            m.phase_end_at, m.end_at = max(at, m.start_at), max(at, m.start_at)
            end_obligation(session, m, at=at, reason=EndReason.RETEST_NEGATIVE)
            audit(session, actor, "measure.temporary_control_lifted", "measure", m.id, after={"reason": reason})
            lifted += 1
    return lifted


def assign_for_persons(session: Session, person_fks: list[int], category: str, *, last_exposure_at: datetime,
                       edition: Edition, tz: ZoneInfo, now: datetime, case_fk: int | None = None,
                       source: tuple[str, str | None] = (SourceKind.ZONE, None)) -> AssignResult:
    """The edition's measure for a group found without a trace (sealed-zone residents: `sealed_resident`),
    counted from `last_exposure_at`, beside the person's other obligations (see assign_for_case)."""
    actor = acting(session)
    result = AssignResult()
    plan = measure_for(edition, category, last_exposure_at=last_exposure_at, found_at=now, tz=tz)
    if plan.end_at <= now:
        result.expired = len(set(person_fks))
        return result
    current = all_active(session, person_fks)
    for fk in sorted(set(person_fks)):
        m = Measure(person_fk=fk, case_fk=case_fk, category=category, kind=plan.kind, then_kind=plan.then_kind,
                    place="site" if plan.kind in _AT_SITE else "home", last_exposure_at=last_exposure_at,
                    start_at=plan.start_at, phase_end_at=plan.phase_end_at, end_at=plan.end_at,
                    status=MeasureStatus.ACTIVE,
                    edition=edition.name, source_kind=source[0], source_ref=source[1],
                    needs_results=bool(plan.test_dates) and source[0] != SourceKind.ZONE)
        m.tests = [TestTask(person_fk=fk, due_date=d) for d in plan.test_dates]
        outcome = _admit(session, current.setdefault(fk, []), m, now=now)
        setattr(result, outcome, getattr(result, outcome) + 1)
    session.flush()
    audit(session, actor, "measures.assign_group", "category", category, after=vars(result))
    return result


def release_for_persons(session: Session, person_fks: list[int], category: str, *, now: datetime,
                        reason: str) -> int:
    """End the active measures of this category whose cause has ended (a lifted zone): status `released`."""
    actor = acting(session)
    released = 0
    for m in [m for ms in all_active(session, person_fks).values() for m in ms]:
        if m.category == category:
            lifted = category == MeasureCategory.SEALED_RESIDENT
            end_obligation(session, m, at=now, reason=EndReason.ZONE_LIFTED if lifted else EndReason.RELEASED)
            released += 1
    if released:
        audit(session, actor, "measures.release_group", "category", category,
              after={"released": released, "reason": reason, "at": now.isoformat()})
    return released


def pending_tests(session: Session, *, up_to: date, person_id: str | None = None, limit: int = 50,
                  offset: int = 0) -> list[TestTask]:
    """Scheduled tests of measures in force still waiting for a result and due by `up_to` (the lab's list),
    the longest waiting first; one person's when `person_id` is given."""
    q = (select(TestTask).join(Measure).where(TestTask.due_date <= up_to, Measure.status == MeasureStatus.ACTIVE,
                                              TestTask.result == TestResult.PENDING))
    if person_id:
        q = q.join(Person, Person.id == TestTask.person_fk).where(Person.person_id == person_id)
    return list(session.scalars(q.order_by(TestTask.due_date, TestTask.id).limit(limit).offset(offset)))
