"""What the map draws (issue 26): each zone as areas (a grid cell as its 800 m square, a venue or building as a
small square around the venue, the rest of a district as the district's imported boundary), venues and a case's
places as points. Geography comes from the imported boundaries; nothing is fetched from outside."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fangkong.people import service as people_service
from fangkong.people.boundaries import service as boundary_service
from fangkong.protocol.grid import cell_ring
from fangkong.protocol.zones import is_grid_cell
from fangkong.zones.models import PlaceKind, Zone, ZoneStatus

__all__ = ["VENUE_HALF_M", "open_zones", "venue_ring", "zone_areas"]

#: a venue (or a building of its compound) is drawn as a square this many metres each way from its point
VENUE_HALF_M = 60.0


def open_zones(session: Session) -> list[Zone]:
    """The zones on the map: proposed and approved (lifted and rejected ones are history), places loaded."""
    q = (select(Zone).where(Zone.status.in_((ZoneStatus.PROPOSED, ZoneStatus.APPROVED)))
         .options(selectinload(Zone.places)).order_by(Zone.id))
    return list(session.scalars(q))


def venue_ring(lat: float, lon: float, half_m: float = VENUE_HALF_M) -> list[list[float]]:
    dy = half_m / 111_320.0
    dx = dy / max(math.cos(math.radians(lat)), 1e-6)
    return [[lon - dx, lat - dy], [lon + dx, lat - dy], [lon + dx, lat + dy], [lon - dx, lat + dy], [lon - dx, lat - dy]]


def _r(ring: list[list[float]]) -> list[list[float]]:
    return [[round(x, 6), round(y, 6)] for x, y in ring]


def zone_areas(session: Session, zones: list[Zone]) -> list[dict]:
    """Per zone: number, name, level, status, its places' outer rings ([lon, lat] lists) and how many places could
    not be drawn (a carrier's own cell name, a venue with no position, a district with no imported boundary)."""
    venue_of = {p.ref: p.ref if p.kind == PlaceKind.VENUE else p.ref.rpartition("/")[0]
                for z in zones for p in z.places if p.kind in (PlaceKind.VENUE, PlaceKind.BUILDING)}
    venues = people_service.venues_by_ids(session, set(venue_of.values()))
    districts = {p.ref for z in zones for p in z.places if p.kind == PlaceKind.DISTRICT}
    shapes = {b.code: b for b in boundary_service.boundaries_by_codes(session, districts)}
    out = []
    for z in zones:
        rings, missing, seen = [], 0, set()
        for p in z.places:
            if p.kind in (PlaceKind.VENUE, PlaceKind.BUILDING):
                v = venues.get(venue_of[p.ref])
                ring = venue_ring(v.lat, v.lon) if v and v.lat is not None and v.lon is not None else None
                rings += [_r(ring)] if ring and venue_of[p.ref] not in seen else []
                seen.add(venue_of[p.ref])
                missing += ring is None
            elif p.kind == PlaceKind.GRID and is_grid_cell(p.ref):
                rings.append(_r(cell_ring(p.ref)))
            elif p.kind == PlaceKind.DISTRICT and p.ref in shapes:
                rings += [poly[0] for poly in shapes[p.ref].geometry["coordinates"]]
            else:
                missing += 1
        out.append({"no": z.zone_no, "name": z.name, "level": z.level, "status": z.status, "places": len(z.places),
                    "missing": missing, "rings": rings})
    return out
