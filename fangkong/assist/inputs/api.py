"""HTTP routes of the other inputs: key-area arrivals, 四类药品 purchases, fever-clinic visits, vaccinations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from fangkong.assist.inputs import service as inputs
from fangkong.assist.models import AreaRisk, DrugClass
from fangkong.assist.service import PersonIn
from fangkong.db.core import utcnow
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.protocol.edition import load_edition
from fangkong.protocol.times import Happened, HappenedDate, PlannedDate

router = APIRouter(prefix="/api", tags=["other inputs"])
PersonId = Annotated[str, Field(min_length=1, max_length=64)]


class ArrivalIn(BaseModel):
    person_id: PersonId
    from_area: str = Field(min_length=1, max_length=200)
    risk_level: AreaRisk
    arrived_at: Happened


class InboundIn(BaseModel):
    person_id: PersonId
    from_country: str = Field(min_length=1, max_length=100)
    entered_at: Happened
    port: str | None = Field(None, max_length=100)
    flight: str | None = Field(None, max_length=40)


class DrugIn(BaseModel):
    pharmacy: str = Field(min_length=1, max_length=200)
    name: str | None = Field(None, max_length=100)
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=11)
    drug_class: DrugClass
    bought_at: Happened


class FeverIn(BaseModel):
    person_id: PersonId
    clinic: str = Field(min_length=1, max_length=200)
    seen_at: Happened
    temperature: float | None = Field(None, ge=30, le=45)


class VaccinationIn(BaseModel):
    person_id: PersonId
    dose: int = Field(ge=1, le=4)
    on: HappenedDate
    product: str | None = Field(None, max_length=100)


def _aware(t: datetime, settings) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=settings.zone)


@router.post("/arrivals", status_code=201)
def arrival(session: SessionDep, settings: SettingsDep, body: ArrivalIn) -> dict:
    """An arrival from a key area: the edition's arrival measure (and its tests) from the arrival."""
    a = inputs.register_arrival(session, body.person_id, from_area=body.from_area, risk_level=body.risk_level,
                                arrived_at=_aware(body.arrived_at, settings), now=utcnow(),
                                edition=load_edition(settings.edition), tz=settings.zone, source="api")
    return {"id": a.id, "person_id": body.person_id, "risk_level": a.risk_level, "arrived_at": a.arrived_at}


@router.post("/inbound-arrivals", status_code=201)
def inbound_arrival(session: SessionDep, settings: SettingsDep, body: InboundIn) -> dict:
    """An inbound traveller (境外输入): the edition's inbound measure (centralized, then home; with its tests) from
    entry; the same entry again changes nothing, with other data it is refused (409)."""
    a = inputs.register_inbound(session, body.person_id, from_country=body.from_country,
                                entered_at=_aware(body.entered_at, settings), port=body.port, flight=body.flight,
                                now=utcnow(), edition=load_edition(settings.edition), tz=settings.zone, source="api")
    return {"id": a.id, "person_id": body.person_id, "from_country": a.from_country, "entered_at": a.entered_at}


@router.post("/drug-purchases", status_code=201)
def drug_purchase(session: SessionDep, settings: SettingsDep, body: DrugIn) -> dict:
    """A 四类药品 purchase from a pharmacy: the buyer's community has them tested within 24 h."""
    d = inputs.record_drug_purchase(session, pharmacy=body.pharmacy,
                                    person=PersonIn(body.name, body.id_number, body.phone), drug_class=body.drug_class,
                                    bought_at=_aware(body.bought_at, settings), now=utcnow())
    return {"id": d.id, "matched": d.person_fk is not None, "task_id": d.task_fk}


@router.post("/fever-reports", status_code=201)
def fever_report(session: SessionDep, settings: SettingsDep, body: FeverIn) -> dict:
    f = inputs.record_fever(session, body.person_id, clinic=body.clinic, seen_at=_aware(body.seen_at, settings),
                            temperature=body.temperature, now=utcnow())
    return {"id": f.id, "task_id": f.task_fk}


@router.post("/vaccinations", status_code=201)
def vaccination(session: SessionDep, settings: SettingsDep, body: VaccinationIn) -> dict:
    v = inputs.record_vaccination(session, body.person_id, dose=body.dose, on=body.on, product=body.product,
                                  today=utcnow().astimezone(settings.zone).date())
    return {"id": v.id, "person_id": body.person_id, "dose": v.dose, "on": v.vaccinated_on.isoformat()}


@router.get("/vaccinations/coverage")
def coverage(session: SessionDep, settings: SettingsDep,
             on: Annotated[PlannedDate | None, Query(description="the day (default today)")] = None) -> dict:
    """Doses, boosters due (6 months after the primary series), 60+ booster rate, 3–11 coverage."""
    return inputs.coverage(session, on or utcnow().astimezone(settings.zone).date())
