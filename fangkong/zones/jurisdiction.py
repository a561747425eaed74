"""Whose a zone is: the communities of its places (and of its case), checked before a user proposes or decides.

A venue is in its community (a building in its compound's); a grid cell in the communities of the venues
located in it; a district place in that district; a case's zone also in the case's community. A district user proposes, approves, rejects, lowers, lifts and records rounds only
for zones wholly inside its jurisdiction; a zone across districts (or of cells with no known venue and no
case) needs a user whose jurisdiction covers all of it (fangkong.db.jurisdiction).
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.db.jurisdiction import require_inside
from fangkong.db.scope import scope_of
from fangkong.db.sets import chunks
from fangkong.errors import Forbidden
from fangkong.people.models import Venue
from fangkong.protocol.grid import DEG_LAT, grid_id
from fangkong.zones.models import PlaceKind, Zone

__all__ = ["place_codes", "require_places_inside", "require_zone_inside", "zone_inside"]


def _cell_codes(session: Session, cell: str) -> set[str | None]:
    """Communities of the venues located in grid cell "row:col" (a bounding box, then the exact formula)."""
    try:
        row, col = (int(x) for x in cell.split(":"))
    except ValueError:
        return set()
    lat0, lat1 = row * DEG_LAT, (row + 1) * DEG_LAT
    # the column width follows the cosine of the row's centre latitude (protocol.grid)
    width = DEG_LAT / max(math.cos(math.radians((row + 0.5) * DEG_LAT)), 1e-9)
    lon0, lon1 = col * width, (col + 1) * width
    q = select(Venue.lat, Venue.lon, Venue.community).where(
        Venue.lat >= lat0 - 1e-9, Venue.lat <= lat1 + 1e-9, Venue.lon >= lon0 - 1e-9, Venue.lon <= lon1 + 1e-9)
    return {c for lat, lon, c in session.execute(q) if grid_id(lat, lon) == cell}


def place_codes(session: Session, places: list[tuple[str, str]], case_community: str | None = None,
                has_case: bool = False) -> set[str | None]:
    """The communities of (kind, ref) places; a case's community too. Empty: nothing located."""
    codes: set[str | None] = set()
    venue_ids = sorted({ref if kind == PlaceKind.VENUE else ref.rpartition("/")[0]
                        for kind, ref in places if kind in (PlaceKind.VENUE, PlaceKind.BUILDING)})
    for part in chunks(venue_ids):
        codes.update(session.scalars(select(Venue.community).where(Venue.venue_id.in_(part))))
    for kind, ref in places:
        if kind == PlaceKind.GRID:
            codes |= _cell_codes(session, ref)
        elif kind == PlaceKind.DISTRICT:  # the rest of a county/district: the district's own code
            codes.add(ref)
    if has_case:
        codes.add(case_community)
    return codes


def require_places_inside(session: Session, places: list[tuple[str, str]], what: str) -> None:
    """Forbidden unless every place lies inside the user's jurisdiction (a no-op for the CLI and jobs)."""
    if not scope_of(session):
        return
    codes = place_codes(session, places) or {None}
    for code in sorted(codes, key=lambda c: c or ""):
        require_inside(session, code, what)


def require_zone_inside(session: Session, zone: Zone) -> None:
    """Forbidden unless the zone (its places and its case) lies inside the user's jurisdiction."""
    if not scope_of(session):
        return
    case = zone.case
    codes = place_codes(session, [(p.kind, p.ref) for p in zone.places],
                        case.person.community if case is not None and case.person is not None else None,
                        has_case=case is not None) or {None}
    for code in sorted(codes, key=lambda c: c or ""):
        require_inside(session, code, f"zone {zone.zone_no}")


def zone_inside(session: Session, zone: Zone) -> bool:
    try:
        require_zone_inside(session, zone)
    except Forbidden:
        return False
    return True
