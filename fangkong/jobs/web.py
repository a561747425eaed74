"""The jobs page (/jobs) and its JSON (/api/jobs): each job's last run, next run, duration and failures."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fangkong.db.core import utcnow
from fangkong.jobs import inbox, registry, service
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.webkit import lang_of, templates

router = APIRouter()


@router.get("/api/jobs", tags=["jobs"])
def jobs_json(session: SessionDep) -> list[dict]:
    """Each scheduled job's state (docs/operations.md, "Scheduled jobs")."""
    return [v.as_json() for v in service.job_views(session, registry.JOBS, now=utcnow())]


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(request: Request, session: SessionDep, settings: SettingsDep):
    lang = lang_of(request)
    response = templates.TemplateResponse(request, "jobs.html", {
        "lang": lang, "jobs": service.job_views(session, registry.JOBS, now=utcnow()),
        "failures": service.recent_failures(session, limit=20), "extra": extra_sections(session, settings)})
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, samesite="lax")
    return response


def extra_sections(session, settings) -> dict:
    """Further status shown on the jobs page (the inbox folders, the notifications), by section."""
    return {"inbox": {"template": "jobs_inbox.html", "rows": inbox.status(session, settings)}}
