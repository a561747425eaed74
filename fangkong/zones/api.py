"""HTTP routes of zones: proposals, a commander's decisions, lifting, rounds and the published risk-area list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from fangkong.db.core import utcnow
from fangkong.kit.deps import Page, SessionDep, SettingsDep
from fangkong.protocol.edition import load_edition
from fangkong.protocol.zones import RISK_OF, LiftCheck
from fangkong.settings import Settings
from fangkong.zones import service
from fangkong.zones.models import LEVEL_PATTERN, STATUS_PATTERN, PlaceReason, Zone, ZoneStatus
from fangkong.zones.schemas import (
    AbsenceDayIn,
    AbsenceRead,
    Decision,
    Rejection,
    RiskArea,
    RoundIn,
    StepRead,
    ZoneCreate,
    ZoneRead,
)

router = APIRouter(tags=["zones"])
ZoneId = Annotated[str, Path(max_length=20)]


def _step(c: LiftCheck | None) -> StepRead | None:
    if c is None:
        return None
    return StepRead(met=c.met, to=c.to_level or ZoneStatus.LIFTED, due_at=c.due_at, missing=list(c.missing))


def zone_read(session: Session, settings: Settings, zone: Zone) -> ZoneRead:
    check = None
    if zone.status == ZoneStatus.APPROVED:
        check = service.check(session, zone, edition=load_edition(settings.edition), tz=settings.zone, now=utcnow())
    return ZoneRead(zone_id=zone.zone_no, name=zone.name, level=zone.level, risk=RISK_OF[zone.level],
                    status=zone.status, case_id=zone.case.case_no if zone.case else None,
                    proposed_at=zone.proposed_at, approved_at=zone.approved_at, approved_by=zone.approved_by,
                    clock_from=zone.clock_from, closed_at=zone.closed_at,
                    residents=service.resident_count(session, zone),
                    places=[{"kind": p.kind, "ref": p.ref, "name": p.name, "reason": p.reason} for p in zone.places],
                    next_step=_step(check))


@router.get("/api/zones", response_model=list[ZoneRead])
def list_zones(session: SessionDep, settings: SettingsDep, page: Page,
               status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
               level: Annotated[str | None, Query(pattern=LEVEL_PATTERN)] = None):
    zones = service.list_zones(session, status=status, level=level, limit=page.limit, offset=page.offset)
    return [zone_read(session, settings, z) for z in zones]


@router.post("/api/zones", response_model=ZoneRead, status_code=201)
def propose(session: SessionDep, settings: SettingsDep, body: ZoneCreate):
    """A commander's own zone (places by venue_id or grid cell); it still needs an approval."""
    places = [(p.kind, p.ref, PlaceReason.MANUAL) for p in body.places]
    zone = service.create_zone(session, level=body.level, places=places,
                               name=body.name, edition=load_edition(settings.edition), now=utcnow())
    return zone_read(session, settings, zone)


@router.get("/api/zones/{zone_id}", response_model=ZoneRead)
def get_zone(session: SessionDep, settings: SettingsDep, zone_id: ZoneId):
    return zone_read(session, settings, service.get_zone(session, zone_id))


@router.post("/api/zones/{zone_id}/approve", response_model=ZoneRead)
def approve(session: SessionDep, settings: SettingsDep, zone_id: ZoneId, body: Decision):
    """Publish the zone; sealed-zone residents get the zone's measure and their codes turn red."""
    zone = service.approve(session, service.get_zone(session, zone_id), edition=load_edition(settings.edition),
                           tz=settings.zone, now=utcnow())
    return zone_read(session, settings, zone)


@router.post("/api/zones/{zone_id}/reject", response_model=ZoneRead)
def reject(session: SessionDep, settings: SettingsDep, zone_id: ZoneId, body: Rejection):
    zone = service.reject(session, service.get_zone(session, zone_id), reason=body.reason, now=utcnow())
    return zone_read(session, settings, zone)


@router.post("/api/zones/{zone_id}/lift", response_model=ZoneRead)
def lift(session: SessionDep, settings: SettingsDep, zone_id: ZoneId, body: Decision):
    """The zone's next step: a sealed zone is lowered to controlled (9th edition) or lifted; 409 with the
    reason when the condition is not met."""
    zone = service.step(session, service.get_zone(session, zone_id), edition=load_edition(settings.edition),
                        tz=settings.zone, now=utcnow())
    return zone_read(session, settings, zone)


@router.post("/api/zones/{zone_id}/rounds", status_code=201)
def record_round(session: SessionDep, zone_id: ZoneId, body: RoundIn) -> dict:
    """A testing round over the zone, with the residents it did not test, each accounted for with a reason
    (`absent`): tested + accounted for must cover the zone's residents for the round to count."""
    zone = service.get_zone(session, zone_id)
    r = service.record_round(session, zone, day=body.day, tested=body.tested, positive=body.positive,
                             complete=body.complete, now=utcnow())
    for a in body.absent:
        service.record_absence(session, zone, day=body.day, person_id=a.person_id, reason=a.reason, note=a.note,
                               now=utcnow())
    return {"zone_id": zone.zone_no, "day": r.day.isoformat(), "tested": r.tested, "positive": r.positive,
            "complete": r.complete, "absent": len(body.absent)}


@router.post("/api/zones/{zone_id}/absences", response_model=AbsenceRead, status_code=201)
def record_absence(session: SessionDep, zone_id: ZoneId, body: AbsenceDayIn):
    """Account for a resident not tested in the zone's round of a day (moved_out, in_hospital,
    isolated_elsewhere, died, not_found); another reason for the same day is a 409, never overwritten."""
    zone = service.get_zone(session, zone_id)
    a = service.record_absence(session, zone, day=body.day, person_id=body.person_id, reason=body.reason,
                               note=body.note, now=utcnow())
    return AbsenceRead(day=a.day, person_id=body.person_id, reason=a.reason, note=a.note, recorded_by=a.recorded_by)


@router.get("/api/zones/{zone_id}/absences", response_model=list[AbsenceRead])
def list_absences(session: SessionDep, zone_id: ZoneId):
    """The zone's residents accounted for, by day."""
    return service.absences_of(session, service.get_zone(session, zone_id))


@router.post("/api/zones/review", response_model=list[dict])
def review(session: SessionDep, settings: SettingsDep) -> list[dict]:
    """Check every approved zone; steps found met are proposed to the commander."""
    rows = service.review(session, edition=load_edition(settings.edition), tz=settings.zone, now=utcnow())
    return [{"zone_id": z.zone_no, **_step(c).model_dump(mode="json")} for z, c in rows]


@router.get("/api/risk-areas", response_model=list[RiskArea])
def risk_areas(session: SessionDep):
    """The published 高/中/低 risk-area list: approved zones, strictest first."""
    return service.risk_areas(session)
