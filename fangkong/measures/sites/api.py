"""HTTP routes of isolation sites: sites, rooms, staff, occupancy, reserve, forecast, room assignment."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.db.core import utcnow
from fangkong.db.jurisdiction import require_inside
from fangkong.errors import InvalidInput
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.measures import service
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites
from fangkong.measures.sites.schemas import (
    Arrival,
    AssignReportRead,
    ForecastDay,
    ReserveRead,
    RoomAssign,
    RoomsAdd,
    SiteCreate,
    SiteRead,
    SiteUpdate,
    StaffAdd,
    StayRead,
)
from fangkong.people import service as people_service

router = APIRouter(tags=["isolation sites"])
SiteId = Annotated[str, Path(max_length=32, pattern=r"^[\w-]+$")]
CodeQ = Annotated[str | None, Query(max_length=32, pattern=r"^\d+$")]


def _read(session, site_id: str) -> SiteRead:
    row = next(o for o in capacity.occupancy(session) if o.site_id == site_id)
    return SiteRead(**asdict(row))


def _stay(stay, site_id: str) -> StayRead:
    return StayRead(person_id=stay.person.person_id, measure_id=stay.measure_fk, site_id=site_id,
                    room_no=stay.room.room_no, assigned_at=stay.assigned_at, arrived_at=stay.arrived_at,
                    left_at=stay.left_at)


@router.post("/api/sites", response_model=SiteRead, status_code=201)
def add_site(session: SessionDep, body: SiteCreate):
    site = sites.add_site(session, body.site_id, name=body.name, jurisdiction=body.jurisdiction, lat=body.lat,
                          lon=body.lon, address=body.address, three_zones_two_channels=body.three_zones_two_channels,
                          status=body.status, rooms=body.rooms, beds=body.beds)
    return _read(session, site.site_id)


@router.get("/api/sites", response_model=list[SiteRead])
def list_sites(session: SessionDep, jurisdiction: CodeQ = None):
    """Every site with its occupancy: rooms, occupied, free, people assigned and arrived, staff."""
    return [SiteRead(**asdict(o)) for o in capacity.occupancy(session, jurisdiction=jurisdiction)]


@router.get("/api/sites/reserve", response_model=ReserveRead)
def reserve(session: SessionDep, settings: SettingsDep, jurisdiction: Annotated[str, Query(max_length=32,
                                                                                           pattern=r"^\d+$")]):
    """Rooms per 10 000 residents against the reserve target, with a warning when short (of the user's own
    jurisdiction or one inside it: another district's reserve is 403)."""
    require_inside(session, jurisdiction, f"the room reserve of {jurisdiction}", verb="see")
    return ReserveRead(**asdict(capacity.reserve(session, jurisdiction, per_10k=settings.rooms_per_10k)))


@router.get("/api/sites/forecast", response_model=list[ForecastDay])
def forecast(session: SessionDep, settings: SettingsDep, days: Annotated[int, Query(ge=1, le=30)] = 7,
             jurisdiction: CodeQ = None):
    """Free rooms at the end of each coming day from scheduled releases."""
    if jurisdiction:
        require_inside(session, jurisdiction, f"the room forecast of {jurisdiction}", verb="see")
    rows = capacity.forecast(session, now=utcnow(), tz=settings.zone, days=days, jurisdiction=jurisdiction)
    return [ForecastDay(day=d, free_rooms=n) for d, n in rows]


@router.get("/api/sites/{site_id}", response_model=SiteRead)
def read_site(session: SessionDep, site_id: SiteId):
    return _read(session, sites.get_site(session, site_id).site_id)


@router.patch("/api/sites/{site_id}", response_model=SiteRead)
def update_site(session: SessionDep, site_id: SiteId, body: SiteUpdate):
    site = sites.update_site(session, sites.get_site(session, site_id), status=body.status,
                             three_zones_two_channels=body.three_zones_two_channels)
    return _read(session, site.site_id)


@router.post("/api/sites/{site_id}/rooms", response_model=SiteRead)
def add_rooms(session: SessionDep, site_id: SiteId, body: RoomsAdd):
    site = sites.get_site(session, site_id)
    sites.add_rooms(session, site, body.count, beds=body.beds)
    return _read(session, site.site_id)


@router.post("/api/sites/{site_id}/staff", response_model=SiteRead)
def add_staff(session: SessionDep, site_id: SiteId, body: StaffAdd):
    site = sites.get_site(session, site_id)
    sites.add_staff(session, site, name=body.name, role=body.role, phone=body.phone)
    session.flush()
    session.refresh(site)
    return _read(session, site.site_id)


@router.post("/api/rooms/assign", response_model=StayRead, status_code=201)
def assign_room(session: SessionDep, body: RoomAssign):
    """Put a person under centralized isolation in a given room; 409 when the room is taken."""
    site = sites.get_site(session, body.site_id)
    stay = sites.assign_room(session, service.get_measure(session, body.measure_id), site, body.room_no,
                             now=utcnow())
    return _stay(stay, site.site_id)


@router.post("/api/rooms/assign-all", response_model=AssignReportRead)
def assign_all(session: SessionDep):
    """Rooms for everyone under centralized isolation who has none (nearest site, households together)."""
    r = sites.assign_rooms(session, now=utcnow())
    return AssignReportRead(assigned=r.assigned, no_room=r.no_room, by_site=r.by_site)


@router.post("/api/rooms/arrive", response_model=StayRead)
def arrive(session: SessionDep, body: Arrival):
    """The person reached their room: their transfer task is done."""
    now = utcnow()
    if body.at is not None and body.at > now:
        raise InvalidInput("the arrival time is in the future")
    stay = sites.arrive(session, people_service.get_person(session, body.person_id), at=body.at or now)
    return _stay(stay, stay.room.site.site_id)
