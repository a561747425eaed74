"""The map (issue 26): the imported jurisdiction boundaries drawn by the app's own ECharts (no tiles, nothing fetched
from outside), zones as areas by level, grid cells as squares, venues and a case's places as points; zoom and pan.
The zones and case pages draw the same map (static/fkmap.js) with their own layers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

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
    ?case= that case's places."""
    lang = lang_of(request)
    places = case_places(session, settings, case.upper()) if case else []
    return templates.TemplateResponse(request, "map.html", {
        "lang": lang, "level": level, "levels": boundary_service.levels_present(session), "case": (case or "").upper(),
        "zones": zone_map.zone_areas(session, zone_map.open_zones(session)), "places": places})


@router.get("/map/boundaries.json")
def boundaries_json(request: Request, session: SessionDep,
                    level: Annotated[str, Query(pattern=LEVEL_PATTERN)] = "district"):
    """The boundaries of one level as GeoJSON, named in the page's language (any signed-in user: geography)."""
    lang = lang_of(request)
    rows = boundary_service.boundaries(session, (level,))
    names = {b.code: place_name(b.code, lang) for b in rows}
    body = boundary_service.feature_collection(rows, {c: n for c, n in names.items() if n and n != c})
    return JSONResponse(body, headers={"Cache-Control": CACHE})


@router.get("/map/venues.json")
def venues_json(session: SessionDep):
    """Every venue with a position, in columns (the map's venue layer)."""
    return JSONResponse(boundary_service.venue_points(session), headers={"Cache-Control": CACHE})
