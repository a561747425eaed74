"""The isolation page (isolation / hospital manager, commander): rooms used and free per site, the room
reserve per jurisdiction, the 7-day free-room forecast, hospital beds and the escalation plan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fangkong.kit import pii
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, minutes_late, page_now, past_day, place_name, templates
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


#: the lists of /isolation a ?export= may ask for (?list=; the sites when none)
ListQ = Annotated[str, Query(alias="list", pattern="^(sites|waiting|transfers|hospitals)$")]


def _queue(session, now: datetime, past: bool, kinds: tuple[str, ...], limit: int) -> list:
    """The open tasks of these kinds at `now` (one queue of /isolation), the most overdue first."""
    rows = [tk for kind in kinds for tk in sla.task_list(session, now=now, kind=kind, state="open", limit=limit,
                                                          past=past)]
    return sorted(rows, key=lambda tk: (tk.due_at, tk.id))[:limit]


def _queue_export(request: Request, session, rows: list, now: datetime, which: str) -> Response:
    """A queue of /isolation as a file: the person (masked as the page masks), the task's kind, the case, the
    owner, since, the deadline and how late (kit/listexport.py, audited)."""
    lang = lang_of(request)
    return export_list(request, session, entity=f"isolation_{which}", title=f"iso_{which}", header=[
        "person", "name", "kind", "case_id", "sla_owner", "iso_since", "deadline", "minutes_late"], rows=[
        [tk.person.person_id if tk.person else "", pii.name(tk.person.name) or "" if tk.person else "", t(tk.kind, lang),
         tk.case.case_no if tk.case else "", place_name(tk.owner_name or tk.owner_ref, lang), when(tk.started_at),
         when(tk.due_at), max(0, minutes_late(tk.due_at, now))] for tk in rows])


def hospitals_export(request: Request, session, beds: list) -> Response:
    """The designated hospitals with their beds in use (/isolation and /isolation/hospitals), as a file."""
    lang = lang_of(request)
    return export_list(request, session, entity="hospitals", title="hosp_title", header=[
        "hosp_hospital", "field_hospital_id", "jurisdiction", "hosp_beds_used", "hosp_beds_total", "hosp_np_used",
        "hosp_np_total"], rows=[
        [b.hospital.name, b.hospital.hospital_id, place_name(b.hospital.jurisdiction, lang), b.used,
         b.hospital.beds, b.negative_pressure_used, b.hospital.negative_pressure_beds] for b in beds])


@router.get("/isolation", response_class=HTMLResponse)
def isolation_page(request: Request, session: SessionDep, settings: SettingsDep, jurisdiction: CodeQ = None,
                   page: Annotated[int, Query(ge=1, le=10_000)] = 1, export: ExportQ = None,
                   which: ListQ = "sites"):
    now, past = page_now(request), past_day(request) is not None   # the header's day: a past one at its end
    if export and which in ("waiting", "transfers"):   # a queue, every open task of it (kit/listexport.py)
        kinds = (TaskKind.ROOM_NEEDED,) if which == "waiting" else (TaskKind.TRANSFER, TaskKind.CASE_TRANSFER)
        return _queue_export(request, session, _queue(session, now, past, kinds, EXPORT_MAX), now, which)
    if export and which == "hospitals":
        return hospitals_export(request, session, hospitals.hospital_beds(session, at=now if past else None))
    sites = capacity.occupancy(session, jurisdiction=jurisdiction or None, at=now if past else None)
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
    reserves = [capacity.reserve(session, j, per_10k=settings.rooms_per_10k, kept=True, sites=sites if past else None)
                for j in _jurisdictions(settings, sites, jurisdiction)]
    forecast = capacity.forecast(session, now=now, tz=settings.zone, days=7, jurisdiction=jurisdiction or None,
                                 sites=sites if past else None)
    return templates.TemplateResponse(request, "isolation.html", {
        "lang": lang_of(request), "sites": sites[(page - 1) * PAGE: page * PAGE], "page": page,
        "pages": max(1, -(-len(sites) // PAGE)), "totals": totals, "reserves": reserves,
        "per_10k": settings.rooms_per_10k, "jurisdiction": jurisdiction or "", "past": past,
        "forecast": [{"day": d.isoformat(), "free": n} for d, n in forecast],
        "beds": hospitals.hospital_beds(session, at=now if past else None), "plan": hospitals.plan(session, at=now if past else None), "now": now,
        # issue 25: who waits for a room, and the transfers under way, each against its deadline (DOMAIN.md §3)
        "waiting": _queue(session, now, past, (TaskKind.ROOM_NEEDED,), QUEUE),
        "waiting_total": sla.count_tasks(session, now=now, kind=TaskKind.ROOM_NEEDED, state="open", past=past),
        "transfers": _queue(session, now, past, (TaskKind.TRANSFER, TaskKind.CASE_TRANSFER), QUEUE),
        "transfers_total": sla.count_tasks(session, now=now, kind=TaskKind.TRANSFER, state="open", past=past)
        + sla.count_tasks(session, now=now, kind=TaskKind.CASE_TRANSFER, state="open", past=past)})
