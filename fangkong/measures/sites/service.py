"""Isolation-site services: sites, rooms, staff; room assignment with transfer tasks; leaving a room."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import audit
from fangkong.db.jurisdiction import require_inside
from fangkong.db.scope import acting
from fangkong.db.sets import chunks
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures.models import (
    SITE_STATUSES,
    STAFF_ROLES,
    IsolationSite,
    Measure,
    MeasureStatus,
    Room,
    RoomStay,
    SiteStaff,
    SiteStatus,
)
from fangkong.people.models import Person, Venue
from fangkong.protocol.sites import Group, SiteRooms, plan_rooms
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, Task, TaskKind, TaskStatus

__all__ = ["add_site", "update_site", "add_rooms", "add_staff", "get_site", "list_sites", "assign_room",
           "assign_rooms", "AssignReport", "arrive", "vacate", "repoint", "open_stay", "get_room"]

_CENTRALIZED = "centralized_isolation"


def get_site(session: Session, site_id: str) -> IsolationSite:
    site = session.scalar(select(IsolationSite).where(IsolationSite.site_id == site_id))
    if site is None:
        raise NotFound(f"unknown site {site_id!r}", key="err_unknown_site", params={"id": site_id})
    return site


def add_site(session: Session, site_id: str, *, name: str, jurisdiction: str, lat: float | None = None,
             lon: float | None = None, address: str | None = None, three_zones_two_channels: bool = False,
             status: str = "open", rooms: int = 0, beds: int = 1) -> IsolationSite:
    """A new isolation site, with `rooms` rooms numbered 001, 002, … of `beds` beds each."""
    require_inside(session, jurisdiction, f"site {site_id}")
    if session.scalar(select(IsolationSite.id).where(IsolationSite.site_id == site_id)):
        raise Conflict(f"site {site_id} is already registered")
    if status not in SITE_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(SITE_STATUSES)}")
    site = IsolationSite(site_id=site_id, name=name, jurisdiction=jurisdiction, lat=lat, lon=lon, address=address,
                         three_zones_two_channels=three_zones_two_channels, status=status)
    session.add(site)
    session.flush()
    audit(session, acting(session), "site.add", "isolatiosite", site_id, after={"jurisdiction": jurisdiction,
                                                                       "three_zones_two_channels": three_zones_two_channels})
    if rooms:
        add_rooms(session, site, rooms, beds=beds, with_site=True)
    return site


def update_site(session: Session, site: IsolationSite, *, status: str | None = None,
                three_zones_two_channels: bool | None = None) -> IsolationSite:
    require_inside(session, site.jurisdiction, f"site {site.site_id}")
    before = {"status": site.status, "three_zones_two_channels": site.three_zones_two_channels}
    if status is not None:
        if status not in SITE_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(SITE_STATUSES)}")
        site.status = status
    if three_zones_two_channels is not None:
        site.three_zones_two_channels = three_zones_two_channels
    audit(session, acting(session), "site.update", "isolatiosite", site.site_id, before=before,
          after={"status": site.status, "three_zones_two_channels": site.three_zones_two_channels})
    return site


def add_rooms(session: Session, site: IsolationSite, count: int, *, beds: int = 1, with_site: bool = False) -> int:
    """Add `count` rooms after the site's last number. The audit entry is the rooms' history (a past day's
    /isolation counts the rooms added by then, capacity.occupancy); `with_site`: the rooms the site is registered
    with, the site's from its start."""
    require_inside(session, site.jurisdiction, f"site {site.site_id}")
    if not 1 <= count <= 5000 or not 1 <= beds <= 10:
        raise InvalidInput("add 1–5000 rooms of 1–10 beds at a time")
    have = session.scalar(select(func.count(Room.id)).where(Room.site_fk == site.id)) or 0
    width = max(3, len(str(have + count)))
    session.add_all([Room(site_fk=site.id, room_no=f"{n:0{width}d}", beds=beds, in_service=True, occupants=0)
                     for n in range(have + 1, have + count + 1)])
    session.flush()
    audit(session, acting(session), "site.rooms", "isolatiosite", site.site_id,
          after={"added": count, "beds": beds, **({"with_site": True} if with_site else {})})
    return count


def add_staff(session: Session, site: IsolationSite, *, name: str, role: str,
              phone: str | None = None) -> SiteStaff:
    require_inside(session, site.jurisdiction, f"site {site.site_id}")
    if role not in STAFF_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(STAFF_ROLES)}")
    staff = SiteStaff(site_fk=site.id, name=name, role=role, phone=phone)
    session.add(staff)
    audit(session, acting(session), "site.staff", "isolatiosite", site.site_id,
          after={"name": name, "role": role})
    return staff


def list_sites(session: Session, *, jurisdiction: str | None = None) -> list[IsolationSite]:
    q = select(IsolationSite).order_by(IsolationSite.site_id)
    if jurisdiction:
        q = q.where(IsolationSite.jurisdiction.startswith(jurisdiction, autoescape=True))
    return list(session.scalars(q))


def get_room(session: Session, site: IsolationSite, room_no: str) -> Room:
    room = session.scalar(select(Room).where(Room.site_fk == site.id, Room.room_no == room_no))
    if room is None:
        raise NotFound(f"site {site.site_id} has no room {room_no!r}", key="room_unknown",
                       params={"site": site.site_id, "room": room_no})
    return room


def open_stay(session: Session, person_fk: int) -> RoomStay | None:
    return session.scalar(select(RoomStay).where(RoomStay.person_fk == person_fk, RoomStay.left_at.is_(None)))


def _group_key(person: Person) -> str:
    return person.household_id or f"p:{person.person_id}"


def _identified_at(session: Session, m: Measure) -> datetime:
    """When the contact was identified (the 8 h clock to centralized isolation starts there)."""
    found = session.scalar(select(RiskPerson.found_at).where(RiskPerson.id == m.risk_person_fk)) \
        if m.risk_person_fk else None
    return found or m.start_at


def _place(session: Session, m: Measure, room: Room, site: IsolationSite, now: datetime) -> RoomStay:
    """Put the measure's person in `room` (already checked) and open their transfer task."""
    person = m.person
    room.household_key, room.occupants = _group_key(person), room.occupants + 1
    stay = RoomStay(room_fk=room.id, person_fk=m.person_fk, measure_fk=m.id, assigned_at=now)
    session.add(stay)
    for waiting in session.scalars(select(Task).where(Task.person_fk == m.person_fk,
                                                      Task.kind == TaskKind.ROOM_NEEDED,
                                                      Task.status == TaskStatus.OPEN)):
        task_service.close_task(session, waiting, "done", at=now, note=f"room in {site.site_id}")
    start = _identified_at(session, m)
    task_service.open_task(session, TaskKind.TRANSFER, "contact_centralized",
                           owner=task_service.Owner(OwnerKind.SITE, site.site_id, site.name), start=start,
                           jurisdiction=person.community, case_fk=m.case_fk, person_fk=m.person_fk, measure_fk=m.id,
                           note=f"room {room.room_no}")
    return stay


def _check_measure(session: Session, m: Measure) -> None:
    if m.status != MeasureStatus.ACTIVE:
        raise Conflict(f"measure {m.id} is {m.status}, not active", key="room_measure_ended", params={"measure": m.id})
    if m.kind != _CENTRALIZED:
        raise InvalidInput(f"measure {m.id} is {m.kind}: only centralized isolation takes a room (escalate it first)",
                           key="room_not_centralized", params={"measure": m.id})
    stay = open_stay(session, m.person_fk)
    if stay is not None:
        site_id = session.get(IsolationSite, stay.room.site_fk).site_id
        raise Conflict(f"person {m.person.person_id} is already in room {stay.room.room_no} of site {site_id}",
                       key="room_person_placed",
                       params={"person": m.person.person_id, "room": stay.room.room_no, "site": site_id})


def assign_room(session: Session, m: Measure, site: IsolationSite, room_no: str, *, now: datetime) -> RoomStay:
    """Put a person under centralized isolation in a given room: refused when the room is taken (by another
    household, or full), out of service, or the site is not open. Opens the 8 h transfer task."""
    actor = acting(session)
    _check_measure(session, m)
    if site.status != SiteStatus.OPEN:
        raise Conflict(f"site {site.site_id} is {site.status}; it takes no one", key="room_site_closed",
                       params={"site": site.site_id})
    room = get_room(session, site, room_no)
    if not room.in_service:
        raise Conflict(f"room {room_no} of site {site.site_id} is out of service", key="room_out_of_service",
                       params={"site": site.site_id, "room": room_no})
    key = _group_key(m.person)
    if room.occupants and (room.household_key != key or room.occupants >= room.beds):
        raise Conflict(f"room {room_no} of site {site.site_id} is taken ({room.occupants}/{room.beds} beds)",
                       key="room_taken", params={"site": site.site_id, "room": room_no, "occupants": room.occupants,
                                                 "beds": room.beds})
    stay = _place(session, m, room, site, now)
    _flush_rooms(session)
    audit(session, actor, "room.assign", "measure", m.id, after={"site": site.site_id, "room": room_no})
    return stay


def _flush_rooms(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("a room was taken by someone else at the same time; nothing was assigned, try again",
                       key="room_race") from None


@dataclass
class AssignReport:
    assigned: int = 0
    no_room: int = 0
    by_site: dict[str, int] = field(default_factory=dict)


def _centroids(session: Session, communities: set[str]) -> dict[str, tuple[float, float]]:
    """Where a community is: the mean position of its registered venues (persons carry no coordinates)."""
    out = {}
    for part in chunks(sorted(communities)):
        q = (select(Venue.community, func.avg(Venue.lat), func.avg(Venue.lon))
             .where(Venue.community.in_(part), Venue.lat.is_not(None), Venue.lon.is_not(None))
             .group_by(Venue.community))
        out.update({c: (lat, lon) for c, lat, lon in session.execute(q)})
    return out


def _free_rooms(session: Session) -> list[SiteRooms]:
    sites = {s.id: SiteRooms(s.site_id, s.jurisdiction, s.lat, s.lon)
             for s in session.scalars(select(IsolationSite).where(IsolationSite.status == SiteStatus.OPEN))}
    q = (select(Room.id, Room.site_fk, Room.beds).where(Room.site_fk.in_(list(sites)), Room.in_service,
                                                        Room.occupants == 0).order_by(Room.site_fk, Room.room_no))
    for room_id, site_fk, beds in session.execute(q):
        sites[site_fk].rooms.append((str(room_id), beds))
    return list(sites.values())


def assign_rooms(session: Session, *, now: datetime) -> AssignReport:
    """Every person under centralized isolation without a room gets one: households together, the nearest
    open site with enough free rooms, earliest identified first; each gets a transfer task (8 h from being
    identified). Those who fit nowhere get one open `room_needed` task for their district."""
    actor = acting(session)
    has_room = select(RoomStay.person_fk).where(RoomStay.left_at.is_(None))
    waiting = list(session.scalars(select(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                                                         Measure.kind == _CENTRALIZED,
                                                         Measure.person_fk.not_in(has_room))
                                   .order_by(Measure.start_at, Measure.id)))
    report = AssignReport()
    if not waiting:
        return report
    # a person under two centralized obligations (two cases' close contact) takes one room: the first waiting
    once: dict[int, Measure] = {}
    for m in waiting:
        once.setdefault(m.person_fk, m)
    waiting = list(once.values())
    groups: dict[str, list[Measure]] = {}
    for m in waiting:
        groups.setdefault(_group_key(m.person), []).append(m)
    where = _centroids(session, {m.person.community for m in waiting if m.person.community})
    plan = plan_rooms([Group(k, len(ms), *where.get(ms[0].person.community, (None, None)), ms[0].person.community)
                       for k, ms in groups.items()], _free_rooms(session))
    sites = {s.site_id: s for s in session.scalars(select(IsolationSite))}
    for key, members in groups.items():
        if key not in plan:
            for m in members:
                _room_needed(session, m, now)
            report.no_room += len(members)
            continue
        site_id, rooms = plan[key]
        queue = list(members)
        for room_id, n in rooms:
            room = session.get(Room, int(room_id))
            for m in queue[:n]:
                _place(session, m, room, sites[site_id], now)
            queue = queue[n:]
        report.assigned += len(members)
        report.by_site[site_id] = report.by_site.get(site_id, 0) + len(members)
    _flush_rooms(session)
    audit(session, actor, "room.assign_all", "rooms", report.assigned, after=vars(report))
    return report


def _room_needed(session: Session, m: Measure, now: datetime) -> None:
    if session.scalar(select(Task.id).where(Task.person_fk == m.person_fk, Task.kind == TaskKind.ROOM_NEEDED,
                                            Task.status == TaskStatus.OPEN)):
        return
    district = (m.person.community or "")[:6] or "unknown"
    task_service.open_task(session, TaskKind.ROOM_NEEDED, "contact_centralized",
                           owner=task_service.Owner(OwnerKind.DISTRICT, district, None),
                           start=_identified_at(session, m),
                           jurisdiction=m.person.community, case_fk=m.case_fk, person_fk=m.person_fk,
                           measure_fk=m.id, note="no free isolation room")


def arrive(session: Session, person: Person, *, at: datetime) -> RoomStay:
    """The person reached their room: the transfer task is done at `at`."""
    actor = acting(session)
    stay = open_stay(session, person.id)
    if stay is None:
        raise NotFound(f"person {person.person_id} has no room assigned", key="room_none_assigned",
                       params={"person": person.person_id})
    if stay.arrived_at is not None:
        raise Conflict(f"person {person.person_id} arrived already at {stay.arrived_at.isoformat()}",
                       key="room_arrived_already", params={"person": person.person_id})
    if at < stay.assigned_at:
        raise InvalidInput("arrival time is before the room was assigned", key="room_arrival_early")
    stay.arrived_at = at
    for task in session.scalars(select(Task).where(Task.person_fk == person.id,
                                                   Task.kind == TaskKind.TRANSFER,
                                                   Task.status == TaskStatus.OPEN)):
        task_service.close_task(session, task, "done", at=at)
    audit(session, actor, "room.arrive", "person", person.person_id, after={"room": stay.room.room_no})
    return stay


def vacate(session: Session, m: Measure, *, at: datetime, reason: str) -> int:
    """The person leaves the site (released, stepped down, became a case, withdrawn): their room is freed and
    any open transfer or room task for them is cancelled; unless another centralized obligation of theirs is
    still in force, which then keeps the room."""
    actor = acting(session)
    other = session.scalar(select(Measure).where(Measure.person_fk == m.person_fk, Measure.id != m.id,
                                                 Measure.ended_at.is_(None), Measure.kind == _CENTRALIZED)
                           .order_by(Measure.end_at.desc()).limit(1))
    if other is not None:
        repoint(session, m, other)
        return 0
    left = 0
    for stay in session.scalars(select(RoomStay).where(RoomStay.person_fk == m.person_fk, RoomStay.left_at.is_(None))):
        stay.left_at = max(at, stay.assigned_at)
        room = stay.room
        room.occupants = max(0, room.occupants - 1)
        if room.occupants == 0:
            room.household_key = None
        left += 1
    for task in session.scalars(select(Task).where(Task.person_fk == m.person_fk,
                                                   Task.status == TaskStatus.OPEN,
                                                   Task.kind.in_((TaskKind.TRANSFER, TaskKind.ROOM_NEEDED)))):
        task_service.close_task(session, task, "cancelled", at=at, note=reason)
    if left:
        audit(session, actor, "room.vacate", "measure", m.id, after={"reason": reason, "at": at.isoformat()})
    return left


def repoint(session: Session, old: Measure, new: Measure) -> None:
    """A measure replaced by its successor (escalated, extended, upgraded): the person keeps their room."""
    # "fetch" syncs the rows the update matched; the default ("evaluate") walks the whole identity map on every
    # call, which made placing a bad day quadratic (28 % of bench/recolour.py --prepare at 50 000 persons)
    session.execute(update(RoomStay).where(RoomStay.measure_fk == old.id, RoomStay.left_at.is_(None))
                    .values(measure_fk=new.id).execution_options(synchronize_session="fetch"))

