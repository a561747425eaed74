"""What a new lab result sets in motion: holds and single re-tests for pools, suspected cases and their
re-check (复核), repeats and re-samples, and the scheduled tests of people under a measure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.cases import service as case_service
from fangkong.cases.models import Case, CaseStatus
from fangkong.db.changes import mark_changed
from fangkong.db.sets import chunks
from fangkong.measures import service as measure_service
from fangkong.measures.models import Measure, MeasureStatus, TestResult, TestTask
from fangkong.people.models import Person
from fangkong.protocol.pooling import FollowUp, TestingRule, follow_up
from fangkong.testing.models import LabResult, RetestReason, RetestStatus, RetestTask, Sample, Tube, TubeKind

__all__ = ["Outcome", "apply_results"]

#: a scheduled test (measures domain) knows fewer words than a lab
_TASK_RESULT = {"negative": "negative", "positive": "positive", "suspected": "suspected", "weak_positive": "suspected"}


@dataclass
class Outcome:
    held: int = 0
    retests: int = 0
    retests_done: int = 0
    released: int = 0
    tests_recorded: int = 0
    suspected: list[str] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    ruled_out: list[str] = field(default_factory=list)
    persons: set[int] = field(default_factory=set)
    latest_at: datetime | None = None

    def summary(self) -> str:
        parts = [f"{self.held} held in place", f"{self.retests} re-tests asked", f"{self.retests_done} re-tests done",
                 f"{self.released} holds lifted", f"{self.tests_recorded} scheduled tests recorded"]
        for name, cases in (("suspected", self.suspected), ("declared", self.declared),
                            ("ruled out", self.ruled_out)):
            if cases:
                parts.append(f"{name}: {', '.join(cases)}")
        return "; ".join(parts)


@dataclass
class _Ctx:
    """The work's state, read once for every member of every tube (one query each, not one per person)."""

    session: Session
    rule: TestingRule
    edition: str
    tz: ZoneInfo
    out: Outcome
    cases: dict[int, Case] = field(default_factory=dict)             # open (not ruled out) case per person
    tasks: dict[int, list[RetestTask]] = field(default_factory=dict)  # re-tests per person (open when read)
    scheduled: set[int] = field(default_factory=set)                  # persons with a pending scheduled test
    held: set[int] = field(default_factory=set)                       # persons on a temporary hold

    def load(self, person_fks: list[int]) -> None:
        s = self.session
        for part in chunks(sorted(set(person_fks))):
            self.cases.update((c.person_fk, c) for c in s.scalars(
                select(Case).where(Case.person_fk.in_(part), Case.status != CaseStatus.RULED_OUT)))
            for t in s.scalars(select(RetestTask).where(RetestTask.person_fk.in_(part),
                                                        RetestTask.status == RetestStatus.OPEN)
                               .order_by(RetestTask.id)):
                self.tasks.setdefault(t.person_fk, []).append(t)
            self.scheduled.update(s.scalars(
                select(TestTask.person_fk).join(Measure).where(TestTask.person_fk.in_(part),
                                                               TestTask.result == TestResult.PENDING,
                                                               Measure.ended_at.is_(None))))
            self.held.update(s.scalars(select(Measure.person_fk).where(
                Measure.person_fk.in_(part), Measure.status == MeasureStatus.ACTIVE,
                Measure.kind == measure_service.TEMPORARY_CONTROL)))


def _open_case(c: _Ctx, person_fk: int) -> Case | None:
    return c.cases.get(person_fk)


def _open_tasks(c: _Ctx, person_fk: int) -> list[RetestTask]:
    return [t for t in c.tasks.get(person_fk, ()) if t.status == RetestStatus.OPEN]


def _answer_tasks(c: _Ctx, tube: Tube, lr: LabResult, sample: Sample) -> list[RetestTask]:
    """Open re-tests this later tube answers (a single re-test is not answered by a pooled tube)."""
    done = []
    for task in _open_tasks(c, sample.person_fk):
        if task.origin_tube_fk == tube.id or (task.single and tube.members > 1):
            continue
        if sample.sampled_at < task.origin.sampled_at:
            continue
        task.status, task.done_tube_fk = RetestStatus.DONE, tube.id
        task.result, task.done_at = lr.result, lr.reported_at
        done.append(task)
    c.out.retests_done += len(done)
    return done


def _record_scheduled(c: _Ctx, lr: LabResult, sample: Sample) -> None:
    """The person's pending scheduled test of the sample's day (or the oldest overdue one) takes the result."""
    mapped = _TASK_RESULT.get(lr.result)
    if mapped is None or sample.person_fk not in c.scheduled:
        return
    day = sample.sampled_at.astimezone(c.tz).date()
    tasks = list(c.session.scalars(
        select(TestTask).join(Measure).where(TestTask.person_fk == sample.person_fk,
                                             TestTask.result == TestResult.PENDING,
                                             TestTask.due_date <= day, Measure.ended_at.is_(None))
        .order_by(TestTask.due_date, TestTask.id)))
    # one swab answers each obligation in force (a contact measure and a sealed-zone residence both test today)
    by_measure: dict[int, list[TestTask]] = {}
    for t in tasks:
        by_measure.setdefault(t.measure_fk, []).append(t)
    for mine in by_measure.values():
        task = next((t for t in mine if t.due_date == day), mine[0])
        measure_service.record_test_result(c.session, task, mapped, at=lr.reported_at)
        c.out.tests_recorded += 1


def _ask_retest(c: _Ctx, person_fk: int, tube: Tube, reason: str, single: bool, at: datetime) -> None:
    if any(t.reason == reason for t in _open_tasks(c, person_fk)):
        return
    task = RetestTask(person_fk=person_fk, origin_tube_fk=tube.id, origin=tube, reason=reason, single=single,
                      status=RetestStatus.OPEN, created_at=at)
    c.session.add(task)
    c.tasks.setdefault(person_fk, []).append(task)
    c.out.retests += 1


def _first_positive_sample(c: _Ctx, sample: Sample, answered: list[RetestTask]) -> datetime:
    """A positive re-test of a reactive pool: the pool's swab was the first positive sample."""
    for task in answered:
        if task.reason == "pool_positive":
            at = c.session.scalar(select(Sample.sampled_at).where(Sample.tube_fk == task.origin_tube_fk,
                                                                  Sample.person_fk == sample.person_fk))
            if at is not None:
                return at
    return sample.sampled_at


def _hold_start(c: _Ctx, person_fk: int, default: datetime) -> datetime:
    if person_fk not in c.held:
        return default
    return measure_service.hold_started_at(c.session, person_fk) or default


def _single_positive(c: _Ctx, tube: Tube, lr: LabResult, sample: Sample, answered: list[RetestTask]) -> None:
    """A suspected case awaiting its re-check, or — when it is the re-check — the declared case."""
    case = _open_case(c, sample.person_fk)
    at = lr.reported_at
    if case is None:
        person = c.session.get(Person, sample.person_fk)
        first = _first_positive_sample(c, sample, answered)
        case = case_service.report_positive(c.session, person.person_id, sampled_at=first, now=at)
        c.cases[sample.person_fk] = case
        c.out.suspected.append(case.case_no)
        _ask_retest(c, sample.person_fk, tube, "recheck", True, at)
    elif (case.status == CaseStatus.SUSPECTED and sample.sampled_at >= case.sampled_at
         and tube.id != _case_tube(c, case)):
        case_service.recheck(c.session, case, positive=True, now=at, isolated_at=_hold_start(c, sample.person_fk, at))
        c.out.declared.append(case.case_no)
        for task in _open_tasks(c, sample.person_fk):
            task.status, task.done_at = RetestStatus.CANCELLED, at


def _case_tube(c: _Ctx, case: Case) -> int | None:
    """The tube whose positive made the case suspected (its own result is not a re-check)."""
    return c.session.scalar(select(RetestTask.origin_tube_fk).where(RetestTask.person_fk == case.person_fk,
                                                                    RetestTask.reason == RetestReason.RECHECK)
                            .order_by(RetestTask.id.desc()).limit(1))


def _single_negative(c: _Ctx, lr: LabResult, sample: Sample) -> None:
    case = _open_case(c, sample.person_fk)
    if case is not None and case.status == CaseStatus.SUSPECTED and sample.sampled_at >= case.sampled_at:
        case_service.recheck(c.session, case, positive=False, now=lr.reported_at)
        del c.cases[sample.person_fk]
        c.out.ruled_out.append(case.case_no)


def _hold(c: _Ctx, tube: Tube, lr: LabResult, person_fks: list[int]) -> None:
    """One bulk hold for the whole tube (a pool's members together)."""
    at = lr.reported_at
    c.out.held += measure_service.place_temporary_control(
        c.session, person_fks, since=at, until=at + timedelta(hours=c.rule.temporary_control_hours),
        edition=c.edition, reason=f"tube {tube.tube_id} {lr.result}")
    c.held.update(person_fks)


def _apply_one(c: _Ctx, tube: Tube, lr: LabResult, samples: list[Sample]) -> None:
    fu: FollowUp = follow_up(lr.result, members=tube.members, environmental=tube.kind == TubeKind.ENVIRONMENT)
    if tube.kind == TubeKind.ENVIRONMENT:
        return
    pooled, at = tube.members > 1, lr.reported_at
    # a declared case is in hospital, outside testing's hands
    samples = [s for s in samples if getattr(_open_case(c, s.person_fk), "status",
                                             CaseStatus.SUSPECTED) == CaseStatus.SUSPECTED]
    if fu.hold and samples:
        _hold(c, tube, lr, [s.person_fk for s in samples])
    for sample in samples:
        c.out.persons.add(sample.person_fk)
        answered = _answer_tasks(c, tube, lr, sample)
        if not pooled or lr.result == "negative":
            _record_scheduled(c, lr, sample)
        if fu.report_positive:
            _single_positive(c, tube, lr, sample, answered)
        elif fu.retest:
            _ask_retest(c, sample.person_fk, tube, fu.retest, fu.single_retest, at)
        elif fu.clears and not pooled:
            _single_negative(c, lr, sample)
        fk = sample.person_fk
        if fu.clears and fk in c.held and not _open_tasks(c, fk) and _open_case(c, fk) is None:
            c.out.released += measure_service.lift_temporary_control(
                c.session, [fk], at=at, reason=f"tube {tube.tube_id} negative")
            c.held.discard(fk)


def apply_results(session: Session, tube_fks: list[int], *, rule: TestingRule, edition: str, tz: ZoneInfo) -> Outcome:
    """Follow up these tubes' stored results, oldest report first (a pool before its re-tests)."""
    c = _Ctx(session, rule, edition, tz, Outcome())
    work: list[tuple[LabResult, Tube, list[Sample]]] = []
    for part in chunks(sorted(set(tube_fks))):
        tubes = {t.id: t for t in session.scalars(select(Tube).where(Tube.id.in_(part)))}
        members: dict[int, list[Sample]] = {}
        for s in session.scalars(select(Sample).where(Sample.tube_fk.in_(part)).order_by(Sample.person_fk)):
            members.setdefault(s.tube_fk, []).append(s)
        for lr in session.scalars(select(LabResult).where(LabResult.tube_fk.in_(part))):
            work.append((lr, tubes[lr.tube_fk], members.get(lr.tube_fk, [])))
    work.sort(key=lambda w: (w[0].reported_at, w[1].sampled_at, w[1].id))
    c.load([s.person_fk for _, _, samples in work for s in samples])
    for lr, tube, samples in work:
        _apply_one(c, tube, lr, samples)
        c.out.latest_at = max(filter(None, (c.out.latest_at, lr.reported_at)))
    session.flush()
    if c.out.persons:
        mark_changed(session, c.out.persons, c.out.latest_at)  # their health codes follow at commit
    return c.out
