"""The isolation page (isolation / hospital manager, commander): rooms used and free per site, the room
reserve per jurisdiction, the 7-day free-room forecast, hospital beds and the escalation plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import ExportQ, export_list
from fangkong.kit.webkit import lang_of, page_now, past_day, place_name, templates
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.sites import capacity
from fangkong.tasks import sla
from fangkong.tasks.models import TaskKind

router = APIRouter(include_in_schema=False)
PAGE = 50
QUEUE = 20  # the most urgent first; the SLA board (/tasks) pages through the rest
CodeQ = Annotated[str | None, Query(max_length=32, pattern=r"^\d*$")]


def _jurisdictions(settings, sites: list[capacity.SiteOccupancy], chosen: str | None) -> list[str]:
    """Whose reserve to check: the chosen one, else the deployment's, else each district that has a site."""
    if chosen:
        return [chosen]
    if settings.jurisdiction:
        return [settings.jurisdiction]
    return sorted({s.jurisdiction[:6] for s in sites if s.jurisdiction})[:20]


@router.get("/isolation", response_class=HTMLResponse)
def isolation_page(request: Request, session: SessionDep, settings: SettingsDep, jurisdiction: CodeQ = None,
                   page: Annotated[int, Query(ge=1, le=10_000)] = 1, export: ExportQ = None):
    now, past = page_now(request), past_day(request) is not None   # the header's day: a past one at its end
    sites = capacity.occupancy(session, jurisdiction=jurisdiction or None)
    if export:  # the sites with their rooms (kit/listexport.py)
        lang = lang_of(request)
        return export_list(request, session, entity="sites", title="iso_sites", header=[
            "iso_site", "site_id", "jurisdiction", "status", "iso_in_service", "iso_used", "iso_free", "iso_assigned",
            "iso_arrived", "iso_layout", "iso_staff"], rows=[
            [s.name, s.site_id, place_name(s.jurisdiction, lang), t("site_" + s.status, lang), s.in_service, s.occupied,
             s.free, s.persons, s.arrived, t("yes" if s.three_zones_two_channels else "no", lang), s.staff]
            for s in sites])
    totals = {"in_service": sum(s.in_service for s in sites), "occupied": sum(s.occupied for s in sites),
              "free": sum(s.free for s in sites)}
    reserves = [capacity.reserve(session, j, per_10k=settings.rooms_per_10k)
                for j in _jurisdictions(settings, sites, jurisdiction)]
    forecast = capacity.forecast(session, now=now, tz=settings.zone, days=7, jurisdiction=jurisdiction or None)
    return templates.TemplateResponse(request, "isolation.html", {
        "lang": lang_of(request), "sites": sites[(page - 1) * PAGE: page * PAGE], "page": page,
        "pages": max(1, -(-len(sites) // PAGE)), "totals": totals, "reserves": reserves,
        "per_10k": settings.rooms_per_10k, "jurisdiction": jurisdiction or "",
        "forecast": [{"day": d.isoformat(), "free": n} for d, n in forecast],
        "beds": hospitals.hospital_beds(session), "plan": hospitals.plan(session), "now": now,
        # issue 25: who waits for a room, and the transfers under way, each against its deadline (DOMAIN.md §3)
        "waiting": sla.task_list(session, now=now, kind=TaskKind.ROOM_NEEDED, state="open", limit=QUEUE, past=past),
        "waiting_total": sla.count_tasks(session, now=now, kind=TaskKind.ROOM_NEEDED, state="open", past=past),
        "transfers": sla.task_list(session, now=now, kind=TaskKind.TRANSFER, state="open", limit=QUEUE, past=past)
        + sla.task_list(session, now=now, kind=TaskKind.CASE_TRANSFER, state="open", limit=QUEUE, past=past),
        "transfers_total": sla.count_tasks(session, now=now, kind=TaskKind.TRANSFER, state="open", past=past)
        + sla.count_tasks(session, now=now, kind=TaskKind.CASE_TRANSFER, state="open", past=past)})
