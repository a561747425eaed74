"""Measure lifecycle services: escalate, extend, release or step down, upgrade, positive → case; all audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fangkong.cases import service as case_service
from fangkong.cases.models import Case, CaseStatus
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures import service as measure_service
from fangkong.measures.models import Measure, MeasureStatus, TestResult, TestTask
from fangkong.measures.obligations import end_obligation, tests_of, upstream_at, upstream_required
from fangkong.measures.sites import service as sites
from fangkong.people.models import Person
from fangkong.protocol.edition import Edition
from fangkong.protocol.lifecycle import (
    ESCALATED_KIND,
    Decision,
    Test,
    release_decision,
    resolved,
)
from fangkong.protocol.measures import measure_for, strictness

__all__ = ["escalate", "extend", "check_release", "release", "release_due", "record_result", "upgrade",
           "upgrade_secondaries_of", "upgrade_placed_through_reported", "ReleaseReport", "get_test"]


def _state(m: Measure) -> dict:
    return {"id": m.id, "kind": m.kind, "category": m.category, "status": m.status, "place": m.place,
            "end_at": m.end_at.isoformat(), "phase_end_at": m.phase_end_at.isoformat()}


def _active(m: Measure) -> None:
    if m.status != MeasureStatus.ACTIVE:
        raise Conflict(f"measure {m.id} is {m.status}, not active", key="room_measure_ended", params={"measure": m.id})


def _successor(session: Session, old: Measure, *, kind: str, category: str, now: datetime, reason: str,
               **changes) -> Measure:
    """A new measure replacing `old` (kept on record as `replaced`, ended at `now` for `reason`), so the history
    of a person stays whole: what was in force at any instant can be read back."""
    new = Measure(person_fk=old.person_fk, case_fk=old.case_fk, risk_person_fk=old.risk_person_fk,
                  category=category, kind=kind, then_kind=changes.get("then_kind", old.then_kind),
                  place="site" if kind == ESCALATED_KIND else "home",
                  last_exposure_at=changes.get("last_exposure_at", old.last_exposure_at), start_at=now,
                  phase_end_at=changes.get("phase_end_at", old.phase_end_at), end_at=changes.get("end_at", old.end_at),
                  status=MeasureStatus.ACTIVE, edition=changes.get("edition", old.edition), created_at=now,
                  source_kind=old.source_kind,
                  source_ref=old.source_ref, needs_results=changes.get("needs_results", old.needs_results))
    end_obligation(session, old, at=now, reason=reason)
    session.add(new)
    session.flush()
    sites.repoint(session, old, new)
    mark_changed(session, [old.person_fk], now)
    return new


def escalate(session: Session, m: Measure, *, now: datetime, reason: str) -> Measure:
    """Home → centralized isolation for the rest of the period (e.g. the home is unsuitable); the scheduled
    tests move with the person."""
    actor = acting(session)
    _active(m)
    if m.kind == ESCALATED_KIND:
        raise Conflict(f"measure {m.id} is already centralized isolation", key="measure_r_centralized")
    if not reason.strip():
        raise InvalidInput("give the reason for escalating", key="measure_r_reason")
    before = _state(m)
    new = _successor(session, m, kind=ESCALATED_KIND, category=m.category, now=now, reason="escalated")
    session.execute(update(TestTask).where(TestTask.measure_fk == m.id).values(measure_fk=new.id))
    session.expire(new, ["tests"])
    audit(session, actor, "measure.escalated", "measure", new.id, before=before, after={**_state(new),
                                                                                       "reason": reason})
    return new


def extend(session: Session, m: Measure, *, exposure_at: datetime, edition: Edition, tz: ZoneInfo, now: datetime,
           reason: str) -> Measure:
    """A new exposure restarts the clock: the edition's period and tests counted from it (never shorter)."""
    actor = acting(session)
    _active(m)
    if exposure_at <= m.last_exposure_at:
        raise InvalidInput(f"the new exposure must be after the last one ({m.last_exposure_at.isoformat()})",
                           key="measure_r_exposure_before")
    if exposure_at > now:
        raise InvalidInput("the new exposure is in the future", key="measure_r_exposure_future")
    if m.category not in edition.measures:
        raise InvalidInput(f"edition {edition.name} has no measure for category {m.category}", key="measure_r_category")
    plan = measure_for(edition, m.category, last_exposure_at=exposure_at, found_at=now, tz=tz)
    kind = min(m.kind, plan.kind, key=strictness)
    before = _state(m)
    new = _successor(session, m, kind=kind, category=m.category, now=now, reason="extended",
                     last_exposure_at=exposure_at,
                     phase_end_at=max(plan.phase_end_at, m.phase_end_at), end_at=max(plan.end_at, m.end_at),
                     then_kind=plan.then_kind)
    new.tests = [TestTask(person_fk=m.person_fk, due_date=d) for d in plan.test_dates]
    session.flush()
    audit(session, actor, "measure.extended", "measure", new.id, before=before,
          after={**_state(new), "exposure_at": exposure_at.isoformat(), "reason": reason})
    return new


def _upstream(session: Session, m: Measure, required: int, at: datetime) -> str:
    """The verdict on the close contacts this secondary contact was found through (their first tests, an
    invalid one's re-sample standing for it), as known at `at` (measures.obligations.upstream_at)."""
    if m.category != RiskCategory.SECONDARY:
        return "negative"
    return upstream_at(session, {m.id: (m.risk_person_fk, required)}, at)[m.id]


def check_release(session: Session, m: Measure, *, edition: Edition, tz: ZoneInfo, now: datetime,
                  upstream: str | None = None, tests: list[Test] | None = None) -> Decision:
    """What the rules allow for this measure now (nothing is changed). `upstream` (the verdict on the close
    contacts a secondary contact waits for) and `tests` (the measure's scheduled tests) when the caller read
    them for a batch (release_due); else they are read here."""
    _active(m)
    if upstream is None:
        upstream = _upstream(session, m, upstream_required(edition.name), now)
    if tests is None:
        tests = [Test(t.id, t.due_date, t.result, t.result_at, t.resample_of) for t in m.tests]
    return release_decision(now=now, phase_end_at=m.phase_end_at, end_at=m.end_at, then_kind=m.then_kind,
                            tests=[(t.due, t.result) for t in resolved(tests)], tz=tz, upstream=upstream)


def release(session: Session, m: Measure, *, edition: Edition, tz: ZoneInfo, now: datetime, decision: Decision | None = None) -> tuple[Decision, Measure]:
    """Release (or step down, or upgrade) when the rules allow it; otherwise InvalidInput with the reason and
    nothing changed. Returns the decision and the person's measure afterwards. `decision`: check_release's,
    when the caller has just asked it."""
    actor = acting(session)
    decision = decision or check_release(session, m, edition=edition, tz=tz, now=now)
    if decision.action == "refuse":
        raise InvalidInput(f"measure {m.id} cannot end yet: {decision.reason}", key=decision.key or None,
                           params=decision.args)
    if decision.action == "upgrade":
        return decision, upgrade(session, m, edition=edition, tz=tz, now=now)
    before = _state(m)
    sites.vacate(session, m, at=now, reason=decision.action)
    if decision.action == "release":
        end_obligation(session, m, at=now, reason="released")
    else:
        # the follow-on phase is a successor row: what was in force before the step down stays readable
        old, m = m, _successor(session, m, kind=m.then_kind, category=m.category, now=now, reason="stepped_down",
                               then_kind=None)
        session.execute(update(TestTask).where(TestTask.measure_fk == old.id).values(measure_fk=m.id))
        session.expire(m, ["tests"])
    audit(session, actor, f"measure.{'released' if decision.action == 'release' else 'stepped_down'}", "measure",
          m.id, before=before, after={**_state(m), "at": now.isoformat()})
    mark_changed(session, [m.person_fk], now)
    return decision, m


def upgrade(session: Session, m: Measure, *, edition: Edition, tz: ZoneInfo, now: datetime) -> Measure:
    """A secondary contact whose close contact tested positive early becomes a close contact (9th edition). The close
    obligation is a new one: the deployment's edition at `now` gives its period and tests, and its row says so."""
    actor = acting(session)
    _active(m)
    plan = measure_for(edition, "close", last_exposure_at=m.last_exposure_at, found_at=now, tz=tz)
    before = _state(m)
    new = _successor(session, m, kind=min(m.kind, plan.kind, key=strictness), category="close", now=now,
                     reason="upgraded", needs_results=True, edition=edition.name,
                     phase_end_at=max(plan.phase_end_at, m.phase_end_at), end_at=max(plan.end_at, m.end_at),
                     then_kind=plan.then_kind)
    new.tests = [TestTask(person_fk=m.person_fk, due_date=d) for d in plan.test_dates]
    session.flush()
    audit(session, actor, "measure.upgraded", "measure", new.id, before=before, after=_state(new))
    return new


@dataclass
class ReleaseReport:
    released: int = 0
    stepped_down: int = 0
    upgraded: int = 0
    #: (measure id, person id, reason) of those whose period is over but who may not leave yet
    blocked: list[tuple[int, str, str]] = field(default_factory=list)


def release_due(session: Session, *, edition: Edition, tz: ZoneInfo, now: datetime) -> ReleaseReport:
    """Apply the rules to every active measure whose period or first phase is over (a daily run)."""
    report = ReleaseReport()
    q = (select(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                               Measure.kind != measure_service.TEMPORARY_CONTROL,
                               (Measure.end_at <= now) | (Measure.then_kind.is_not(None) & (Measure.phase_end_at <= now)))
         .order_by(Measure.id))
    due = list(session.scalars(q))
    # the verdicts on the close contacts and the scheduled tests of the whole run in a few queries, not per measure;
    # the deployment's edition says how many tests a secondary contact waits for, as his code reads it
    required = upstream_required(edition.name)
    verdicts = upstream_at(session, {m.id: (m.risk_person_fk, required) for m in due
                                     if m.category == RiskCategory.SECONDARY}, now)
    tests = tests_of(session, [m.id for m in due])
    for m in due:
        decision = check_release(session, m, edition=edition, tz=tz, now=now, upstream=verdicts.get(m.id, "negative"),
                                 tests=tests.get(m.id, []))
        if decision.action == "refuse":
            report.blocked.append((m.id, m.person.person_id, decision.reason))
            continue
        release(session, m, edition=edition, tz=tz, now=now, decision=decision)
        counter = _COUNTERS[decision.action]
        setattr(report, counter, getattr(report, counter) + 1)
    return report


_COUNTERS = {"release": "released", "step_down": "stepped_down", "upgrade": "upgraded"}


def get_test(session: Session, test_id: int) -> TestTask:
    task = session.get(TestTask, test_id)
    if task is None:
        raise NotFound(f"unknown test {test_id}", key="err_unknown_test", params={"id": test_id})
    return task


def record_result(session: Session, task: TestTask, result: str, *, at: datetime, edition: Edition, tz: ZoneInfo) -> Case | None:
    """A scheduled test's result. A positive one turns the person into a (suspected) case for the re-check,
    and upgrades at once the secondary contacts found through them when it is one of their first tests."""
    measure_service.record_test_result(session, task, result, at=at)
    if result != TestResult.POSITIVE:
        return None
    person = task.measure.person
    case = session.scalar(select(Case).where(Case.person_fk == person.id,
                                             Case.status != CaseStatus.RULED_OUT))
    if case is None:
        case = case_service.report_positive(session, person.person_id, sampled_at=at, now=at)
    upgrade_secondaries_of(session, [(person.id, at)], edition=edition, tz=tz)
    return case


def upgrade_secondaries_of(session: Session, reported: list[tuple[int, datetime]], *, edition: Edition,
                           tz: ZoneInfo) -> int:
    """Persons (ids) who tested positive or were reported a case, each at an instant: the active secondary contacts
    found through them whose upstream verdict is then positive become close contacts, dated at that instant (a
    case declared directly, with no positive test on record, upgrades them as a positive first test does; issue 23).
    Whether a secondary contact waits for his close contacts at all is the deployment's edition's rule. Returns how
    many."""
    upgraded = 0
    for fk, at in sorted(reported, key=lambda r: r[1]):
        upgraded += _upgrade_secondaries_of(session, fk, edition=edition, tz=tz, now=at)
    return upgraded


def upgrade_placed_through_reported(session: Session, case: Case, *, edition: Edition, tz: ZoneInfo,
                                    now: datetime) -> int:
    """After a case's trace placed its risk persons: the secondary contacts placed through a close contact already
    reported positive (a suspected case met by the trace is still a contact) are close contacts at once, dated at
    their placement (his report came before it, and upgraded no one then). Returns how many."""
    reported = list(session.scalars(
        select(Case.person_fk).join(RiskPerson, RiskPerson.person_fk == Case.person_fk)
        .where(RiskPerson.case_fk == case.id, RiskPerson.category == RiskCategory.CLOSE,
               Case.status != CaseStatus.RULED_OUT, Case.reported_at <= now).distinct()))
    return upgrade_secondaries_of(session, [(fk, now) for fk in reported], edition=edition, tz=tz) if reported else 0


def _upgrade_secondaries_of(session: Session, person_fk: int, *, edition: Edition, tz: ZoneInfo, now: datetime) -> int:
    required = upstream_required(edition.name)
    if not required:
        return 0
    person_id = session.scalar(select(Person.person_id).where(Person.id == person_fk))
    # a secondary contact found through him is a risk person of a case that found him: only the active secondary
    # contacts of those cases are looked at (ids and evidence), not every one of the city's, and only his own are
    # loaded whole. The status is compared as an expression (same value), so that SQLite, which has no statistics,
    # walks those cases' risk persons (their case index) rather than every active measure of the city (its index)
    found_him = select(RiskPerson.case_fk).where(RiskPerson.person_fk == person_fk)
    rows = session.execute(select(Measure.id, RiskPerson.evidence)
                           .join(RiskPerson, RiskPerson.id == Measure.risk_person_fk)
                           .where(Measure.status.concat("") == MeasureStatus.ACTIVE,
                                  Measure.category == RiskCategory.SECONDARY,
                                  RiskPerson.case_fk.in_(found_him))).all()
    ids = [mid for mid, evidence in rows if any(ev.get("via") == person_id for ev in evidence or [])]
    if not ids:
        return 0
    mine = list(session.scalars(select(Measure).where(Measure.id.in_(ids)).order_by(Measure.id)))
    verdicts = upstream_at(session, {m.id: (m.risk_person_fk, required) for m in mine}, now)
    upgraded = 0
    for m in mine:
        if verdicts[m.id] == "positive":
            # never before the secondary obligation began (one placed after the report, by a later trace)
            upgrade(session, m, edition=edition, tz=tz, now=max(now, m.start_at))
            upgraded += 1
    return upgraded
