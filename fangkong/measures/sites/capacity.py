"""Isolation capacity figures: occupancy per site, the room reserve check, the 7-day free-room forecast."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fangkong.db.audit import AuditEntry
from fangkong.measures.models import IsolationSite, Measure, Room, RoomStay, SiteStatus
from fangkong.people.models import Person
from fangkong.protocol.sites import free_room_forecast, reserve_needed, reserve_ratio

__all__ = ["SiteOccupancy", "occupancy", "Reserve", "reserve", "residents", "forecast", "rooms_in_service", "rooms_used"]


@dataclass
class SiteOccupancy:
    """A site's rooms (in service, occupied, free to assign), the people assigned and arrived, its staff."""

    site_id: str
    name: str
    jurisdiction: str
    status: SiteStatus
    three_zones_two_channels: bool
    rooms: int
    in_service: int
    occupied: int
    free: int
    persons: int
    arrived: int
    staff: int


def _changes_after(session: Session, at: datetime) -> tuple[dict[str, dict], dict[str, int], dict[str, int]]:
    """What changed at the sites after `at`, from the append-only audit log (the sites' own rows keep only the
    present): each site's status and 三区两通道 flag before its first change after `at` (site.update keeps the
    before), the rooms added after `at` (site.rooms; not the rooms a site was registered with, `with_site`: those
    are the site's from its start), the staff added after `at` (site.staff). Rooms and staff are only ever added
    (no service takes a room out of service or removes staff)."""
    before: dict[str, dict] = {}
    rooms: dict[str, int] = {}
    staff: dict[str, int] = {}
    q = (select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.before, AuditEntry.after)
         .where(AuditEntry.action.in_(("site.update", "site.rooms", "site.staff")), AuditEntry.at > at)
         .order_by(AuditEntry.at, AuditEntry.id))
    for action, site_id, was, then in session.execute(q):
        if action == "site.update":
            before.setdefault(site_id, was or {})
        elif action == "site.rooms" and not (then or {}).get("with_site"):
            rooms[site_id] = rooms.get(site_id, 0) + int((then or {}).get("added", 0))
        elif action == "site.staff":
            staff[site_id] = staff.get(site_id, 0) + 1
    return before, rooms, staff


def occupancy(session: Session, *, jurisdiction: str | None = None, at: datetime | None = None
              ) -> list[SiteOccupancy]:
    """Per site: rooms, rooms occupied and free, people assigned and arrived (aggregate queries). `at` (a past
    instant, the pages' day control): the sites as they stood then. Occupied, assigned and arrived from the room
    stays' history (a stay from its assignment until its person left); the status, the 三区两通道 flag, the rooms
    in service and the staff from the audit log (_changes_after); a site registered later is left out, unless
    someone was in it by then (a site entered in the system after it was in use)."""
    if at is None:
        rooms = {sid: (n, ins, occ, free) for sid, n, ins, occ, free in session.execute(
            select(Room.site_fk, func.count(), func.sum(sql_case((Room.in_service, 1), else_=0)),
                   func.sum(sql_case((Room.occupants > 0, 1), else_=0)),
                   func.sum(sql_case(((Room.in_service) & (Room.occupants == 0), 1), else_=0)))
            .group_by(Room.site_fk))}
        people = {sid: (n, arr) for sid, n, arr in session.execute(
            select(Room.site_fk, func.count(), func.count(RoomStay.arrived_at)).join(Room, Room.id == RoomStay.room_fk)
            .where(RoomStay.left_at.is_(None)).group_by(Room.site_fk))}
    else:
        held = (RoomStay.assigned_at <= at) & (RoomStay.left_at.is_(None) | (RoomStay.left_at > at))
        taken = select(RoomStay.room_fk).where(held).distinct().subquery()
        busy = taken.c.room_fk.is_not(None)
        rooms = {sid: (n, ins, occ, free) for sid, n, ins, occ, free in session.execute(
            select(Room.site_fk, func.count(), func.sum(sql_case((Room.in_service, 1), else_=0)),
                   func.sum(sql_case((busy, 1), else_=0)),
                   func.sum(sql_case(((Room.in_service) & ~busy, 1), else_=0)))
            .outerjoin(taken, taken.c.room_fk == Room.id).group_by(Room.site_fk))}
        people = {sid: (n, arr) for sid, n, arr in session.execute(
            select(Room.site_fk, func.count(), func.count(sql_case((RoomStay.arrived_at <= at, 1))))
            .join(Room, Room.id == RoomStay.room_fk).where(held).group_by(Room.site_fk))}
    before, added, staff_added = _changes_after(session, at) if at is not None else ({}, {}, {})
    out = []
    for site in session.scalars(select(IsolationSite).options(selectinload(IsolationSite.staff))
                                .order_by(IsolationSite.site_id)):
        if jurisdiction and not site.jurisdiction.startswith(jurisdiction):
            continue
        n, ins, occ, free = (v or 0 for v in rooms.get(site.id, (0, 0, 0, 0)))
        persons, arrived = people.get(site.id, (0, 0))
        status, layout, staff = site.status, site.three_zones_two_channels, len(site.staff)
        if at is not None:
            if site.created_at > at and not persons and not occ:
                continue   # not registered yet
            was, later = before.get(site.site_id, {}), added.get(site.site_id, 0)
            status = was.get("status", status)
            layout = was.get("three_zones_two_channels", layout)
            # rooms added later were in service and free now; they did not exist then
            n, ins, free = max(n - later, 0), max(ins - later, 0), max(free - later, 0)
            staff = max(staff - staff_added.get(site.site_id, 0), 0)
        out.append(SiteOccupancy(site.site_id, site.name, site.jurisdiction, status, layout, n, ins, occ,
                                 free if status == SiteStatus.OPEN else 0, persons, arrived, staff))
    return out


def rooms_in_service(session: Session, at: datetime) -> int:
    """Rooms in service at the sites open at `at` (occupancy as it stood then): the bulletin's "of N open"."""
    return sum(o.in_service for o in occupancy(session, at=at) if o.status == SiteStatus.OPEN)


@dataclass
class Reserve:
    jurisdiction: str
    residents: int
    rooms: int
    needed: int
    per_10k: float | None
    target_per_10k: float
    warning: str | None


#: residents counted per (store, jurisdiction) for the pages: (when, count)
_RESIDENTS: dict[tuple[str, str], tuple[float, int]] = {}
#: how long a page may show a residents count (the register changes with imports, not by the minute; counting
#: the 1 000 000 residents of a district takes 0.3-0.7 s on SQLite)
RESIDENTS_KEPT_S = 300.0


def residents(session: Session, jurisdiction: str, *, kept: bool = False) -> int:
    """Registered residents of a jurisdiction; `kept`: a count at most RESIDENTS_KEPT_S old may answer (the
    /isolation page's reserve), else counted now."""
    key = (str(session.get_bind().engine.url), jurisdiction)
    hit = _RESIDENTS.get(key)
    if kept and hit is not None and time.monotonic() - hit[0] < RESIDENTS_KEPT_S:
        return hit[1]
    # a range on the indexed column, not LIKE (which SQLite answers by reading all the persons): codes are digits,
    # so the codes starting with "140105" are exactly those from "140105" up to, not including, "140106"
    upper = jurisdiction[:-1] + chr(ord(jurisdiction[-1]) + 1) if jurisdiction else None
    in_area = (Person.community >= jurisdiction) & (Person.community < upper) if upper else Person.community.is_not(None)
    n = session.scalar(select(func.count(Person.id)).where(in_area)) or 0
    _RESIDENTS[key] = (time.monotonic(), n)
    return n


def reserve(session: Session, jurisdiction: str, *, per_10k: float, kept: bool = False,
            sites: list[SiteOccupancy] | None = None) -> Reserve:
    """The reserve check: rooms in service at the jurisdiction's sites (not closed) per 10 000 registered
    residents, against the deployment's target (seed 002: 20); a warning when below it. `kept`: the residents
    may be a count up to RESIDENTS_KEPT_S old (residents()). `sites`: the sites as they stood at a past instant
    (occupancy(at=...)), whose rooms count instead of today's."""
    residents_ = residents(session, jurisdiction, kept=kept)
    if sites is not None:
        rooms = sum(s.in_service for s in sites
                    if s.jurisdiction.startswith(jurisdiction) and s.status != SiteStatus.CLOSED)
    else:
        rooms = session.scalar(select(func.count(Room.id)).join(IsolationSite, IsolationSite.id == Room.site_fk)
                               .where(IsolationSite.jurisdiction.startswith(jurisdiction, autoescape=True),
                                      IsolationSite.status != SiteStatus.CLOSED, Room.in_service)) or 0
    needed = reserve_needed(residents_, per_10k)
    ratio = reserve_ratio(rooms, residents_)
    warning = None
    if rooms < needed:
        warning = (f"{jurisdiction}: {rooms} isolation rooms for {residents_} residents "
                   f"({ratio:.1f} per 10 000), below the reserve of {per_10k:g} per 10 000: {needed - rooms} short")
    return Reserve(jurisdiction, residents_, rooms, needed, ratio, per_10k, warning)


def forecast(session: Session, *, now: datetime, tz: ZoneInfo, days: int = 7, jurisdiction: str | None = None,
             sites: list[SiteOccupancy] | None = None) -> list[tuple[date, int]]:
    """Free rooms at the end of each of the next days from scheduled releases: a room frees when the last of
    its occupants' centralized phase ends (one aggregate query). `sites`: the sites as they stood at `now`, a past
    instant (occupancy(at=now), the pages' day control): the forecast made then, from the rooms free then at the
    sites open then and the rooms held then (a stay assigned by then and not left by then), each freeing at its
    occupants' scheduled end as the measure has it now."""
    if sites is None:
        open_ = select(IsolationSite.id).where(IsolationSite.status == SiteStatus.OPEN)
        if jurisdiction:
            open_ = open_.where(IsolationSite.jurisdiction.startswith(jurisdiction, autoescape=True))
        free_now = session.scalar(select(func.count(Room.id)).where(Room.site_fk.in_(open_), Room.in_service,
                                                                    Room.occupants == 0)) or 0
        held = RoomStay.left_at.is_(None)
    else:
        shown = [s for s in sites if s.status == SiteStatus.OPEN
                 and (not jurisdiction or s.jurisdiction.startswith(jurisdiction))]
        free_now = sum(s.free for s in shown)
        open_ = select(IsolationSite.id).where(IsolationSite.site_id.in_([s.site_id for s in shown]))
        held = (RoomStay.assigned_at <= now) & (RoomStay.left_at.is_(None) | (RoomStay.left_at > now))
    ends = session.scalars(select(func.max(Measure.phase_end_at)).select_from(RoomStay)
                           .join(Measure, Measure.id == RoomStay.measure_fk).join(Room, Room.id == RoomStay.room_fk)
                           .where(held, Room.site_fk.in_(open_), Room.in_service)
                           .group_by(RoomStay.room_fk))
    return free_room_forecast(free_now, [e for e in ends if e is not None], today=now.astimezone(tz).date(),
                              days=days, tz=tz)


def rooms_used(session: Session, at: datetime) -> int:
    """Rooms with someone in them at `at` (assigned before, not left by then): the bulletin's figure."""
    q = (select(func.count(func.distinct(RoomStay.room_fk)))
         .where(RoomStay.assigned_at < at, (RoomStay.left_at.is_(None)) | (RoomStay.left_at > at)))
    return session.scalar(q) or 0
