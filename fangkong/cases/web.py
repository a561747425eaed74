"""Case forms (epidemiologist): declare a case, record a first positive (a suspected case) and its re-check (复核),
through the same services as `fangkong case declare / positive / recheck`; every write audited by the service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from fangkong.cases import service
from fangkong.cases.models import Case, CaseStatus
from fangkong.db.core import utcnow
from fangkong.errors import Conflict, FangkongError, NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.protocol.times import Happened, HappenedDate

router = APIRouter(include_in_schema=False)
#: suspected cases shown awaiting their re-check, oldest first
WAITING = 50
PersonId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w-]+$")]
Text = Annotated[str, Form(max_length=64)]
CaseNo = Annotated[str, Path(max_length=20, pattern=r"^[\w-]+$")]


class DeclareForm(BaseModel):
    person_id: PersonId
    sampled_at: Happened
    onset_date: HappenedDate | None = None
    isolated_at: Happened | None = None
    imported: bool = False


class PositiveForm(BaseModel):
    person_id: PersonId
    sampled_at: Happened


class RecheckForm(BaseModel):
    result: Literal["positive", "negative"]
    onset_date: HappenedDate | None = None
    isolated_at: Happened | None = None
    seen: str = Field(max_length=20)


def _waiting(session) -> list[Case]:
    return list(reversed(service.list_cases(session, status=CaseStatus.SUSPECTED, limit=WAITING)))


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request, session: SessionDep):
    return templates.TemplateResponse(request, "forms/cases_new.html", {
        "lang": lang_of(request), "declare": FormState(), "positive": FormState(), "waiting": _waiting(session)})


def _person_refusal(state: FormState, exc: FangkongError, lang: str) -> None:
    if isinstance(exc, NotFound):
        state.errors["person_id"] = t("form_no_person", lang).format(person=state.values.get("person_id"))
    elif isinstance(exc, Conflict):
        state.refusal = t("case_exists", lang).format(person=state.values.get("person_id"))
        if exc.key:  # which: an open case, or already this case (issue 25: in the user's language, not English)
            state.refusal += f"（{refusal_text(exc, lang)}）" if lang == "zh" else f" ({refusal_text(exc, lang)})"
    else:
        state.refusal = refusal_text(exc, lang)


@router.post("/cases/new", response_class=HTMLResponse)
def declare(request: Request, session: SessionDep, settings: SettingsDep, person_id: Text = "", sampled_at: Text = "",
            onset_date: Text = "", isolated_at: Text = "", imported: Text = ""):
    """HTMX: declare a case (cases.service.declare_case, as `fangkong case declare`); the form comes back with the
    errors beside their fields, or the case declared and an empty form for the next one."""
    lang = lang_of(request)
    form, state = parse(DeclareForm, {"person_id": person_id, "sampled_at": sampled_at, "onset_date": onset_date,
                                      "isolated_at": isolated_at, "imported": "true" if imported else ""}, lang)
    if form is not None:
        try:
            case = service.declare_case(session, form.person_id, sampled_at=zoned(form.sampled_at, settings.zone),
                                        onset_date=form.onset_date, isolated_at=zoned(form.isolated_at, settings.zone),
                                        imported=form.imported, now=utcnow())
            state = FormState(done=case)
        except FangkongError as exc:
            session.rollback()
            _person_refusal(state, exc, lang)
    return render_form(request, "forms/case_declare.html", {"lang": lang, "declare": state})


@router.post("/cases/new/positive", response_class=HTMLResponse)
def positive(request: Request, session: SessionDep, settings: SettingsDep, person_id: Text = "",
             sampled_at: Text = ""):
    """HTMX: a first positive result (cases.service.report_positive): a suspected case awaiting its re-check."""
    lang = lang_of(request)
    form, state = parse(PositiveForm, {"person_id": person_id, "sampled_at": sampled_at}, lang)
    if form is not None:
        try:
            case = service.report_positive(session, form.person_id, sampled_at=zoned(form.sampled_at, settings.zone),
                                           now=utcnow())
            state = FormState(done=case)
        except FangkongError as exc:
            session.rollback()
            _person_refusal(state, exc, lang)
    return render_form(request, "forms/case_positive.html", {"lang": lang, "positive": state,
                                                              "waiting": _waiting(session), "oob": True})


def _changed(case: Case, seen: str, lang: str) -> list[tuple[str, str, str]]:
    now = t(case.status, lang)
    if case.declared_at:
        now += f" ({local(case.declared_at)})"
    return [(t("field_status", lang), t(seen, lang), now)]


@router.post("/cases/{case_id}/recheck", response_class=HTMLResponse)
def recheck(request: Request, session: SessionDep, settings: SettingsDep, case_id: CaseNo, result: Text = "",
            onset_date: Text = "", isolated_at: Text = "", seen: Annotated[str, Form(max_length=20)] = ""):
    """HTMX: the re-check of a suspected case (cases.service.recheck). The form carries the status it was shown
    with: a case re-checked by someone else meanwhile is shown as it is now, not re-checked again."""
    lang = lang_of(request)
    case = service.get_case(session, case_id)
    form, state = parse(RecheckForm, {"result": result, "onset_date": onset_date, "isolated_at": isolated_at,
                                      "seen": seen or CaseStatus.SUSPECTED}, lang)
    if form is not None:
        if case.status != form.seen:
            state.stale = _changed(case, form.seen, lang)
        else:
            try:
                service.recheck(session, case, positive=form.result == "positive", onset_date=form.onset_date,
                                isolated_at=zoned(form.isolated_at, settings.zone), now=utcnow())
                state = FormState(done=case)
            except Conflict:
                session.rollback()
                case = service.get_case(session, case_id)
                state.stale = _changed(case, form.seen, lang)
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
    return render_form(request, "forms/case_recheck_row.html", {"lang": lang, "c": case, "state": state})

