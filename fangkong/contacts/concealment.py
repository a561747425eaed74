"""Concealment (瞒报): trajectory points found in the data that the case did not declare at the interview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.contacts import service
from fangkong.contacts.teams import service as team_service
from fangkong.errors import InvalidInput
from fangkong.lake.queries import Lake
from fangkong.protocol.edition import Edition

__all__ = ["Point", "undeclared", "parse_declared"]


@dataclass(frozen=True)
class Point:
    source: str           # venue_scan or carrier
    place: str            # venue_id or grid_id
    name: str | None
    start: datetime
    end: datetime
    declared: bool


def parse_declared(entries: list[dict], tz: ZoneInfo) -> list[tuple[str, datetime | None, datetime | None]]:
    """Declared points: place (venue id, venue name or grid cell) and an optional time span."""
    out = []
    for i, e in enumerate(entries, start=1):
        place = str(e.get("place") or "").strip()
        if not place:
            raise InvalidInput(f"declared trajectory entry {i} has no place", key="err_trajectory_place", params={"i": i})
        times = []
        for key in ("start", "end"):
            raw = e.get(key)
            if raw in (None, ""):
                times.append(None)
                continue
            try:
                t = datetime.fromisoformat(str(raw))
            except ValueError:
                raise InvalidInput(f"declared trajectory entry {i}: {key} {raw!r} is not an ISO time", key="err_trajectory_time", params={"i": i, "value": raw}) from None
            times.append(t if t.tzinfo else t.replace(tzinfo=tz))
        out.append((place, times[0], times[1]))
    return out


def _covered(place: str, name: str | None, s: datetime, e: datetime, declared) -> bool:
    for d_place, d_start, d_end in declared:
        if d_place not in (place, name):
            continue
        if (d_start is None or d_start <= e) and (d_end is None or s <= d_end):
            return True
    return False


def undeclared(session: Session, case: Case, *, lake: Lake, edition: Edition, tz: ZoneInfo,
               declared_entries: list[dict] | None = None) -> list[Point]:
    """Every data point of the case's window — venue scans and carrier cells — marked declared or not.

    A point counts as declared when the interview named the same venue (by id or name) or cell and a
    time span that touches it (or no time at all). The undeclared ones are what seed 003 calls 瞒报.
    `declared_entries` compares a declaration not saved yet (the investigation form, as the team types) instead
    of the investigation's.
    """
    if case.window_start is None:
        raise InvalidInput(f"case {case.case_no} has not been traced yet: its window is not set",
                           key="inv_not_traced", params={"case": case.case_no})
    if declared_entries is None:
        declared_entries = team_service.get_investigation(session, case).declared_trajectory or []
    declared = parse_declared(declared_entries, tz)
    points = [Point("venue_scan", p["venue_id"], p["name"], p["start"], p["end"],
                    _covered(p["venue_id"], p["name"], p["start"], p["end"], declared))
              for p in service.trajectory(session, case, lake=lake, edition=edition, tz=tz)]
    for c in service.cell_trajectory(case, lake=lake, tz=tz):
        points.append(Point("carrier", c["grid_id"], None, c["start"], c["end"],
                            _covered(c["grid_id"], None, c["start"], c["end"], declared)))
    return sorted(points, key=lambda p: (p.start, p.source, p.place))
