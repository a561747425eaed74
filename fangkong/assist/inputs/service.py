"""Other inputs (DOMAIN.md §9): arrivals from key areas (with their measure), 四类药品 purchases and fever-clinic
visits (pushed to the community), vaccinations (coverage figures)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from fangkong.assist.models import (
    DRUG_CLASSES,
    RISK_LEVELS,
    Arrival,
    DrugPurchase,
    FeverReport,
    InboundArrival,
    Vaccination,
)
from fangkong.assist.service import PersonIn, check_person, clean_person, match_person
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput
from fangkong.measures import service as measure_service
from fangkong.measures.models import MeasureCategory, SourceKind
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.protocol.edition import Edition
from fangkong.protocol.vaccination import PRIMARY_DOSES, born_by, primary_done_by
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, TaskKind

__all__ = ["INBOUND", "coverage", "record_drug_purchase", "record_fever", "record_vaccination", "register_arrival",
           "register_inbound"]

#: the measure category of an inbound traveller (editions' [measures.inbound])
INBOUND = MeasureCategory.INBOUND

_SKEW = timedelta(minutes=2)
_UNMATCHED = task_service.Owner(OwnerKind.DISTRICT, "unmatched", "未登记人员（公安协查）")


def _not_future(name: str, t: datetime, now: datetime) -> None:
    if t.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone")
    if t > now + _SKEW:
        raise InvalidInput(f"{name} {t.isoformat()} is in the future")


def _community_task(session: Session, person: Person | None, step: str, start: datetime, note: str):
    community = (person.community if person else None) or ""
    owner = task_service.Owner(OwnerKind.COMMUNITY, community, community) if community else _UNMATCHED
    task = task_service.open_task(session, TaskKind.VERIFICATION, step, owner=owner, start=start,
                                  jurisdiction=community or None, person_fk=person.id if person else None,
                                  note=note[:500])
    session.flush()
    return task


def register_arrival(session: Session, person_id: str, *, from_area: str, risk_level: str, arrived_at: datetime,
                     now: datetime, edition: Edition, tz: ZoneInfo, source: str | None = None) -> Arrival:
    """An arrival from a key area: the edition's `arrival_<level>` measure from the arrival (its test days
    with it); registering the same arrival again changes nothing."""
    actor = acting(session)
    if risk_level not in RISK_LEVELS:
        raise InvalidInput(f"risk_level must be one of {', '.join(RISK_LEVELS)}")
    if not (from_area or "").strip():
        raise InvalidInput("from_area is empty")
    _not_future("arrived_at", arrived_at, now)
    person = people_service.get_person(session, person_id)
    old = session.scalar(select(Arrival).where(Arrival.person_fk == person.id, Arrival.arrived_at == arrived_at))
    if old is not None:
        if (old.from_area, old.risk_level) != (from_area.strip(), risk_level):
            raise Conflict(f"arrival of {person_id} at {arrived_at.isoformat()} is already registered from "
                           f"{old.from_area} ({old.risk_level}); not overwritten")
        return old
    row = Arrival(person_fk=person.id, from_area=from_area.strip()[:200], risk_level=risk_level,
                  arrived_at=arrived_at, registered_at=now, source=source)
    session.add(row)
    measure_service.assign_for_persons(session, [person.id], f"arrival_{risk_level}", last_exposure_at=arrived_at,
                                       edition=edition, tz=tz, now=now, source=(SourceKind.ARRIVAL, None))
    mark_changed(session, [person.id], now)
    audit(session, actor, "arrival.register", "person", person_id, after={"from": from_area, "level": risk_level})
    session.flush()
    return row


def register_inbound(session: Session, person_id: str, *, from_country: str, entered_at: datetime, now: datetime,
                     edition: Edition, tz: ZoneInfo, port: str | None = None, flight: str | None = None,
                     source: str | None = None) -> InboundArrival:
    """An inbound traveller (境外输入 arrival): the edition's `inbound` measure counted from entry (14+7 in
    edition 8, 7+3 in 9, 5+3 in the 20 measures: centralized isolation, then home), with its tests, as an
    obligation (`source_kind` arrival, `source_ref` inbound:<id>) beside the person's others. Registering the same
    entry again changes nothing; the same entry with other data is refused, never overwritten."""
    actor = acting(session)
    from_country = (from_country or "").strip()
    if not from_country:
        raise InvalidInput("from_country is empty")
    _not_future("entered_at", entered_at, now)
    clean = lambda v, n: (v or "").strip()[:n] or None  # noqa: E731
    port, flight = clean(port, 100), clean(flight, 40)
    person = people_service.get_person(session, person_id)
    old = session.scalar(select(InboundArrival).where(InboundArrival.person_fk == person.id,
                                                      InboundArrival.entered_at == entered_at))
    if old is not None:
        if (old.from_country, old.port, old.flight) != (from_country[:100], port, flight):
            raise Conflict(f"inbound arrival of {person_id} at {entered_at.isoformat()} is already registered from "
                           f"{old.from_country}; not overwritten")
        return old
    row = InboundArrival(person_fk=person.id, from_country=from_country[:100], port=port, flight=flight,
                         entered_at=entered_at, registered_at=now, source=source)
    session.add(row)
    session.flush()
    measure_service.assign_for_persons(session, [person.id], INBOUND, last_exposure_at=entered_at, edition=edition,
                                       tz=tz, now=now, source=(SourceKind.ARRIVAL, f"inbound:{row.id}"))
    mark_changed(session, [person.id], now)
    audit(session, actor, "inbound_arrival.register", "person", person_id, after={"from": from_country})
    return row


def record_drug_purchase(session: Session, *, pharmacy: str, person: PersonIn, drug_class: str,
                         bought_at: datetime, now: datetime) -> DrugPurchase:
    """A 四类药品 purchase: the buyer's community has them tested within `drug_buyer_tested` (24 h)."""
    actor = acting(session)
    if drug_class not in DRUG_CLASSES:
        raise InvalidInput(f"drug_class must be one of {', '.join(DRUG_CLASSES)}")
    if not (pharmacy or "").strip():
        raise InvalidInput("pharmacy is empty")
    p = clean_person(person)
    if err := check_person(p):
        raise InvalidInput(err)
    _not_future("bought_at", bought_at, now)
    key = (DrugPurchase.pharmacy == pharmacy.strip(), DrugPurchase.id_number.is_(p.id_number) if p.id_number is None
           else DrugPurchase.id_number == p.id_number, DrugPurchase.phone.is_(None) if p.phone is None
           else DrugPurchase.phone == p.phone, DrugPurchase.bought_at == bought_at, DrugPurchase.drug_class == drug_class)
    old = session.scalar(select(DrugPurchase).where(and_(*key)))
    if old is not None:
        return old
    buyer = match_person(session, p)
    task = _community_task(session, buyer, "drug_buyer_tested", bought_at,
                           f"四类药品 {drug_class} @ {pharmacy}: test within the deadline")
    row = DrugPurchase(pharmacy=pharmacy.strip()[:200], name=p.name, id_number=p.id_number, phone=p.phone,
                       drug_class=drug_class, bought_at=bought_at, person_fk=buyer.id if buyer else None,
                       task_fk=task.id)
    session.add(row)
    audit(session, actor, "drug_purchase.record", "task", task.id, after={"class": drug_class})
    session.flush()
    return row


def record_fever(session: Session, person_id: str, *, clinic: str, seen_at: datetime, temperature: float | None,
                 now: datetime) -> FeverReport:
    """A fever-clinic visit: the person's community follows them up the same day (事不过夜)."""
    actor = acting(session)
    if not (clinic or "").strip():
        raise InvalidInput("clinic is empty")
    if temperature is not None and not 34.0 <= temperature <= 43.0:
        raise InvalidInput(f"temperature {temperature} °C is not a body temperature")
    _not_future("seen_at", seen_at, now)
    person = people_service.get_person(session, person_id)
    old = session.scalar(select(FeverReport).where(FeverReport.clinic == clinic.strip(),
                                                   FeverReport.person_fk == person.id, FeverReport.seen_at == seen_at))
    if old is not None:
        return old
    task = _community_task(session, person, "verified", seen_at, f"发热门诊 {clinic}: follow up")
    row = FeverReport(clinic=clinic.strip()[:200], person_fk=person.id, seen_at=seen_at, temperature=temperature,
                      task_fk=task.id)
    session.add(row)
    audit(session, actor, "fever_report.record", "person", person_id, after={"clinic": clinic})
    session.flush()
    return row


def record_vaccination(session: Session, person_id: str, *, dose: int, on: date, product: str | None,
                       today: date) -> Vaccination:
    """One dose; the same dose again with another date is a conflict, and doses keep their order in time."""
    actor = acting(session)
    if not 1 <= dose <= 4:
        raise InvalidInput(f"dose must be 1–4, got {dose}")
    if on > today:
        raise InvalidInput(f"vaccination date {on} is in the future")
    person = people_service.get_person(session, person_id)
    doses = {v.dose: v for v in session.scalars(select(Vaccination).where(Vaccination.person_fk == person.id))}
    if dose in doses:
        if doses[dose].vaccinated_on != on:
            raise Conflict(f"{person_id} already has dose {dose} on {doses[dose].vaccinated_on}; not overwritten")
        return doses[dose]
    earlier = [v.vaccinated_on for d, v in doses.items() if d < dose]
    later = [v.vaccinated_on for d, v in doses.items() if d > dose]
    if (earlier and on < max(earlier)) or (later and on > min(later)):
        raise InvalidInput(f"dose {dose} on {on} is out of order with {person_id}'s other doses")
    row = Vaccination(person_fk=person.id, dose=dose, vaccinated_on=on, product=(product or None) and product[:100])
    session.add(row)
    audit(session, actor, "vaccination.record", "person", person_id, after={"dose": dose, "on": on.isoformat()})
    session.flush()
    return row


def coverage(session: Session, on: date) -> dict:
    """Doses by `on`, boosters due (6 months after the primary series), the 60+ booster rate and the
    3–11 coverage, over the registered persons."""
    per = (select(Vaccination.person_fk, func.max(Vaccination.dose).label("doses"),
                  func.max(Vaccination.vaccinated_on).filter(Vaccination.dose == PRIMARY_DOSES).label("primary_on"))
           .where(Vaccination.vaccinated_on <= on).group_by(Vaccination.person_fk).subquery())
    old, child_lo, child_hi, due_by = born_by(on, 60), born_by(on, 12), born_by(on, 3), primary_done_by(on)
    doses = func.coalesce(per.c.doses, 0)
    boosted = doses > PRIMARY_DOSES
    is_old = Person.birth_date <= old
    is_child = and_(Person.birth_date > child_lo, Person.birth_date <= child_hi)
    row = session.execute(select(
        func.count(), func.count().filter(doses >= 1), func.count().filter(doses >= PRIMARY_DOSES),
        func.count().filter(boosted), func.count().filter(doses == PRIMARY_DOSES, per.c.primary_on <= due_by),
        func.count().filter(is_old), func.count().filter(is_old, boosted),
        func.count().filter(is_child), func.count().filter(is_child, doses >= 1),
        func.count().filter(is_child, doses >= PRIMARY_DOSES)).select_from(Person)
        .outerjoin(per, per.c.person_fk == Person.id)).one()
    persons, d1, primary, booster, due, n60, b60, n3_11, c3_11, p3_11 = row
    rate = lambda a, b: round(a / b, 4) if b else None
    return {"on": on.isoformat(), "persons": persons, "dose1": d1, "primary": primary, "booster": booster,
            "booster_due": due, "age60_plus": n60, "age60_booster": b60, "age60_booster_rate": rate(b60, n60),
            "age3_11": n3_11, "age3_11_dose1": c3_11, "age3_11_primary": p3_11,
            "age3_11_coverage": rate(c3_11, n3_11)}
