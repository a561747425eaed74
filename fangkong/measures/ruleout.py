"""A declared case ruled out after its declaration (a false positive found by a later re-check, or the wrong
person): what follows it, as of the instant (docs/rules.md, "A case ruled out after declaration").

`cases.service.rule_out` marks the case ruled out and remembers it (db.changes.mark_ruled_out); the measures domain
unwinds its effects at the unit of work's commit (`unwind`, called from the recolour hook, since cases may not
import measures), as the upgrade at a report is done. `effect` reads beforehand who would be touched (the
confirmation's figure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case, CaseStatus
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.measures.models import (
    EndReason,
    HospitalAdmission,
    Measure,
    MeasureStatus,
    SourceKind,
    TestResult,
    TestTask,
)
from fangkong.measures.obligations import end_obligation
from fangkong.measures.sites import service as sites
from fangkong.people.models import Person

__all__ = ["Effect", "effect", "unwind"]


@dataclass
class Effect:
    """What ruling a declared case out does: the obligations that end (their persons), those that are in force
    again, the hospital stay that ends."""

    ended: list[Measure] = field(default_factory=list)
    restored: list[Measure] = field(default_factory=list)
    hospital: list[HospitalAdmission] = field(default_factory=list)

    @property
    def persons(self) -> set[int]:
        return {m.person_fk for m in self.ended}


def _from_case(session: Session, case: Case) -> list[Measure]:
    """The contact obligations in force that came from this case's trace (its own rows; a person found by another
    case too holds that case's row, which stays)."""
    return list(session.scalars(select(Measure).where(Measure.case_fk == case.id, Measure.ended_at.is_(None),
                                                      Measure.source_kind == SourceKind.CONTACT)
                                .order_by(Measure.id)))


def _upgraded_because(session: Session, case: Case) -> list[Measure]:
    """The close obligations in force of secondary contacts upgraded because this case's person was reported
    positive: found through him alone (every piece of their evidence via him), as a withdrawn contact's are."""
    person_id = session.scalar(select(Person.person_id).where(Person.id == case.person_fk))
    found_him = select(RiskPerson.case_fk).where(RiskPerson.person_fk == case.person_fk)
    rows = session.execute(select(Measure, RiskPerson.evidence)
                           .join(RiskPerson, RiskPerson.id == Measure.risk_person_fk)
                           .where(Measure.ended_at.is_(None), Measure.category == RiskCategory.CLOSE,
                                  RiskPerson.category == RiskCategory.SECONDARY,
                                  RiskPerson.case_fk.in_(found_him)).order_by(Measure.id)).all()
    return [m for m, evidence in rows
            if evidence and all(ev.get("via") == person_id for ev in evidence) and m.case_fk != case.id]


def _predecessors(session: Session, m: Measure, at: datetime) -> list[Measure]:
    """The obligations `m` took over when it began (the secondary obligation it upgraded, one of the same category
    it outlasted), still within their own period at `at` and from a case not ruled out: in force again."""
    rows = session.scalars(select(Measure).where(Measure.person_fk == m.person_fk, Measure.id != m.id,
                                                 Measure.ended_at.in_({m.start_at, m.created_at} - {None}),
                                                 Measure.end_reason.in_((EndReason.UPGRADED, EndReason.EXTENDED)),
                                                 Measure.end_at > at))
    return [p for p in rows if _source_open(session, p)]


def _source_open(session: Session, m: Measure) -> bool:
    if m.case_fk is None:
        return True
    return session.scalar(select(Case.status).where(Case.id == m.case_fk)) != CaseStatus.RULED_OUT


def _own_contact_obligations(session: Session, case: Case, at: datetime) -> list[Measure]:
    """The ruled-out person's own contact obligations ended when he became this case, still within their period:
    his exposure to another case was real, so they are in force again."""
    rows = session.scalars(select(Measure).where(Measure.person_fk == case.person_fk,
                                                 Measure.end_reason == EndReason.BECAME_CASE,
                                                 Measure.ended_at >= case.reported_at, Measure.end_at > at))
    return [m for m in rows if _source_open(session, m)]


def effect(session: Session, case: Case, at: datetime) -> Effect:
    """Who ruling `case` out at `at` touches, read before doing it (nothing is changed)."""
    out = Effect()
    out.ended = _from_case(session, case) + _upgraded_because(session, case)
    for m in out.ended:
        out.restored += _predecessors(session, m, at)
    out.restored += _own_contact_obligations(session, case, at)
    out.hospital = list(session.scalars(select(HospitalAdmission).where(HospitalAdmission.case_fk == case.id,
                                                                       HospitalAdmission.discharged_at.is_(None))))
    return out


def _restore(session: Session, old: Measure, at: datetime, tz: ZoneInfo) -> Measure:
    """`old` in force again from `at` until its own end: a new row (the ended one stays as it was), with the tests
    it had not yet taken from today on."""
    new = Measure(person_fk=old.person_fk, case_fk=old.case_fk, risk_person_fk=old.risk_person_fk,
                  category=old.category, kind=old.kind, then_kind=old.then_kind, place=old.place,
                  last_exposure_at=old.last_exposure_at, start_at=at, phase_end_at=old.phase_end_at,
                  end_at=old.end_at, status=MeasureStatus.ACTIVE, edition=old.edition, created_at=at,
                  source_kind=old.source_kind, source_ref=old.source_ref, needs_results=old.needs_results)
    today = at.astimezone(tz).date()
    new.tests = [TestTask(person_fk=old.person_fk, due_date=t.due_date)
                 for t in session.scalars(select(TestTask).where(TestTask.measure_fk == old.id,
                                                                 TestTask.result == TestResult.PENDING,
                                                                 TestTask.due_date >= today))]
    session.add(new)
    session.flush()
    mark_changed(session, [old.person_fk], at)
    return new


def unwind(session: Session, case_ids: list[tuple[int, datetime]], *, tz: ZoneInfo) -> Effect:
    """Cases ruled out after declaration, each at an instant: their hospital stays end; the contact obligations
    from their traces and the upgrades owed to them end as `source_ruled_out`; what those had taken over, and the
    person's own contact obligations, are in force again within their period. Each person's code is recomputed
    at commit. Audited per case with the figures."""
    actor = acting(session)
    total = Effect()
    for case_id, at in sorted(case_ids, key=lambda r: r[1]):
        case = session.get(Case, case_id)
        e = effect(session, case, at)
        for a in e.hospital:
            a.discharged_at = max(at, a.admitted_at)
        for m in e.ended:
            end_obligation(session, m, at=at, reason=EndReason.SOURCE_RULED_OUT, status=MeasureStatus.WITHDRAWN)
            sites.vacate(session, m, at=at, reason=EndReason.SOURCE_RULED_OUT)
        restored = [_restore(session, old, at, tz) for old in e.restored]
        mark_changed(session, [case.person_fk], at)
        audit(session, actor, "case.ruled_out_effect", "case", case.case_no,
              after={"at": at.isoformat(), "persons": len(e.persons), "ended": [m.id for m in e.ended],
                     "restored": [m.id for m in restored], "hospital": [a.id for a in e.hospital]})
        total.ended += e.ended
        total.restored += restored
        total.hospital += e.hospital
    return total
