"""The verification queue (community verifier, on a phone): today's door-to-door checks of one community, each
with its deadline, and one tap per outcome, written through the verification service with its version check."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fangkong.assist import service as assist_service
from fangkong.assist.models import AssistDirection, AssistOutcome
from fangkong.db.core import utcnow
from fangkong.errors import FangkongError
from fangkong.kit import pii
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, minutes_late, page_now, past_day, place_name, span, templates
from fangkong.measures.models import VerificationOutcome
from fangkong.measures.verification import service as verification
from fangkong.tasks import service as task_service
from fangkong.tasks.models import Task

router = APIRouter(include_in_schema=False)
PAGE = 30
Community = Annotated[str, Query(max_length=32, pattern=r"^\d*$")]
#: the queue's outcomes → an assistance request's outcome reported back to its issuer
ASSIST_OUTCOME = {VerificationOutcome.FOUND_PLACED: AssistOutcome.FOUND_PLACED,
                  VerificationOutcome.MOVED: AssistOutcome.MOVED_AWAY,
                  VerificationOutcome.NOT_FOUND: AssistOutcome.NOT_FOUND,
                  VerificationOutcome.WRONG_PERSON: AssistOutcome.WRONG_PERSON}
_OUTCOME_PATTERN = f"^({'|'.join(VerificationOutcome)})$"


def _jurisdiction(session: Session, community: str) -> str:
    """Whose tasks the verifier may close: the signed-in user's jurisdiction, else the community they chose."""
    return session.info.get("scope") or community


def _rows(session: Session, tasks: list[Task], now: datetime, lang: str) -> list[dict]:
    cats = verification.risk_categories(session, tasks)
    out = []
    for task in tasks:
        late = minutes_late(task.due_at, now)
        out.append({"task": task, "category": cats.get(task.id), "late_min": late, "span": span(late, lang)})
    return out


def _counts(session: Session, settings, community: str, now: datetime,
            past: bool = False) -> tuple[list[dict], dict | None]:
    day = (now - timedelta(microseconds=1)) if past else now   # a past day's end is the next day's 00:00
    since = datetime.combine(day.astimezone(settings.zone).date(), time(0), tzinfo=settings.zone)
    counts = verification.queue_counts(session, now=now, since=since, past=past)
    # a district sees the checks its cases caused in other districts' communities (their owners do them): the
    # picker lists the verifier's own communities only (issue 25)
    prefix = session.info.get("scope")
    if prefix:
        counts = [c for c in counts if c["community"].startswith(prefix)]
    return counts, next((c for c in counts if c["community"] == community), None)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, session: SessionDep, settings: SettingsDep, community: Community = "",
                page: Annotated[int, Query(ge=1, le=100_000)] = 1, export: ExportQ = None):
    # the header's day: a past one's queue as it stood at its end (open then, done that day)
    now, lang, past = page_now(request), lang_of(request), past_day(request) is not None
    counts, chosen = _counts(session, settings, community, now, past)
    if export:
        return _export(request, session, community, counts, now, lang, past)
    tasks = verification.list_verifications(session, now=now, jurisdiction=community, limit=PAGE + 1,
                                            offset=(page - 1) * PAGE, past=past) if community else []
    context = {"lang": lang, "community": community, "counts": counts, "page": page, "chosen": chosen,
               "more": len(tasks) > PAGE, "rows": _rows(session, tasks[:PAGE], now, lang)}
    name = "verify_queue.html" if request.headers.get("hx-request") else "verify.html"
    return templates.TemplateResponse(request, name, context)


def _export(request: Request, session: Session, community: str, counts: list[dict], now: datetime, lang: str,
            past: bool):
    """The chosen community's open checks (each with the person masked, its deadline and how late), else the
    communities' counts (kit/listexport.py)."""
    if not community:
        return export_list(request, session, entity="verification", title="nav_verify",
                           header=["community", "verify_open", "verify_overdue", "verify_done_today"],
                           rows=[[place_name(c["community"], lang), c["open"], c["overdue"], c["done"]] for c in counts])
    rows = _rows(session, verification.list_verifications(session, now=now, jurisdiction=community, limit=EXPORT_MAX,
                                                          past=past), now, lang)
    return export_list(request, session, entity="verification", title="nav_verify", header=[
        "community", "person", "name", "phone", "address", "category", "case_id", "deadline", "overdue"], rows=[
        [place_name(community, lang), r["task"].person.person_id if r["task"].person else "",
         pii.name(r["task"].person.name) or "" if r["task"].person else "",
         pii.phone(r["task"].person.phone) or "" if r["task"].person else "",
         (r["task"].person.address or "") if r["task"].person else "", t(r["category"], lang) if r["category"] else "",
         r["task"].case.case_no if r["task"].case else "", when(r["task"].due_at),
         r["span"] if r["late_min"] > 0 else ""] for r in rows])


def _record(session: Session, task: Task, outcome: str, *, jurisdiction: str, version: int, at: datetime,
            to_community: str | None, community: str | None = None) -> None:
    row = assist_service.row_for_task(session, task.id)
    if row is None or row.request.direction != AssistDirection.INBOUND or outcome not in ASSIST_OUTCOME:
        verification.record_outcome(session, task, outcome, jurisdiction=jurisdiction, version=version, at=at,
                                    to_community=to_community or None)
        return
    # a person pushed to us by another jurisdiction (协查): the finding goes back to the issuer as well
    task_service.check_jurisdiction(task, jurisdiction)
    task_service.check_version(task, version)
    note = f"moved to {to_community}" if outcome == VerificationOutcome.MOVED and to_community else None
    found = ASSIST_OUTCOME[outcome] in assist_service.FOUND and row.person_fk is None
    assist_service.record_outcome(session, row, ASSIST_OUTCOME[outcome], at=at, jurisdiction=jurisdiction, note=note,
                                  community=community if found and community else None)
    task_service.flush_versioned(session, task)


@router.post("/verify/{task_id}", response_class=HTMLResponse)
def record(request: Request, session: SessionDep, settings: SettingsDep, task_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
           outcome: Annotated[str, Form(pattern=_OUTCOME_PATTERN)],
           version: Annotated[int, Form(ge=1, le=2**31 - 1)], community: Annotated[str, Form(max_length=32)] = "",
           to_community: Annotated[str, Form(max_length=32)] = ""):
    """HTMX: one outcome for one task; the row comes back closed, or with the refusal (403 / 409 / 422) and the
    task's current state so the verifier sees what changed."""
    lang, now = lang_of(request), utcnow()
    jurisdiction = _jurisdiction(session, community)
    task = task_service.get_task(session, task_id)
    error = status = None
    try:
        _record(session, task, outcome, jurisdiction=jurisdiction, version=version, at=now,
                to_community=to_community.strip(),
                community=community if community.isdigit() and 6 <= len(community) <= 12 else None)
    except FangkongError as exc:
        session.rollback()
        task = task_service.get_task(session, task_id)
        error, status = exc, exc.status_code
    _, chosen = _counts(session, settings, community, now)
    return templates.TemplateResponse(request, "verify_row.html", {
        "lang": lang, "r": _rows(session, [task], now, lang)[0], "community": community, "error": error,
        "just_recorded": error is None, "chosen": chosen, "oob": True}, status_code=status or 200)
