"""The overview page (commander): the day's figures as in the bulletin, with a chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.cases import service as case_service
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.webkit import clock_today, lang_of, templates
from fangkong.protocol.times import PlannedDate
from fangkong.reports import dashboard
from fangkong.reports import service as report_service
from fangkong.reports.text import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, settings: SettingsDep,
             day: Annotated[PlannedDate | None, Query()] = None):
    lang = lang_of(request)
    day = day or clock_today()  # the header's day control: the clock's today unless a day was chosen
    b = report_service.bulletin(session, day, tz=settings.zone)
    response = templates.TemplateResponse(request, "overview.html", {
        "lang": lang, "b": b, "text": render(b, lang=lang), "day": day,
        "categories": [(t(c, lang), n) for c, n in b.traced_by_category.items()],
        "cases": case_service.list_cases(session, limit=20),
        "curve": dashboard.epi_curve(session, until=day, days=14, tz=settings.zone),
        "by_measure": dashboard.category_by_measure(session),
        "labels": {k: t(k, lang) for k in ("community_new", "control_new", "close", "secondary", "companion",
                                           "overlap", "centralized_isolation", "home_isolation",
                                           "home_monitoring", "health_monitoring", "temporary_control", "none")}})
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, samesite="lax")
    return response

