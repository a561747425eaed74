"""The zones page (commander): the map of the shown zones as areas by level (static/fkmap.js over the imported
boundaries), the list with approval state and the lifting
countdown of each zone's edition, the published risk-area list. Approving and the other decisions: forms_web.py."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.errors import FangkongError
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, page_now, templates
from fangkong.protocol.edition import load_edition
from fangkong.zones import map as zone_map
from fangkong.zones import service
from fangkong.zones.models import LEVEL_PATTERN_OR_EMPTY, STATUS_PATTERN_OR_EMPTY, Zone, ZoneStatus

router = APIRouter(include_in_schema=False)

#: the lifting conditions still missing (fangkong.protocol.zones.lift_check, English) → their translation key:
#: a Chinese page shows them in Chinese (issue 25); one this table does not know is shown as "another condition"
_CONDITIONS = [
    (re.compile(r"no testing round within (?P<n>\d+) days before lifting"), "zone_c_no_round_within"),
    (re.compile(r"no testing round on or after day (?P<day>\S+)"), "zone_c_no_round_since"),
    (re.compile(r"the round of (?P<day>\S+) tested (?P<tested>\d+) of the zone's (?P<residents>\d+) residents and "
                r"accounted for (?P<accounted>\d+)"), "zone_c_round_short"),
    (re.compile(r"the round of (?P<day>\S+) still has results outstanding"), "zone_c_round_pending"),
    (re.compile(r"the round of (?P<day>\S+) was not all negative"), "zone_c_round_positive"),
    (re.compile(r"a close contact from the zone is within (?P<n>\d+) days"), "zone_c_contacts"),
    (re.compile(r"(?P<n>\d+) sealed or controlled zones of the area are still open"), "zone_c_stricter_open"),
    (re.compile(r"(?P<n>\d+) risk persons? living in the zone still needs? results"), "zone_c_residents"),
]


def zone_condition(message: str, lang: str) -> str:
    """One missing lifting condition in the page's language."""
    if lang == "en":
        return message
    for pattern, key in _CONDITIONS:
        if m := pattern.match(message):
            return t(key, lang).format(**m.groupdict())
    return t("zone_c_other", lang)


templates.env.filters["zone_condition"] = zone_condition
#: zones a page: each approved one is checked against its edition for the countdown
PAGE = 20


def _countdown(session, settings, zone: Zone, now: datetime) -> dict | None:
    """The next step of an approved zone on its own edition: days left on the clock and what else is missing."""
    if zone.status != ZoneStatus.APPROVED:
        return None
    try:
        c = service.check(session, zone, edition=load_edition(zone.edition or settings.edition), tz=settings.zone,
                          now=now)
    except FangkongError:
        return None
    left = max(0, math.ceil((c.due_at - now).total_seconds() / 86400)) if c.due_at else 0
    clock = [m for m in c.missing if "days without" in m]
    return {"met": c.met, "to": c.to_level or ZoneStatus.LIFTED, "due_at": c.due_at, "days_left": left,
            "other": [m for m in c.missing if m not in clock]}


def _row(session, settings, zone: Zone, now: datetime) -> dict:
    return {"z": zone, "step": _countdown(session, settings, zone, now),
            "residents": service.resident_count(session, zone) if zone.status != ZoneStatus.PROPOSED else None}


@router.get("/zones", response_class=HTMLResponse)
def zones_page(request: Request, session: SessionDep, settings: SettingsDep,
               status: Annotated[str | None, Query(pattern=STATUS_PATTERN_OR_EMPTY)] = None,
               level: Annotated[str | None, Query(pattern=LEVEL_PATTERN_OR_EMPTY)] = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1, export: ExportQ = None):
    now = page_now(request)   # the header's day: a past one's countdown as it stood at its end
    if export:
        return _export(request, session, settings, now, status=status or None, level=level or None)
    zones = service.list_zones(session, status=status or None, level=level or None, limit=PAGE + 1,
                               offset=(page - 1) * PAGE)
    more, zones = len(zones) > PAGE, zones[:PAGE]
    return templates.TemplateResponse(request, "zones.html", {
        "lang": lang_of(request), "rows": [_row(session, settings, z, now) for z in zones], "more": more,
        "page": page, "status": status or "", "level": level or "",
        "areas": zone_map.zone_layers(session, [z.id for z in zones]), "risk_areas": service.risk_areas(session)})


def _export(request: Request, session, settings, now: datetime, *, status: str | None, level: str | None):
    """Every zone the filters select, with its lifting countdown (kit/listexport.py)."""
    lang = lang_of(request)
    rows = [_row(session, settings, z, now)
            for z in service.list_zones(session, status=status, level=level, limit=min(EXPORT_MAX, 5000))]

    def lifting(step: dict | None) -> str:
        if not step:
            return ""
        if step["met"]:
            return t("zone_ready", lang).format(step=t("zone_to_" + step["to"], lang))
        left = t("zone_days_left", lang).format(n=step["days_left"]) if step["days_left"] else ""
        return " · ".join(x for x in [t("zone_to_" + step["to"], lang), left,
                                      *(zone_condition(o, lang) for o in step["other"])] if x)

    return export_list(request, session, entity="zones", title="nav_zones", header=[
        "zone_id", "zone_name", "zone_level", "zone_places", "zone_residents", "zone_start", "zone_approval",
        "zone_lifting", "zone_lift_due"], rows=[
        [r["z"].zone_no, r["z"].name or "", t(r["z"].level, lang), len(r["z"].places),
         "" if r["residents"] is None else r["residents"], when(r["z"].approved_at or r["z"].proposed_at),
         t("zone_" + r["z"].status, lang), lifting(r["step"]), when(r["step"]["due_at"]) if r["step"] else ""]
        for r in rows])
