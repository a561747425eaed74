"""The city's transmission chains (issue 26): every case the reader may see with its likely source, generation,
cluster and close contacts (counted, not drawn: 10 000 cases and their 100 000 contacts stay interactive), a
timeline, filters by date, district and cluster; a link's evidence on a click. Drawn by static/fkchains.js."""

from __future__ import annotations

import copy
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from fangkong.cases import service as case_service
from fangkong.contacts import chains
from fangkong.db.masking import OTHER_DISTRICT, mask_other_districts
from fangkong.errors import NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import labels
from fangkong.kit.webkit import lang_of, place_name, templates

router = APIRouter(include_in_schema=False)


@router.get("/chains", response_class=HTMLResponse)
def chains_page(request: Request):
    """The page; its figures come from /chains/data.json (one request, filtered in the browser)."""
    lang = lang_of(request)
    return templates.TemplateResponse(request, "chains.html", {
        "lang": lang, "categories": labels("", lang, ["close", "secondary", "companion", "overlap"]),
        "evidence_kinds": labels("", lang, ["household", "venue", "grid"])})


@router.get("/chains/data.json")
def chains_data(request: Request, session: SessionDep, settings: SettingsDep):
    """Every visible case in columns (contacts.chains.city_chains), with the districts' names in the page's
    language."""
    data = chains.city_chains(session, tz=settings.zone)
    lang = lang_of(request)
    data["district_names"] = [place_name(d, lang) or d for d in data["districts"]]
    return JSONResponse(data, headers={"Cache-Control": "private, no-cache"})


@router.get("/chains/evidence.json")
def chains_evidence(session: SessionDep, case: Annotated[str, Query(min_length=1, max_length=20, pattern=r"^[\w-]+$")]):
    """The link into one case from its likely source, with its evidence (another district's persons masked)."""
    target = case_service.get_case(session, case.upper())
    edge = chains.source_of(session, target)
    if edge is not None:
        try:  # a source in another district: the link is shown, not whose it is
            case_service.get_case(session, edge.source)
        except NotFound:
            edge = chains.Edge(OTHER_DISTRICT, edge.target, edge.category, edge.evidence)
    body = {"target": target.case_no, "source": edge.source if edge else None,
            "category": edge.category if edge else None, "evidence": edge.evidence if edge else []}
    return JSONResponse(mask_other_districts(session, copy.deepcopy(body)))
