"""The map (issue 26): the imported jurisdiction boundaries drawn by the app's own ECharts (no tiles, nothing fetched
from outside), zones as areas by level, grid cells as squares, venues and a case's places as points; zoom and pan.
The zones and case pages draw the same map (static/fkmap.js) with their own layers."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from fangkong.cases import service as case_service
from fangkong.contacts import service as contact_service
from fangkong.errors import FangkongError
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.webkit import lang_of, place_name, templates
from fangkong.lake.queries import Lake
from fangkong.people.boundaries import service as boundary_service
from fangkong.protocol.edition import load_edition
from fangkong.zones import map as zone_map

router = APIRouter(include_in_schema=False)
#: the boundary levels the map can draw, largest first
LEVEL_PATTERN = "^(city|district|subdistrict|community)$"
#: the browser keeps the boundaries and venues this long (they change with an import, not by the minute)
CACHE = "private, max-age=300"


def case_places(session, settings, case_no: str) -> list[dict]:
    """A case's venue visits in its window, as map points (name, kind, [lon, lat], time)."""
    case = case_service.get_case(session, case_no)
    try:
        rows = contact_service.trajectory(session, case, lake=Lake.from_settings(settings, case.sampled_at),
                                          edition=load_edition(case.edition or settings.edition), tz=settings.zone)
    except FangkongError:
        return []
    return [{"name": r["name"], "kind": r["kind"] or "", "value": [round(r["lon"], 6), round(r["lat"], 6)],
             "start": r["start"].strftime("%m-%d %H:%M")}
            for r in rows if r.get("lat") is not None and r.get("lon") is not None]


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep, settings: SettingsDep,
             level: Annotated[str, Query(pattern=LEVEL_PATTERN)] = "district",
             case: Annotated[str | None, Query(max_length=20, pattern=r"^[\w-]*$")] = None):
    """The city map: boundaries of one level (district by default), the open zones by level, the venues, and with
    ?case= that case's places. The page carries none of the city: the map fetches its layers (boundaries.json,
    zones.json, venues.json) and fills the zones' table from them."""
    lang = lang_of(request)
    places = case_places(session, settings, case.upper()) if case else []
    return templates.TemplateResponse(request, "map.html", {
        "lang": lang, "level": level, "levels": boundary_service.levels_present(session), "case": (case or "").upper(),
        "places": places})


@router.get("/map/boundaries.json")
def boundaries_json(request: Request, session: SessionDep,
                    level: Annotated[str, Query(pattern=LEVEL_PATTERN)] = "district"):
    """The boundaries of one level as GeoJSON, named in the page's language (any signed-in user: geography)."""
    lang = lang_of(request)
    rows = boundary_service.boundaries(session, (level,))
    names = {b.code: place_name(b.code, lang) for b in rows}
    body = boundary_service.feature_collection(rows, {c: n for c, n in names.items() if n and n != c})
    return JSONResponse(body, headers={"Cache-Control": CACHE})


@router.get("/map/zones.json")
def zones_json(session: SessionDep):
    """The open zones as the map's layers, in columns (zones.map.zone_layers): read afresh, a zone changes by the
    minute."""
    return JSONResponse(zone_map.zone_layers(session), headers={"Cache-Control": "private, no-cache"})


#: venues.json's bytes by venues_version (the venues are only added: a new one changes the version)
_VENUES: dict[tuple, tuple[str, bytes]] = {}


@router.get("/map/venues.json")
def venues_json(request: Request, session: SessionDep):
    """Every venue with a position, in columns (the map's venue layer). 40 000 venues are read and encoded once
    per version of the venues and reader's district; the browser revalidates with the version's ETag."""
    version = boundary_service.venues_version(session)
    if version not in _VENUES:
        if len(_VENUES) >= 32:
            _VENUES.clear()
        body = json.dumps(boundary_service.venue_points(session), ensure_ascii=False, separators=(",", ":"))
        _VENUES[version] = ('"' + hashlib.sha256(repr(version).encode()).hexdigest()[:20] + '"', body.encode())
    etag, body = _VENUES[version]
    headers = {"Cache-Control": CACHE, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
