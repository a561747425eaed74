"""The overview page (commander): the day's figures as in the bulletin, with a chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.cases import service as case_service
from fangkong.contacts import service as contact_service
from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.errors import NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.webkit import clock_today, lang_of, page_day, templates
from fangkong.people import search
from fangkong.protocol.times import PlannedDate
from fangkong.reports import dashboard, issued
from fangkong.reports.service import day_bounds, reading_once
from fangkong.tasks import sla

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, settings: SettingsDep,
             day: Annotated[PlannedDate | None, Query()] = None):
    lang = lang_of(request)
    day = day or page_day(request)  # the header's day control: the clock's today unless a day was chosen
    # the same service as /bulletin: the issued figures of the day (or its draft), so the two pages agree
    with reading_once(session):   # the bulletin and the chart read the measures in force at D 24:00 once
        shown = issued.shown(session, day, tz=settings.zone, lang=lang)
        by_measure, records = dashboard.people_by_category_and_measure(session, day, tz=settings.zone)
    b = shown.figures
    # the SLA board's figure: tasks open past their deadline now, or at the end of a past day
    at = min(utcnow(), day_bounds(day, settings.zone)[1])
    overdue = sla.overdue_at(session, at)
    response = templates.TemplateResponse(request, "overview.html", {
        "lang": lang, "b": b, "text": shown.text, "day": day, "issued": shown.issued, "records": records,
        "overdue": overdue, "overdue_now": at == utcnow() or day >= clock_today(),
        "categories": [(t(c, lang), n) for c, n in b.traced_by_category.items()],
        # the latest cases known by the day's end (declared, or sampled when not yet declared), newest first
        "cases": case_service.case_page(session, limit=20, until=at)[1], "at": at,
        "curve": dashboard.epi_curve(session, until=day, days=14, tz=settings.zone),
        "by_measure": by_measure,
        "labels": {k: t(k, lang) for k in ("community_new", "control_new", "close", "secondary", "companion",
                                           "overlap", "centralized_isolation", "home_isolation",
                                           "home_monitoring", "health_monitoring", "temporary_control", "none")}})
    return response



@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: SessionDep, q: Annotated[str, Query(max_length=64)] = ""):
    """One search box (issue 25): a person id or any source key, a phone, an ID number, a name, or a case number.
    The answers are masked as the role's pages are, cut to the user's jurisdiction, and every search is audited
    (what kind of key, a masked form of it, how many found)."""
    q = q.strip()
    kind = search.classify(q) if q else ""
    people, cases = [], []
    if q:
        people = search.find_people(session, q)
        if kind == "case":
            try:
                cases = [case_service.get_case(session, q)]
            except NotFound:
                cases = []
        cases += [c for c in case_service.of_persons(session, [p.id for p in people]) if c not in cases]
        audit(session, "web", "search", "person", kind, after={"query": search.masked_query(q, kind),
                                                               "people": len(people), "cases": len(cases)})
    records = contact_service.records_of(session, [p.id for p in people])
    return templates.TemplateResponse(request, "search.html", {
        "lang": lang_of(request), "q": q, "kind": kind, "people": people, "cases": cases, "records": records})
