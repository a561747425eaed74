"""The daily follow-up of people under a measure (issue 25, as Go.Data's follow-up dashboard): per community,
who checked in on the day, who has not yet, who is lost (no report yesterday nor today), and the symptom alerts;
then the people of one community with their state and last report. The day is the header's day control."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.kit import pii
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, page_day, place_name, templates
from fangkong.measures.checkins import service as checkins
from fangkong.protocol.times import PlannedDate

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/followup", response_class=HTMLResponse)
def followup_page(request: Request, session: SessionDep, settings: SettingsDep, day: PlannedDate | None = None,
                  community: Annotated[str | None, Query(max_length=32, pattern=r"^\d*$")] = None,
                  state: Annotated[str | None, Query(pattern=f"^({'|'.join(checkins.FOLLOWUP_STATES)})?$")] = None,
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1, export: ExportQ = None):
    day: date = day or page_day(request)
    lang = lang_of(request)
    limit, offset = (EXPORT_MAX, 0) if export else (PAGE, (page - 1) * PAGE)
    total, rows = checkins.followup_people(session, day=day, tz=settings.zone, community=community or None,
                                           state=state or None, limit=limit, offset=offset)
    if export:  # the people listed, every one the filters select (kit/listexport.py)
        return export_list(request, session, entity="followup", title="nav_followup", total=total, header=[
            "day_control", "person", "name", "community", "measure", "checkin_until", "status", "fu_last"], rows=[
            [day.isoformat(), m.person.person_id, pii.name(m.person.name) or "", place_name(m.person.community, lang),
             t(m.kind, lang), when(m.end_at), t("fu_" + st, lang), when(last)] for m, st, last in rows])
    counts = checkins.followup_counts(session, day=day, tz=settings.zone)
    sums = {k: sum(c[k] for c in counts) for k in ("followed", "checked_in", "not_yet", "lost", "alerts")}
    return templates.TemplateResponse(request, "followup.html", {
        "lang": lang, "day": day, "counts": counts, "sums": sums, "rows": rows, "total": total,
        "page": page, "pages": max(1, -(-total // PAGE)), "community": community or "", "state": state or ""})
