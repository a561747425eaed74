"""The jobs page (/jobs) and its JSON (/api/jobs): each job's last run, next run, duration and failures."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fangkong.db.core import utcnow
from fangkong.jobs import inbox, registry, service
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, schedule_text, templates

router = APIRouter()


@router.get("/api/jobs", tags=["jobs"])
def jobs_json(session: SessionDep, settings: SettingsDep) -> list[dict]:
    """Each scheduled job's state (docs/operations.md, "Scheduled jobs")."""
    return [v.as_json() for v in service.job_views(session, registry.scheduled(settings), now=utcnow())]


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(request: Request, session: SessionDep, settings: SettingsDep, export: ExportQ = None):
    lang = lang_of(request)
    jobs = service.job_views(session, registry.scheduled(settings), now=utcnow())
    if export:   # each job's state as a file (kit/listexport.py, audited)
        return export_list(request, session, entity="jobs", title="nav_jobs", header=[
            "job", "job_id", "job_schedule", "job_last_run", "job_status", "job_duration", "job_next_run",
            "job_failures", "job_error"], rows=[
            [t(j.label, lang), j.name, schedule_text(j.schedule, lang), when(j.last_started_at, "%Y-%m-%d %H:%M:%S"),
             t("job_running" if j.running_by else f"job_{j.last_status}" if j.last_status else "job_never", lang),
             round(j.last_duration_s, 2) if j.last_duration_s is not None else "",
             when(j.next_run_at, "%Y-%m-%d %H:%M:%S"), j.failures, j.last_error or ""] for j in jobs])
    response = templates.TemplateResponse(request, "jobs.html", {
        "lang": lang, "jobs": jobs,
        "failures": service.recent_failures(session, limit=20), "extra": extra_sections(session, settings)})
    return response


def extra_sections(session, settings) -> dict:
    """Further status shown on the jobs page (the inbox folders, the notifications), by section."""
    return {"inbox": {"template": "jobs_inbox.html", "rows": inbox.status(session, settings)}}
