"""The facts a zone's lifting depends on: its testing rounds (each resident tested or accounted for with a reason),
the risk persons living in it, and (三区 rule) its close contacts' status."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures.models import Measure, MeasureCategory, MeasureStatus, TestResult, TestTask
from fangkong.measures.obligations import in_force
from fangkong.people.models import Person
from fangkong.people.service import chunks
from fangkong.protocol.zones import ABSENCE_REASONS, ResidentDuty, RoundResult, round_cover
from fangkong.zones.jurisdiction import require_zone_inside
from fangkong.zones.models import PlaceKind, Zone, ZoneAbsence, ZoneResident, ZoneRound, ZoneStatus

__all__ = ["absences_of", "contacts_clear", "record_absence", "record_round", "resident_duties", "rounds_of"]


def _residents(session: Session, zone: Zone) -> dict[int, str]:
    """person_fk → person_id of the zone's residents (fixed at approval)."""
    q = (select(ZoneResident.person_fk, Person.person_id).join(Person, Person.id == ZoneResident.person_fk)
         .where(ZoneResident.zone_fk == zone.id))
    return dict(session.execute(q).all())


def record_absence(session: Session, zone: Zone, *, day: date, person_id: str, reason: str,
                   note: str | None = None, now: datetime) -> ZoneAbsence:
    """Account for a resident not tested in the zone's round of `day`, with a reason (protocol.zones.
    ABSENCE_REASONS). The same again changes nothing; another reason for the same day is refused, never
    overwritten."""
    require_zone_inside(session, zone)
    actor = acting(session)
    if reason not in ABSENCE_REASONS:
        raise InvalidInput(f"absence reason must be one of {', '.join(ABSENCE_REASONS)}, got {reason!r}", key="err_bad_absence",
                           params={"input": reason})
    if zone.status != ZoneStatus.APPROVED:
        raise Conflict(f"zone {zone.zone_no} is {zone.status}; absences are recorded for approved zones",
                       key="err_zone_not_approved", params={"zone": zone.zone_no})
    person = session.scalar(select(Person).where(Person.person_id == person_id))
    if person is None:
        raise NotFound(f"unknown person {person_id!r}", key="form_no_person", params={"person": person_id})
    if person.id not in _residents(session, zone):
        raise InvalidInput(f"{person_id} is not a resident of zone {zone.zone_no}: only residents are accounted for",
                           key="err_not_resident", params={"person": person_id, "zone": zone.zone_no})
    old = session.scalar(select(ZoneAbsence).where(ZoneAbsence.zone_fk == zone.id, ZoneAbsence.day == day,
                                                   ZoneAbsence.person_fk == person.id))
    if old is not None:
        if old.reason != reason:
            raise Conflict(f"{person_id} is already accounted for in the round of {day} of zone {zone.zone_no} "
                           f"({old.reason}); not overwritten", key="err_already_accounted",
                           params={"person": person_id, "day": day})
        return old
    row = ZoneAbsence(zone_fk=zone.id, day=day, person_fk=person.id, reason=reason,
                      note=(note or "").strip()[:500] or None, recorded_at=now, recorded_by=actor)
    session.add(row)
    audit(session, actor, "zone.absence", "zone", zone.zone_no,
          after={"day": day.isoformat(), "person": person_id, "reason": reason})
    session.flush()
    return row


def absences_of(session: Session, zone: Zone) -> list[dict]:
    """The zone's accounted-for residents, by day: {day, person_id, reason, note, recorded_by}."""
    q = (select(ZoneAbsence, Person.person_id).join(Person, Person.id == ZoneAbsence.person_fk)
         .where(ZoneAbsence.zone_fk == zone.id).order_by(ZoneAbsence.day, Person.person_id))
    return [{"day": a.day, "person_id": pid, "reason": a.reason, "note": a.note, "recorded_by": a.recorded_by}
            for a, pid in session.execute(q)]


def record_round(session: Session, zone: Zone, *, day: date, tested: int, positive: int, complete: bool = True,
                 now: datetime) -> ZoneRound:
    """A testing round over the zone (from the testing team); the same day twice with other figures is refused."""
    require_zone_inside(session, zone)
    actor = acting(session)
    if tested < 0 or positive < 0 or positive > tested:
        raise InvalidInput(f"a round needs 0 ≤ positive ≤ tested, got tested={tested} positive={positive}",
                           key="err_round_counts", params={"tested": tested, "positive": positive})
    if zone.status != ZoneStatus.APPROVED:
        raise Conflict(f"zone {zone.zone_no} is {zone.status}; rounds are recorded for approved zones",
                       key="err_zone_not_approved", params={"zone": zone.zone_no})
    old = session.scalar(select(ZoneRound).where(ZoneRound.zone_fk == zone.id, ZoneRound.day == day))
    if old is not None:
        if (old.tested, old.positive, old.complete) != (tested, positive, complete) and old.complete:
            raise Conflict(f"zone {zone.zone_no} already has a complete round on {day} "
                           f"({old.tested} tested, {old.positive} positive); not overwritten",
                           key="err_round_complete", params={"zone": zone.zone_no, "day": day})
        old.tested, old.positive, old.complete, old.recorded_at = tested, positive, complete, now
        row = old
    else:
        row = ZoneRound(zone_fk=zone.id, day=day, tested=tested, positive=positive, complete=complete,
                        recorded_at=now, recorded_by=actor)
        session.add(row)
    audit(session, actor, "zone.round", "zone", zone.zone_no,
          after={"day": day.isoformat(), "tested": tested, "positive": positive, "complete": complete})
    session.flush()
    return row


def rounds_of(session: Session, zone: Zone, tz: ZoneInfo) -> tuple[RoundResult, ...]:
    """Recorded rounds, plus each day the residents' scheduled zone tests were due: a day is an all-negative
    round when every resident test due that day has a result and all are negative. A recorded round wins.

    Each round covers the residents tested and those accounted for that day (`record_absence`; a resident who
    is a case is accounted for as such): a recorded round knows how many it tested, a derived one whom, so it
    names the residents left out."""
    since = zone.clock_from.astimezone(tz).date() if zone.clock_from else date.min
    residents = _residents(session, zone)
    count = len(residents)
    absent: dict[date, dict[int, str]] = defaultdict(dict)
    for day, fk, reason in session.execute(select(ZoneAbsence.day, ZoneAbsence.person_fk, ZoneAbsence.reason)
                                           .where(ZoneAbsence.zone_fk == zone.id, ZoneAbsence.day >= since)):
        if fk in residents:
            absent[day][fk] = reason
    cases: set[int] = set()
    for part in chunks(sorted(residents)):
        cases.update(session.scalars(select(Case.person_fk).where(Case.person_fk.in_(part),
                                                                  Case.status != "ruled_out")))
    out = {}
    for r in session.scalars(select(ZoneRound).where(ZoneRound.zone_fk == zone.id, ZoneRound.day >= since)):
        accounted = {fk for fk in residents if fk in absent[r.day] or fk in cases}
        out[r.day] = RoundResult(r.day, r.complete and r.positive == 0 and r.tested > 0, r.complete or r.positive > 0,
                                 tested=r.tested, residents=count, accounted=len(accounted))
    q = (select(TestTask.due_date, TestTask.person_fk, TestTask.result)
         .join(Measure).where(TestTask.person_fk.in_(select(ZoneResident.person_fk)
                                                       .where(ZoneResident.zone_fk == zone.id)),
                              Measure.category == MeasureCategory.SEALED_RESIDENT,
                              Measure.status != MeasureStatus.REPLACED,
                              TestTask.due_date >= since))
    by_day: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for day, fk, result in session.execute(q):
        by_day[day].append((fk, result))
    for day, tests in by_day.items():
        if day in out:
            continue
        due, negative = len(tests), sum(1 for _, r in tests if r == TestResult.NEGATIVE)
        pending = sum(1 for _, r in tests if r == TestResult.PENDING)
        reasons = {**{fk: "case" for fk in cases}, **absent[day]}
        tested, accounted, left = round_cover(residents, {fk for fk, _ in tests}, reasons)
        # a positive settles the round even while other results are outstanding
        out[day] = RoundResult(day, due > 0 and due == negative, pending == 0 or negative + pending < due,
                               tested=tested, residents=count, accounted=accounted,
                               unaccounted=tuple(sorted(residents[fk] for fk in left)))
    return tuple(sorted(out.values(), key=lambda r: r.day))


#: obligations of a resident that a lifting waits for besides those needing results: a pool member's hold in
#: place lasts until the single re-test is negative
_HELD = (MeasureCategory.POOL_MEMBER,)


def resident_duties(session: Session, zone: Zone, *, now: datetime, tz: ZoneInfo) -> tuple[ResidentDuty, ...]:
    """Risk persons living in the zone (any case's contact, an arrival, a pool member held, whatever their
    evidence: issue 23) with an obligation in force now that still needs results; the zone's own residence
    obligation does not count."""
    residents = _residents(session, zone)
    if not residents:
        return ()
    duties = []
    case_nos: dict[int, str] = {}
    for fk, obligations in in_force(session, list(residents), now, tz=tz).items():
        for o in obligations:
            if (o.kind != "measure" or o.label == MeasureCategory.SEALED_RESIDENT
                    or not (o.needs_results or o.label in _HELD)):
                continue
            if o.case_id is not None and o.case_id not in case_nos:
                case_nos[o.case_id] = session.scalar(select(Case.case_no).where(Case.id == o.case_id)) or ""
            duties.append(ResidentDuty(residents[fk], o.label, case_nos.get(o.case_id) or None, o.overdue))
    return tuple(duties)


def contacts_clear(session: Session, zone: Zone, edition, *, now: datetime, tz: ZoneInfo) -> bool:
    """三区 rule: every close contact from the zone — exposed at one of its venues, or living in it whatever his
    evidence — is past the period and negative."""
    days = edition.zones.get("sealed_lift_days")
    if days is None:
        return True
    refs = {p.ref for p in zone.places if p.kind == PlaceKind.VENUE}
    risks = [r for r in session.scalars(select(RiskPerson).where(RiskPerson.case_fk == zone.case_fk,
                                                                 RiskPerson.category == RiskCategory.CLOSE))
             if any(ev.get("place") in refs for ev in r.evidence or [])]
    # and every close contact living in the zone, of any case, whatever the evidence (issue 23)
    residents = select(ZoneResident.person_fk).where(ZoneResident.zone_fk == zone.id)
    seen = {r.id for r in risks}
    risks += [r for r in session.scalars(select(RiskPerson).where(RiskPerson.person_fk.in_(residents),
                                                                  RiskPerson.category == RiskCategory.CLOSE))
              if r.id not in seen]
    if any(r.last_exposure_at + timedelta(days=int(days)) > now for r in risks):
        return False
    fks = [r.person_fk for r in risks if r.person_fk is not None]
    if not fks:
        return True
    today = now.astimezone(tz).date()
    open_tests = select(func.count(TestTask.id)).where(TestTask.person_fk.in_(fks), TestTask.due_date <= today,
                                                       TestTask.result != TestResult.NEGATIVE)
    return not session.scalar(open_tests)
