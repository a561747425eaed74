"""Isolation sites: the room reserve, room assignment (one person per room, a household may share, nearest
site with room), and the free-room forecast from scheduled releases (DOMAIN.md §7)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["RESERVE_PER_10K", "reserve_needed", "reserve_ratio", "distance_km", "Group", "SiteRooms", "plan_rooms",
           "free_room_forecast"]

#: seed 002: 20 isolation rooms per 10 000 residents, ready in reserve (deployment setting)
RESERVE_PER_10K = 20.0


def reserve_needed(residents: int, per_10k: float = RESERVE_PER_10K) -> int:
    """Rooms a jurisdiction of `residents` people must hold in reserve (rounded up)."""
    return math.ceil(residents * per_10k / 10_000 - 1e-9)


def reserve_ratio(rooms: int, residents: int) -> float | None:
    """Rooms per 10 000 residents; None for a jurisdiction with no registered resident."""
    return rooms * 10_000 / residents if residents else None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Group:
    """People who may share rooms: one household (or one person alone), with where they live."""

    key: str
    size: int
    lat: float | None = None
    lon: float | None = None
    community: str | None = None


@dataclass
class SiteRooms:
    key: str
    jurisdiction: str
    lat: float | None
    lon: float | None
    #: free rooms as (room key, beds), in the order they are handed out
    rooms: list[tuple[str, int]] = field(default_factory=list)


def _rooms_for(size: int, rooms: Sequence[tuple[str, int]]) -> list[tuple[str, int]] | None:
    """Rooms (key, people) taking a group of `size` from the front of `rooms`, or None when too few."""
    out, left = [], size
    for key, beds in rooms:
        if left <= 0:
            break
        n = min(max(beds, 1), left)
        out.append((key, n))
        left -= n
    return out if left <= 0 else None


def _rank(group: Group, site: SiteRooms) -> tuple:
    """Nearest first; without coordinates, the site sharing the longest jurisdiction prefix."""
    if None not in (group.lat, group.lon, site.lat, site.lon):
        return (0, distance_km(group.lat, group.lon, site.lat, site.lon), site.key)
    code = group.community or ""
    shared = next((i for i, (a, b) in enumerate(zip(code, site.jurisdiction, strict=False)) if a != b),
                  min(len(code), len(site.jurisdiction)))
    return (1, -shared, site.key)


def plan_rooms(groups: Iterable[Group], sites: Sequence[SiteRooms]) -> dict[str, tuple[str, list[tuple[str, int]]]]:
    """For each group in the given order: the nearest site with enough free rooms for all of it, and its rooms
    (room key, people). A room only ever holds one group and never more people than beds; one person alone
    gets a room of their own. Groups that fit nowhere are left out. `sites` is consumed (rooms handed out)."""
    plan: dict[str, tuple[str, list[tuple[str, int]]]] = {}
    for group in groups:
        for site in sorted(sites, key=lambda s: _rank(group, s)):
            rooms = _rooms_for(group.size, site.rooms) if group.size > 1 else (
                [(site.rooms[0][0], 1)] if site.rooms else None)
            if rooms is not None:
                plan[group.key] = (site.key, rooms)
                del site.rooms[:len(rooms)]
                break
    return plan


def free_room_forecast(free_now: int, release_times: Iterable[datetime], *, today: date, days: int,
                       tz: ZoneInfo) -> list[tuple[date, int]]:
    """Free rooms at the end of each of the next `days` days, if no one new arrives: the rooms free now plus
    every occupied room whose last occupant's scheduled release falls by then."""
    ends = sorted(t.astimezone(tz) for t in release_times)
    out = []
    for i in range(1, days + 1):
        day = today + timedelta(days=i - 1)
        limit = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        out.append((day, free_now + sum(1 for t in ends if t <= limit)))
    return out
