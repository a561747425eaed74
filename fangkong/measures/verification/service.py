"""Community verification (落地核查): every risk person to find is a task for the community of their address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.scope import acting
from fangkong.db.sets import chunks
from fangkong.errors import InvalidInput
from fangkong.measures.models import EndReason, Measure, MeasureStatus, SourceKind, VerificationOutcome
from fangkong.measures.obligations import end_obligation
from fangkong.measures.service import withdraw
from fangkong.measures.sites import service as sites
from fangkong.people.models import Person
from fangkong.tasks import service as task_service
from fangkong.tasks import sla
from fangkong.tasks.models import OwnerKind, Task, TaskKind, TaskStatus

__all__ = ["OUTCOMES", "list_verifications", "open_for_case", "queue_counts", "record_outcome", "risk_categories"]

#: what the verifier found at the door → the task's closing status
OUTCOMES = {VerificationOutcome.FOUND_PLACED: TaskStatus.DONE, VerificationOutcome.MOVED: TaskStatus.FORWARDED,
            VerificationOutcome.NOT_FOUND: TaskStatus.NOT_FOUND, VerificationOutcome.WRONG_PERSON: TaskStatus.WRONG_PERSON}


def open_for_case(session: Session, case: Case, *, now: datetime) -> int:
    """A verification task per registered risk person of the case, owned by their home community: due when
    close contacts must be placed (3 h) or, for the others, the same day. A person already given a task for
    this case (a re-trace) gets no second one; its tasks point again at the re-trace's row of the same person.
    Returns how many were opened."""
    actor = acting(session)
    rp = (select(RiskPerson.id).where(RiskPerson.case_fk == Task.case_fk, RiskPerson.person_fk == Task.person_fk)
          .scalar_subquery())
    session.execute(update(Task).where(Task.case_fk == case.id, Task.kind == TaskKind.VERIFICATION,
                                       Task.risk_person_fk.is_(None)).values(risk_person_fk=rp)
                    .execution_options(synchronize_session=False))
    risks = session.execute(
        select(RiskPerson.id, RiskPerson.person_fk, RiskPerson.category, RiskPerson.placed_deadline_at,
               RiskPerson.found_at)
        .where(RiskPerson.case_fk == case.id, RiskPerson.person_fk.is_not(None))).all()
    have = set(session.scalars(select(Task.person_fk).where(Task.case_fk == case.id,
                                                            Task.kind == TaskKind.VERIFICATION)))
    todo = [r for r in risks if r.person_fk not in have]
    if not todo:
        return 0
    communities, measures = {}, {}
    fks = [r.person_fk for r in todo]
    for part in chunks(fks):
        communities.update(session.execute(select(Person.id, Person.community).where(Person.id.in_(part))).all())
        measures.update(session.execute(select(Measure.person_fk, Measure.id).where(
            Measure.person_fk.in_(part), Measure.status == MeasureStatus.ACTIVE)).all())
    rows = []
    for r in todo:
        community = communities.get(r.person_fk) or "unknown"
        step, due = ("contacts_placed", r.placed_deadline_at) if r.placed_deadline_at else (
            "verified", task_service.deadline("verified", r.found_at))
        rows.append(dict(kind=TaskKind.VERIFICATION, step=step, status=TaskStatus.OPEN,
                         jurisdiction=community,
                         owner_kind=OwnerKind.COMMUNITY, owner_ref=community, owner_name=community,
                         case_fk=case.id,
                         person_fk=r.person_fk, risk_person_fk=r.id, measure_fk=measures.get(r.person_fk),
                         started_at=r.found_at, due_at=due, created_at=now, version=1))
    for part in chunks(rows):
        session.execute(insert(Task), list(part))
    audit(session, actor, "verification.opened", "case", case.case_no, after={"tasks": len(rows)})
    return len(rows)


def record_outcome(session: Session, task: Task, outcome: str, *, jurisdiction: str, version: int, at: datetime,
                   to_community: str | None = None, note: str | None = None) -> Task:
    """The verifier's finding at the door, with its time. Checks, in order: a verification task, the
    verifier's jurisdiction (403), the version they saw (409 with the current state), the outcome.
    `moved` forwards the person to the community they moved to; `wrong_person` withdraws the measure the
    task placed them under. Returns the closed task."""
    if task.kind != TaskKind.VERIFICATION:
        raise InvalidInput(f"task {task.id} is a {task.kind} task, not a verification", key="err_not_verification", params={"id": task.id})
    task_service.check_jurisdiction(task, jurisdiction)
    task_service.check_version(task, version)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", key="err_bad_outcome")
    if at < task.started_at:
        raise InvalidInput(f"outcome time {at.isoformat()} is before the task began ({task.started_at.isoformat()})", key="err_outcome_before_task")
    if outcome == VerificationOutcome.MOVED and not (to_community and to_community.isdigit() and 6 <= len(to_community) <= 12):
        raise InvalidInput("a person who moved is forwarded: give the community code they moved to (to_community)",
                           key="verify_need_to_community")
    if outcome == VerificationOutcome.MOVED and to_community == task.jurisdiction:
        raise InvalidInput(f"the person is forwarded to another community, not back to {to_community}",
                           key="verify_not_same_community", params={"c": to_community})
    task_service.close_task(session, task, OUTCOMES[outcome], at=at,
                            note=note or (f"moved to {to_community}" if outcome == VerificationOutcome.MOVED
                                          else None))
    if outcome == VerificationOutcome.MOVED:
        task_service.open_task(
            session, TaskKind.VERIFICATION, task.step,
            owner=task_service.Owner(OwnerKind.COMMUNITY, to_community, to_community),
            start=at, due=task.due_at if task.step == "contacts_placed" else None, jurisdiction=to_community,
            case_fk=task.case_fk, person_fk=task.person_fk, risk_person_fk=task.risk_person_fk,
            measure_fk=task.measure_fk, parent_fk=task.id, note=f"forwarded from {task.jurisdiction}")
    if outcome == VerificationOutcome.WRONG_PERSON:
        _withdraw(session, task, at)
    task_service.flush_versioned(session, task)
    return task


def _withdraw(session: Session, task: Task, at: datetime) -> None:
    """The person at the address is not the one traced: the obligations this trace gave them are withdrawn, and
    so are those of everyone found only through them (a secondary contact whose every piece of evidence is via
    this person): each re-evaluated, their other obligations untouched."""
    actor = acting(session)
    if task.case_fk is None:
        # a door check of an assistance request (协查): only the obligation the request placed is withdrawn
        m = session.get(Measure, task.measure_fk) if task.measure_fk else None
        if m is not None and m.ended_at is None and m.source_kind == SourceKind.REQUEST:
            withdraw(session, m, at=at, reason="wrong_person")
        return
    person_id = session.scalar(select(Person.person_id).where(Person.id == task.person_fk))
    ms = list(session.scalars(select(Measure).where(Measure.person_fk == task.person_fk,
                                                    Measure.case_fk == task.case_fk, Measure.ended_at.is_(None))))
    rows = session.execute(select(Measure, RiskPerson.evidence, RiskPerson.category)
                           .join(RiskPerson, RiskPerson.id == Measure.risk_person_fk)
                           .where(Measure.case_fk == task.case_fk, Measure.ended_at.is_(None),
                                  Measure.person_fk != task.person_fk)).all()
    # the trace's category, not the obligation's: a secondary contact upgraded to close because this person tested
    # positive holds a close obligation that came only through him
    ms += [m for m, evidence, category in rows
           if evidence and all(ev.get("via") == person_id and ev.get("kind") in ("venue", "household")
                               for ev in evidence) and category == RiskCategory.SECONDARY]
    for m in ms:
        end_obligation(session, m, at=at, reason=EndReason.WITHDRAWN)
        sites.vacate(session, m, at=at, reason="wrong_person")
        audit(session, actor, "measure.withdrawn", "measure", m.id, after={"reason": "wrong_person",
                                                                         "task": task.id})


def list_verifications(session: Session, *, now: datetime, jurisdiction: str | None = None,
                       status: str | None = "open", overdue: bool = False, limit: int = 100,
                       offset: int = 0, past: bool = False) -> list[Task]:
    return task_service.list_tasks(session, now=now, kind=TaskKind.VERIFICATION, jurisdiction=jurisdiction,
                                   status=status, overdue=overdue, limit=limit, offset=offset, past=past)


def queue_counts(session: Session, *, now: datetime, since: datetime, past: bool = False) -> list[dict]:
    """Per community: verification tasks open, open past their deadline, and closed since `since` (the start
    of the verifiers' day), most open first (one aggregate query)."""
    is_open = sla.open_as_of(now, past)   # `past`: at a past day's end, those open then, done that day
    done = and_(Task.done_at >= since, Task.done_at <= now)
    q = (select(Task.jurisdiction, func.count().filter(is_open), func.count().filter(is_open, Task.due_at < now),
                func.count().filter(done))
         .where(Task.kind == TaskKind.VERIFICATION, or_(is_open, done))
         .group_by(Task.jurisdiction))
    rows = [{"community": c, "open": o, "overdue": late, "done": d} for c, o, late, d in session.execute(q) if c]
    return sorted(rows, key=lambda r: (-r["open"], r["community"]))


def risk_categories(session: Session, tasks: list[Task]) -> dict[int, str]:
    """task id → the category of the risk person it verifies (tasks of assistance requests have none)."""
    fks = {t.risk_person_fk: t.id for t in tasks if t.risk_person_fk}
    if not fks:
        return {}
    q = select(RiskPerson.id, RiskPerson.category).where(RiskPerson.id.in_(list(fks)))
    return {fks[rid]: cat for rid, cat in session.execute(q)}
