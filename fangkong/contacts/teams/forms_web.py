"""The investigation form (tracing team, epidemiologist): the case's declared trajectory (places and times),
the interview's notes and the investigation's status, saved through teams.update_investigation as `fangkong teams
investigation` and PATCH /api/cases/{id}/investigation do (audited). Beside it, as the team types, the data
points of the case's window (venue scans, carrier cells) that the declaration typed so far does not cover
(concealment.undeclared, as `fangkong teams diff`). The form carries the investigation's version: one changed
since is shown with what changed, not overwritten."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from fangkong.cases import service as case_service
from fangkong.cases.models import Case
from fangkong.contacts import concealment
from fangkong.contacts.teams import service as teams
from fangkong.contacts.teams.models import INVESTIGATION_STATUSES, Investigation
from fangkong.db.core import utcnow
from fangkong.errors import Conflict, FangkongError, TooManyRequests
from fangkong.kit.deps import SessionDep, SettingsDep, actor_of
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.ratelimit import check_preview
from fangkong.kit.webkit import lang_of, templates
from fangkong.lake.queries import Lake
from fangkong.protocol.edition import load_edition
from fangkong.protocol.times import Happened

router = APIRouter(include_in_schema=False)
CaseId = Annotated[str, Path(max_length=20, pattern=r"^[\w-]+$")]
ROWS = Annotated[list[str], Form(max_length=2000)]
BLANK = 3  # empty rows offered below the declared ones


class InvestigationForm(BaseModel):
    version: int = Field(ge=1, le=2**31)
    status: str = Field(pattern=f"^({'|'.join(INVESTIGATION_STATUSES[1:])})$")
    notes: str | None = Field(None, max_length=20_000)


class PointForm(BaseModel):
    place: str = Field(min_length=1, max_length=200)
    start: Happened
    end: Happened | None = None
    note: str | None = Field(None, max_length=500)


def _field_value(iso: str | None, tz) -> str:
    """A stored time as a datetime-local field's value (the deployment's zone, to the minute)."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        return ""


def _rows_of(inv: Investigation, tz) -> list[dict]:
    return [{"place": p.get("place") or "", "start": _field_value(p.get("start"), tz),
             "end": _field_value(p.get("end"), tz), "note": p.get("note") or ""}
            for p in inv.declared_trajectory or []]


def _points(rows: list[dict], settings, lang: str) -> tuple[list[dict], dict[str, str]]:
    """The typed rows as the declaration's JSON (an empty row is skipped) and each row's errors ("start-2")."""
    out, errors = [], {}
    for i, row in enumerate(rows):
        if not any(str(v).strip() for v in row.values()):
            continue
        form, state = parse(PointForm, row, lang)
        if form is None:
            errors.update({f"{k}-{i}": v for k, v in state.errors.items()})
            continue
        start, end = zoned(form.start, settings.zone), zoned(form.end, settings.zone)
        if end is not None and end < start:
            errors[f"end-{i}"] = t("inv_end_before_start", lang)
            continue
        out.append({"place": form.place, "start": start.isoformat(), "end": end.isoformat() if end else None,
                    "note": form.note})
    return out, errors


def _typed(place: list[str], start: list[str], end: list[str], note: list[str]) -> list[dict]:
    n = max(len(place), len(start), len(end), len(note))
    pad = lambda xs: list(xs) + [""] * (n - len(xs))  # noqa: E731
    return [{"place": p, "start": s, "end": e, "note": o}
            for p, s, e, o in zip(pad(place), pad(start), pad(end), pad(note), strict=True)][:2000]


def _diff(session, settings, case: Case, declared: list[dict] | None) -> dict:
    """The data points of the case's window and whether the declaration covers each; or why there are none."""
    try:
        points = concealment.undeclared(session, case, lake=Lake.from_settings(settings, case.sampled_at),
                                        edition=load_edition(case.edition or settings.edition), tz=settings.zone,
                                        declared_entries=declared)
    except FangkongError as exc:
        return {"points": [], "why": exc}
    return {"points": points, "why": None, "missing": sum(not p.declared for p in points)}


def _context(request, session, settings, case: Case, inv: Investigation, state: FormState | None = None,
             rows: list[dict] | None = None, declared: list[dict] | None = None) -> dict:
    rows = rows if rows is not None else _rows_of(inv, settings.zone)
    rows = [r for r in rows if any(str(v).strip() for v in r.values())]
    return {"lang": lang_of(request), "case": case, "inv": inv, "state": state or FormState(),
            "rows": rows + [{"place": "", "start": "", "end": "", "note": ""}] * BLANK,
            "statuses": [s for s in INVESTIGATION_STATUSES[1:]
                         if INVESTIGATION_STATUSES.index(s) >= INVESTIGATION_STATUSES.index(inv.status)],
            "diff": _diff(session, settings, case, declared)}


@router.get("/cases/{case_id}/investigation", response_class=HTMLResponse)
def investigation_page(request: Request, session: SessionDep, settings: SettingsDep, case_id: CaseId):
    case = case_service.get_case(session, case_id)
    inv = teams.get_investigation(session, case)
    return templates.TemplateResponse(request, "forms/investigation.html",
                                      _context(request, session, settings, case, inv))


@router.post("/cases/{case_id}/investigation/diff", response_class=HTMLResponse)
def investigation_diff(request: Request, session: SessionDep, settings: SettingsDep, case_id: CaseId,
                       place: ROWS = (), start: ROWS = (), end: ROWS = (), note: ROWS = ()):
    """HTMX, as the team types: the data points the declaration typed so far leaves out (nothing is saved).
    Each asks the lake: the page asks at most once every 2 s after a typing pause (data-preview-every, base.html)
    and the server at most PREVIEW_RATE per user (a refused one is 429, the diff shown stays)."""
    case = case_service.get_case(session, case_id)
    teams.get_investigation(session, case)
    try:
        check_preview(actor_of(session), redis_url=settings.redis_url)
    except TooManyRequests as exc:
        # nothing to swap: the diff shown stays until the next pause asks again
        return HTMLResponse("", status_code=429, headers={"Retry-After": exc.retry_after, "HX-Reswap": "none"})
    declared, _ = _points(_typed(place, start, end, note), settings, lang_of(request))
    return templates.TemplateResponse(request, "forms/investigation_diff.html", {
        "lang": lang_of(request), "case": case, "diff": _diff(session, settings, case, declared)})


def _changed(inv: Investigation, seen: int, lang: str) -> list[tuple[str, str, str]]:
    return [(t("inv_record", lang), f"v{seen}",
             f"{t('inv_' + inv.status, lang)} · {t('inv_points', lang).format(n=len(inv.declared_trajectory or []))}"
             f"{' · ' + (inv.notes or '')[:60] if inv.notes else ''} · v{inv.version}")]


@router.post("/cases/{case_id}/investigation", response_class=HTMLResponse)
def save_investigation(request: Request, session: SessionDep, settings: SettingsDep, case_id: CaseId,
                       version: Annotated[str, Form(max_length=12)] = "",
                       status: Annotated[str, Form(max_length=30)] = "",
                       notes: Annotated[str, Form(max_length=20_000)] = "",
                       place: ROWS = (), start: ROWS = (), end: ROWS = (), note: ROWS = ()):
    """HTMX: the team's record saved (teams.update_investigation, audited); a version changed since is 409."""
    lang = lang_of(request)
    case = case_service.get_case(session, case_id)
    inv = teams.get_investigation(session, case)
    rows = _typed(place, start, end, note)
    form, state = parse(InvestigationForm, {"version": version, "status": status, "notes": notes}, lang)
    declared, row_errors = _points(rows, settings, lang)
    state.errors.update(row_errors)
    if form is not None and not row_errors:
        if form.version != inv.version:
            state.stale = _changed(inv, form.version, lang)
        else:
            try:
                inv = teams.update_investigation(session, inv, version=form.version, now=utcnow(), status=form.status,
                                                 notes=form.notes or "", declared_trajectory=declared)
                state = FormState(done=local(utcnow()))
                rows = None
            except FangkongError as exc:
                session.rollback()
                inv = teams.get_investigation(session, case_service.get_case(session, case_id))
                if isinstance(exc, Conflict) and inv.version != form.version:
                    state.stale = _changed(inv, form.version, lang)
                else:
                    state.errors["status"] = refusal_text(exc, lang)
    ctx = _context(request, session, settings, case, inv, state, rows, None if rows is None else declared)
    return render_form(request, "forms/investigation_body.html", ctx, state=state)


__all__ = ["router"]
