"""What the map draws (issue 26): each zone as areas (a grid cell as its 800 m square, a venue or building as a
small square around the venue, the rest of a district as the district's imported boundary), venues and a case's
places as points. Geography comes from the imported boundaries; nothing is fetched from outside.

The zones go to the browser in columns (`zone_layers`): a city's 1 500 open zones are ~6 500 squares, sent as
their centres (the browser draws each square at its size in metres at the current zoom) rather than as rings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.db.sets import one_of
from fangkong.people.boundaries import service as boundary_service
from fangkong.people.models import Venue
from fangkong.protocol.grid import CELL_M, cell_centre
from fangkong.protocol.zones import is_grid_cell
from fangkong.zones.models import PlaceKind, Zone, ZonePlace, ZoneStatus

__all__ = ["OPEN", "VENUE_M", "zone_layers"]

#: a venue (or a building of its compound) is drawn as a square this many metres across
VENUE_M = 120.0
#: the zones on the city map: proposed and approved (lifted and rejected ones are history)
OPEN = (ZoneStatus.PROPOSED, ZoneStatus.APPROVED)


def _venue_of(kind: str, ref: str) -> str:
    return ref if kind == PlaceKind.VENUE else ref.rpartition("/")[0]


def zone_layers(session: Session, zone_ids: list[int] | None = None) -> dict:
    """The zones (every open one, or these ids: a page's zones) as the map's layers, in columns:

    - per zone (index z): `no`, `name`, `level`, `status`, `places` (how many) and `missing` (places that cannot be
      drawn: a carrier's own cell name, a venue with no position, a district with no imported boundary);
    - `venues`: [z, lon, lat, ...] the centre of each venue square (a venue's buildings are one square), `venue_m`
      across; `cells`: [z, lon, lat, ...] the centre of each grid cell, `cell_m` across;
    - `areas`: [[z, code], ...] a district place, whose outer rings are `shapes[code]` (each shape sent once)."""
    zq = select(Zone.id, Zone.zone_no, Zone.name, Zone.level, Zone.status).order_by(Zone.id)
    # from zone, so that a scoped session's rule on zones cuts the places too
    pq = (select(ZonePlace.zone_fk, ZonePlace.kind, ZonePlace.ref).select_from(Zone)
          .join(ZonePlace, ZonePlace.zone_fk == Zone.id).order_by(ZonePlace.zone_fk, ZonePlace.id))
    which = Zone.status.in_(OPEN) if zone_ids is None else one_of(session, Zone.id, zone_ids)
    zq, pq = zq.where(which), pq.where(which)
    zones = session.execute(zq).all()
    index = {z[0]: i for i, z in enumerate(zones)}
    places = [p for p in session.execute(pq) if p[0] in index]
    wanted = {_venue_of(k, r) for _, k, r in places if k in (PlaceKind.VENUE, PlaceKind.BUILDING)}
    at = {v: (lon, lat) for v, lon, lat in session.execute(
        select(Venue.venue_id, Venue.lon, Venue.lat).where(one_of(session, Venue.venue_id, wanted),
                                                           Venue.lat.is_not(None), Venue.lon.is_not(None)))} \
        if wanted else {}
    districts = {r for _, k, r in places if k == PlaceKind.DISTRICT}
    shapes = {b.code: [poly[0] for poly in b.geometry["coordinates"]]
              for b in boundary_service.boundaries_by_codes(session, districts)}
    count, missing = [0] * len(zones), [0] * len(zones)
    venues: list[float] = []
    cells: list[float] = []
    areas: list[list] = []
    seen: set[tuple[int, str]] = set()
    for zone_fk, kind, ref in places:
        z = index[zone_fk]
        count[z] += 1
        if kind in (PlaceKind.VENUE, PlaceKind.BUILDING):
            v = _venue_of(kind, ref)
            if v not in at:
                missing[z] += 1
            elif (z, v) not in seen:
                seen.add((z, v))
                venues += [z, round(at[v][0], 6), round(at[v][1], 6)]
        elif kind == PlaceKind.GRID and is_grid_cell(ref):
            lat, lon = cell_centre(ref)
            cells += [z, round(lon, 6), round(lat, 6)]
        elif kind == PlaceKind.DISTRICT and ref in shapes:
            areas.append([z, ref])
        else:
            missing[z] += 1
    return {"no": [z[1] or "" for z in zones], "name": [z[2] for z in zones], "level": [z[3] for z in zones],
            "status": [z[4] for z in zones], "places": count, "missing": missing,
            "venue_m": VENUE_M, "cell_m": CELL_M, "venues": venues, "cells": cells, "areas": areas,
            "shapes": {c: shapes[c] for c in sorted({a[1] for a in areas})}}
