"""The facts a zone's lifting depends on: its testing rounds and (三区 rule) its close contacts' status."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.jurisdiction import acting
from fangkong.errors import Conflict, InvalidInput
from fangkong.measures.models import Measure, MeasureStatus, TestResult, TestTask
from fangkong.protocol.zones import RoundResult
from fangkong.zones.jurisdiction import require_zone_inside
from fangkong.zones.models import Zone, ZoneResident, ZoneRound

__all__ = ["contacts_clear", "record_round", "rounds_of"]


def record_round(session: Session, zone: Zone, *, day: date, tested: int, positive: int, complete: bool = True,
                 now: datetime, actor: str) -> ZoneRound:
    """A testing round over the zone (from the testing team); the same day twice with other figures is refused."""
    require_zone_inside(session, zone)
    actor = acting(session, actor)
    if tested < 0 or positive < 0 or positive > tested:
        raise InvalidInput(f"a round needs 0 ≤ positive ≤ tested, got tested={tested} positive={positive}")
    if zone.status != "approved":
        raise Conflict(f"zone {zone.zone_no} is {zone.status}; rounds are recorded for approved zones")
    old = session.scalar(select(ZoneRound).where(ZoneRound.zone_fk == zone.id, ZoneRound.day == day))
    if old is not None:
        if (old.tested, old.positive, old.complete) != (tested, positive, complete) and old.complete:
            raise Conflict(f"zone {zone.zone_no} already has a complete round on {day} "
                           f"({old.tested} tested, {old.positive} positive); not overwritten")
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
    round when every resident test due that day has a result and all are negative. A recorded round wins."""
    since = zone.clock_from.astimezone(tz).date() if zone.clock_from else date.min
    count = session.scalar(select(func.count()).where(ZoneResident.zone_fk == zone.id)) or 0
    out = {r.day: RoundResult(r.day, r.complete and r.positive == 0 and r.tested > 0, r.complete or r.positive > 0,
                              tested=r.tested, residents=count)
           for r in session.scalars(select(ZoneRound).where(ZoneRound.zone_fk == zone.id, ZoneRound.day >= since))}
    residents = select(ZoneResident.person_fk).where(ZoneResident.zone_fk == zone.id)
    q = (select(TestTask.due_date, func.count(), func.count().filter(TestTask.result == TestResult.NEGATIVE),
                func.count().filter(TestTask.result == TestResult.PENDING))
         .join(Measure).where(TestTask.person_fk.in_(residents), Measure.category == "sealed_resident",
                              Measure.status != MeasureStatus.REPLACED, TestTask.due_date >= since)
         .group_by(TestTask.due_date))
    for day, due, negative, pending in session.execute(q):
        # a positive settles the round even while other results are outstanding
        out.setdefault(day, RoundResult(day, due > 0 and due == negative, pending == 0 or negative + pending < due))
    return tuple(sorted(out.values(), key=lambda r: r.day))


def contacts_clear(session: Session, zone: Zone, edition, *, now: datetime, tz: ZoneInfo) -> bool:
    """三区 rule: every close contact exposed at one of the zone's venues is past the period and negative."""
    days = edition.zones.get("sealed_lift_days")
    if days is None or zone.case_fk is None:
        return True
    refs = {p.ref for p in zone.places if p.kind == "venue"}
    risks = [r for r in session.scalars(select(RiskPerson).where(RiskPerson.case_fk == zone.case_fk,
                                                                 RiskPerson.category == RiskCategory.CLOSE))
             if any(ev.get("place") in refs for ev in r.evidence or [])]
    if any(r.last_exposure_at + timedelta(days=int(days)) > now for r in risks):
        return False
    fks = [r.person_fk for r in risks if r.person_fk is not None]
    if not fks:
        return True
    today = now.astimezone(tz).date()
    open_tests = select(func.count(TestTask.id)).where(TestTask.person_fk.in_(fks), TestTask.due_date <= today,
                                                       TestTask.result != TestResult.NEGATIVE)
    return not session.scalar(open_tests)
