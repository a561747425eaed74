"""Standing resources of a city for the demo and drills: tracing teams, isolation sites at hotels sized to the
reserve, a designated hospital; a day's field work on the tasks; the figures of the response."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.contacts.teams import service as teams
from fangkong.contacts.teams.models import Investigation, TracingTeam
from fangkong.db.scope import acting_as
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import Hospital, RoomStay, VerificationOutcome
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites
from fangkong.measures.verification import service as verification
from fangkong.people.models import Person, Venue
from fangkong.protocol.sites import reserve_needed
from fangkong.tasks import service as task_service
from fangkong.tasks.models import Task, TaskKind, TaskStatus

__all__ = ["prepare_city", "field_work", "Figures", "figures", "rows"]

_SITE_ROOMS = 150  # a typical requisitioned hotel
DEMO = "demo"  # who the demo's resources and field work are by when the session names nobody


def _districts(session: Session) -> dict[str, int]:
    rows = session.execute(select(func.substr(Person.community, 1, 6), func.count()).where(
        Person.community.is_not(None)).group_by(func.substr(Person.community, 1, 6)))
    return {d: n for d, n in rows if d}


def _hotels(session: Session, district: str) -> list[Venue]:
    """Hotels of the district first (requisitioned as sites), then other buildings when it has too few."""
    q = (select(Venue).where(Venue.community.startswith(district), Venue.lat.is_not(None),
                             Venue.kind.in_(("hotel", "office", "other")))
         .order_by((Venue.kind != "hotel"), Venue.venue_id).limit(20))
    return list(session.scalars(q))


def prepare_city(session: Session, *, per_10k: float, now: datetime, teams_per_district: int = 2) -> dict[str, int]:
    """Per district: tracing teams (2 CDC/medical + 1 police), isolation sites at its hotels holding the
    reserve (rooms per 10 000 residents), 三区两通道 in place; one designated hospital for the city. Done by the
    session's actor, else "demo"."""
    with acting_as(session, DEMO):
        return _prepare_city(session, per_10k=per_10k, now=now, teams_per_district=teams_per_district)


def _prepare_city(session: Session, *, per_10k: float, now: datetime, teams_per_district: int) -> dict[str, int]:
    made = {"teams": 0, "sites": 0, "rooms": 0, "hospitals": 0}
    for district, residents in sorted(_districts(session).items()):
        for i in range(1, teams_per_district + 1):
            members = [{"name": f"疾控{i}A", "role": "cdc", "phone": None},
                       {"name": f"医护{i}B", "role": "medical", "phone": None},
                       {"name": f"民警{i}C", "role": "police", "phone": None}]
            teams.register_team(session, f"T{district}-{i}", name=f"{district}流调{i}队", jurisdiction=district,
                                members=members, max_cases=2, now=now)
            made["teams"] += 1
        need = reserve_needed(residents, per_10k)
        for j, hotel in enumerate(_hotels(session, district)):
            if need <= 0:
                break
            rooms = min(_SITE_ROOMS, need)
            site = sites.add_site(session, f"S{district}-{j + 1}", name=f"{hotel.name or hotel.venue_id}（集中隔离点）",
                                  jurisdiction=district, lat=hotel.lat, lon=hotel.lon,
                                  three_zones_two_channels=True, rooms=rooms)
            site.created_at = now   # standing ready from `now`, as the teams (a past day's /isolation lists it)
            need -= rooms
            made["sites"] += 1
            made["rooms"] += rooms
    total = sum(_districts(session).values())
    city = next(iter(sorted(_districts(session))), "140100")[:4]
    hospitals.add_hospital(session, "H-DESIGNATED", name="定点医院", jurisdiction=city,
                           beds=max(50, reserve_needed(total, 5)),
                           negative_pressure_beds=max(10, reserve_needed(total, 1)))
    made["hospitals"] = 1
    return made


def field_work(session: Session, cases: list[Case], *, now: datetime) -> None:
    """What the teams report during the day (deterministic): cases admitted 30 min after being declared; nine
    in ten door checks done two hours after the person was found; three in four transfers arrived four hours
    after the room was assigned; the first case's investigation closed 2½ h after it began. The rest stays
    open and shows up in the overdue list. Done by the session's actor, else "demo"."""
    with acting_as(session, DEMO):
        _field_work(session, cases, now=now)


def _field_work(session: Session, cases: list[Case], *, now: datetime) -> None:
    h = session.scalar(select(Hospital).where(Hospital.designated).order_by(Hospital.id).limit(1))
    for case in cases:
        if h is not None and case.declared_at and case.declared_at + timedelta(minutes=30) <= now:
            hospitals.admit(session, case, h, at=case.declared_at + timedelta(minutes=30))
    checks = session.scalars(select(Task).where(Task.kind == TaskKind.VERIFICATION,
                                                Task.status == TaskStatus.OPEN).order_by(Task.id))
    for i, task in enumerate(list(checks)):
        done_at = task.started_at + timedelta(hours=2)
        if i % 10 != 9 and done_at <= now:
            verification.record_outcome(session, task, VerificationOutcome.FOUND_PLACED, jurisdiction=task.jurisdiction or "",
                                        version=task.version, at=done_at)
    stays = session.scalars(select(RoomStay).where(RoomStay.arrived_at.is_(None), RoomStay.left_at.is_(None))
                            .order_by(RoomStay.id))
    for i, stay in enumerate(list(stays)):
        if i % 4 != 3 and stay.assigned_at + timedelta(hours=4) <= now:
            sites.arrive(session, stay.person, at=stay.assigned_at + timedelta(hours=4))
    first = session.scalar(select(Investigation).where(Investigation.case_fk == cases[0].id)) if cases else None
    if first is not None and first.team is not None and first.started_at + timedelta(hours=2.5) <= now:
        teams.update_investigation(session, first, version=first.version, status="closed",
                                   now=first.started_at + timedelta(hours=2.5), notes="密接已全部落位")


@dataclass
class Figures:
    teams: int
    rooms_total: int
    rooms_used: int
    reserve_per_10k: float | None
    reserve_warning: str | None
    transfers_open: int
    transfers_done: int
    waiting_for_room: int
    beds_used: int
    overdue: dict[str, int] = field(default_factory=dict)


def figures(session: Session, *, at: datetime, per_10k: float) -> Figures:
    """The response at a glance: teams, rooms used and the reserve ratio, transfers, beds, overdue by kind."""
    city = next(iter(sorted(_districts(session))), "")[:4]
    reserve = capacity.reserve(session, city, per_10k=per_10k)
    transfers = dict(session.execute(select(Task.status, func.count()).where(Task.kind == TaskKind.TRANSFER)
                                     .group_by(Task.status)).all())
    return Figures(teams=session.scalar(select(func.count(TracingTeam.id))) or 0, rooms_total=reserve.rooms,
                   rooms_used=capacity.rooms_used(session, at), reserve_per_10k=reserve.per_10k,
                   reserve_warning=reserve.warning, transfers_open=transfers.get("open", 0),
                   transfers_done=transfers.get("done", 0),
                   waiting_for_room=session.scalar(select(func.count(Task.id)).where(
                       Task.kind == TaskKind.ROOM_NEEDED, Task.status == TaskStatus.OPEN)) or 0, beds_used=hospitals.beds_used(session, at),
                   overdue=task_service.overdue_counts(session, now=at))


def rows(f: Figures) -> list[tuple[str, str]]:
    """The figures as (step, text) rows for the demo's summary table."""
    ratio = f"{f.reserve_per_10k:.1f}" if f.reserve_per_10k is not None else "–"
    overdue = ", ".join(f"{k} {n}" for k, n in sorted(f.overdue.items())) or "none"
    return [("tracing teams", f"{f.teams} teams on duty, one per case, assigned at once"),
            ("isolation rooms", f"{f.rooms_used:,} rooms used of {f.rooms_total:,}; reserve {ratio} per 10 000"
                                + (f" — {f.reserve_warning}" if f.reserve_warning else "")),
            ("transfers", f"{f.transfers_done:,} arrived, {f.transfers_open:,} under way (8 h deadline), "
                          f"{f.waiting_for_room:,} waiting for a room; hospital beds used {f.beds_used}"),
            ("overdue at day end", f"{sum(f.overdue.values()):,}: {overdue}")]
