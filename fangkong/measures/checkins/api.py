"""HTTP routes of daily check-ins: the personal link, a report from an app, symptom alerts, non-reporters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.deps import Page, SessionDep, SettingsDep
from fangkong.measures import service
from fangkong.measures.checkins import service as checkins
from fangkong.protocol.checkins import SYMPTOMS
from fangkong.protocol.times import PlannedDate

router = APIRouter(tags=["check-ins"])
Symptom = Literal[SYMPTOMS]  # type: ignore[valid-type]


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float | None = Field(None, ge=34, le=43)
    symptoms: list[Symptom] = Field(default_factory=list, max_length=len(SYMPTOMS))


class CheckInRead(BaseModel):
    person_id: str
    measure_id: int
    day: date
    at: datetime
    temperature: float | None
    symptoms: list[str]
    alert: bool

    @classmethod
    def of(cls, c, person_id: str) -> CheckInRead:
        return cls(person_id=person_id, measure_id=c.measure_fk, day=c.day, at=c.at, temperature=c.temperature,
                   symptoms=c.symptoms, alert=c.alert)


class LinkRead(BaseModel):
    measure_id: int
    person_id: str
    path: str


class NonReporter(BaseModel):
    measure_id: int
    person_id: str
    kind: str
    community: str | None


@router.get("/api/measures/{measure_id}/checkin-link", response_model=LinkRead)
def checkin_link(session: SessionDep, settings: SettingsDep, measure_id: Annotated[int, Path(ge=1, le=2**31 - 1)]):
    """The personal check-in link to send to the person (SMS)."""
    m = service.get_measure(session, measure_id)
    return LinkRead(measure_id=m.id, person_id=m.person.person_id, path=checkins.link_for(m, settings.secret_key))


@router.post("/api/checkin/{token}", response_model=CheckInRead, status_code=201)
def checkin(session: SessionDep, settings: SettingsDep, token: Annotated[str, Path(max_length=64)], body: CheckInIn):
    """Today's report from the person's own app; symptoms or a fever alert their team."""
    m = checkins.measure_for_link(session, token, settings.secret_key)
    c = checkins.record(session, m, temperature=body.temperature, symptoms=list(body.symptoms), at=utcnow(),
                        tz=settings.zone)
    return CheckInRead.of(c, m.person.person_id)


def _day(day: date | None, settings) -> date:
    day = day or utcnow().astimezone(settings.zone).date()
    if not 2000 <= day.year <= 2200:
        raise InvalidInput(f"day {day} must lie between 2000 and 2200")
    return day


@router.get("/api/checkins/non-reporters", response_model=list[NonReporter])
def non_reporters(session: SessionDep, settings: SettingsDep, page: Page, day: PlannedDate | None = None,
                  by_hour: Annotated[int | None, Query(ge=0, le=23)] = None,
                  jurisdiction: Annotated[str | None, Query(max_length=32, pattern=r"^\d+$")] = None):
    """People under a measure who had not reported by the set hour (FANGKONG_CHECKIN_BY_HOUR) of the day."""
    day = _day(day, settings)
    rows = checkins.non_reporters(session, day=day, by_hour=settings.checkin_by_hour if by_hour is None else by_hour,
                                  tz=settings.zone, jurisdiction=jurisdiction, limit=page.limit, offset=page.offset)
    return [NonReporter(measure_id=m.id, person_id=m.person.person_id, kind=m.kind, community=m.person.community)
            for m in rows]


@router.get("/api/checkins/alerts", response_model=list[CheckInRead])
def alerts(session: SessionDep, settings: SettingsDep, page: Page, day: PlannedDate | None = None):
    """The day's reports with symptoms or fever."""
    day = _day(day, settings)
    return [CheckInRead.of(c, c.measure.person.person_id if c.measure else "")
            for c in checkins.alerts(session, day=day, limit=page.limit, offset=page.offset)]
