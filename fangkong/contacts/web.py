"""The case page (epidemiologist): trajectory in time and space, risk persons with evidence, overrides."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.cases import service as case_service
from fangkong.cases.models import CASE_STATUSES
from fangkong.contacts import chains, concealment, service
from fangkong.contacts.models import CATEGORY_PATTERN, CATEGORY_PATTERN_OR_EMPTY
from fangkong.db.masking import Foreign, mask_other_districts
from fangkong.errors import FangkongError
from fangkong.kit import pii
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, page_now, past_day, place_name, templates
from fangkong.lake.queries import Lake
from fangkong.people import service as people_service
from fangkong.protocol.edition import load_edition
from fangkong.protocol.grid import cell_ring
from fangkong.protocol.zones import is_grid_cell

router = APIRouter(include_in_schema=False)
PAGE = 100
LIST_PAGE = 50


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, session: SessionDep,
              status: Annotated[str | None, Query(pattern="^[a-z_]{0,20}$")] = None,
              community: Annotated[str | None, Query(max_length=32, pattern=r"^\d*$")] = None,
              sort: Annotated[str, Query(pattern="^(case|declared|sampled|status)$")] = "case",
              desc: bool | None = None, page: Annotated[int, Query(ge=1, le=100_000)] = 1, export: ExportQ = None):
    """The case list (epidemiologist, commander): filtered by status and community, sorted by a column header,
    numbered pages; each case links to its page. Cut to the user's jurisdiction. ?export=csv|xlsx: every case the
    filters select, as a file (kit/listexport.py)."""
    limit, offset = (EXPORT_MAX, 0) if export else (LIST_PAGE, (page - 1) * LIST_PAGE)
    total, cases = case_service.case_page(session, status=status or None, community=community or None, sort=sort,
                                          desc=desc, limit=limit, offset=offset,   # a past day: known by its end
                                          until=page_now(request) if past_day(request) else None)
    risks = service.risk_counts(session, [c.id for c in cases])
    if export:
        lang = lang_of(request)
        return export_list(request, session, entity="cases", title="case_list", total=total, header=[
            "case_id", "status", "person", "name", "community", "sampled_at", "declared_at", "risk_records"], rows=[
            [c.case_no, t(c.status, lang), c.person.person_id, pii.name(c.person.name) or "",
             place_name(c.person.community, lang), when(c.sampled_at), when(c.declared_at), risks.get(c.id, 0)]
            for c in cases])
    return templates.TemplateResponse(request, "cases.html", {
        "lang": lang_of(request), "cases": cases, "total": total, "page": page,
        "pages": max(1, -(-total // LIST_PAGE)), "status": status or "", "community": community or "",
        "sort": sort, "desc": desc, "risks": risks, "statuses": CASE_STATUSES,
        "communities": case_service.communities(session)})


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, session: SessionDep, settings: SettingsDep,
              case_id: Annotated[str, Path(max_length=20)],
              category: Annotated[str | None, Query(pattern=CATEGORY_PATTERN_OR_EMPTY)] = None,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    case = case_service.get_case(session, case_id)
    lake, edition = Lake.from_settings(settings, case.sampled_at), load_edition(case.edition or settings.edition)
    try:  # declared vs found in the data, the undeclared points highlighted
        points = [{"venue_id": p.place, "name": p.name or p.place, "start": p.start, "end": p.end,
                   "declared": p.declared, "source": p.source}
                  for p in concealment.undeclared(session, case, lake=lake, edition=edition, tz=settings.zone)
                  if p.source == "venue_scan" or not p.declared]
    except FangkongError:  # not traced yet, or no investigation record
        points = [dict(p, declared=None, source="venue_scan")
                  for p in service.trajectory(session, case, lake=lake, edition=edition, tz=settings.zone)]
    venues = people_service.venues_by_ids(session, {p["venue_id"] for p in points if p["source"] == "venue_scan"})
    for p in points:
        v = venues.get(p["venue_id"])
        p.update(kind=v.kind if v else "cell", lat=v.lat if v else None, lon=v.lon if v else None)
    risks = service.risk_persons(session, case=case, category=category or None, limit=PAGE, offset=(page - 1) * PAGE)
    g = chains.cluster_of(session, case.case_no)
    # a contact who lives in another district, and the other district's cases of the cluster, are masked
    chain = mask_other_districts(session, copy.deepcopy({"nodes": g.nodes, "edges": [e.__dict__ for e in g.edges]}))
    return templates.TemplateResponse(request, "case.html", {
        "lang": lang_of(request), "case": case, "points": points, "risks": risks, "category": category,
        "foreign": _foreign(session, risks),
        "counts": service.category_counts(session, case=case), "page": page, "lake": _lake_rows(case.lake_versions),
        "chain": chain,
        "places": [{"name": p["name"], "value": [p["lon"], p["lat"]], "kind": p["kind"],
                    "start": p["start"].strftime("%m-%d %H:%M")} for p in points if p["lat"] is not None],
        "cells": [{"name": p["venue_id"], "ring": cell_ring(p["venue_id"])}
                  for p in points if p["kind"] == "cell" and is_grid_cell(p["venue_id"])]})


@router.post("/cases/{case_id}/risk/{risk_id}", response_class=HTMLResponse)
def override(request: Request, session: SessionDep, case_id: Annotated[str, Path(max_length=20)],
             risk_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
             category: Annotated[str, Form(pattern=CATEGORY_PATTERN)],
             reason: Annotated[str, Form(min_length=1, max_length=500)]):
    """HTMX: override one risk person's category (audited) and return its refreshed row."""
    risk = service.override_category(session, service.get_risk_person(session, risk_id), category, reason=reason)
    return templates.TemplateResponse(request, "case_risk_row.html", {"lang": lang_of(request), "r": risk,
                                                                      "foreign": _foreign(session, [risk])})


def _lake_rows(stated: dict | None) -> list[dict]:
    """The lake versions the case's last trace read (Case.lake_versions), their commit times as datetimes."""
    return [{"table": table, "version": v.get("version"),
             "committed_at": datetime.fromisoformat(v["committed_at"]) if v.get("committed_at") else None}
            for table, v in (stated or {}).items()]


def _foreign(session, risks) -> Foreign:
    """Which of the rows' persons (and evidence's via persons) live outside the user's jurisdiction."""
    return Foreign(session, persons={p for r in risks for p in [r.person.person_id if r.person else None,
                                                                   *(e.get("via") for e in r.evidence or [])] if p},
                   places={e.get("place") for r in risks for e in r.evidence or []})
