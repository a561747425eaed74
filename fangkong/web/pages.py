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
from fangkong.reports import dashboard, issued

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, settings: SettingsDep,
             day: Annotated[PlannedDate | None, Query()] = None):
    lang = lang_of(request)
    day = day or clock_today()  # the header's day control: the clock's today unless a day was chosen
    # the same service as /bulletin: the issued figures of the day (or its draft), so the two pages agree
    shown = issued.shown(session, day, tz=settings.zone, lang=lang)
    b = shown.figures
    by_measure, records = dashboard.people_by_category_and_measure(session, day, tz=settings.zone)
    response = templates.TemplateResponse(request, "overview.html", {
        "lang": lang, "b": b, "text": shown.text, "day": day, "issued": shown.issued, "records": records,
        "categories": [(t(c, lang), n) for c, n in b.traced_by_category.items()],
        "cases": case_service.list_cases(session, limit=20),
        "curve": dashboard.epi_curve(session, until=day, days=14, tz=settings.zone),
        "by_measure": by_measure,
        "labels": {k: t(k, lang) for k in ("community_new", "control_new", "close", "secondary", "companion",
                                           "overlap", "centralized_isolation", "home_isolation",
                                           "home_monitoring", "health_monitoring", "temporary_control", "none")}})
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, samesite="lax")
    return response

