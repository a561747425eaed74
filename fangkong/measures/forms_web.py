"""Measure forms (epidemiologist, isolation manager): a person's measures in force, each escalated (home →
centralized), extended after a new exposure, or released, through measures.lifecycle as `fangkong measures
escalate / extend / release` do. Each form carries the measure's version: one changed since is shown, not changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from fangkong.db.core import utcnow
from fangkong.errors import FangkongError, NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures import lifecycle, service
from fangkong.measures.models import Measure, MeasureStatus
from fangkong.people import service as people_service
from fangkong.protocol.edition import load_edition
from fangkong.protocol.times import Happened

router = APIRouter(include_in_schema=False)
MeasureId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[str, Form(max_length=12)]


class EscalateForm(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    version: int = Field(ge=1, le=2**31)


class ExtendForm(BaseModel):
    exposure_at: Happened
    reason: str = Field(min_length=1, max_length=500)
    version: int = Field(ge=1, le=2**31)


class ReleaseForm(BaseModel):
    version: int = Field(ge=1, le=2**31)


def _changed(m: Measure, seen: int, lang: str) -> list[tuple[str, str, str]]:
    return [(t("measure", lang), f"v{seen}", f"{t(m.kind, lang)} · {t('field_status', lang)} {t('mstatus_' + m.status, lang)} · "
             f"{local(m.end_at)} · v{m.version}")]


@router.get("/measures/act", response_class=HTMLResponse)
def measures_page(request: Request, session: SessionDep, settings: SettingsDep,
                  person: Annotated[str, Query(max_length=64, pattern=r"^[\w-]*$")] = ""):
    lang, measures, missing = lang_of(request), [], False
    if person:
        try:
            p = people_service.get_person(session, person)
            measures = service.all_active(session, [p.id]).get(p.id, [])
        except NotFound:
            missing = True
    return templates.TemplateResponse(request, "forms/measures.html", {
        "lang": lang, "person": person, "missing": missing, "states": {},
        "rows": [_row(session, settings, m) for m in measures]})


def _row(session, settings, m: Measure, state: FormState | None = None, name: str = "") -> dict:
    decision = None
    if m.status == MeasureStatus.ACTIVE:
        try:
            decision = lifecycle.check_release(session, m, edition=load_edition(m.edition or settings.edition),
                                               tz=settings.zone, now=utcnow())
        except FangkongError:
            decision = None
    return {"m": m, "decision": decision, "state": state or FormState(), "name": name}


def _act(request, session, settings, measure_id: int, name: str, model, data: dict, act) -> HTMLResponse:
    lang = lang_of(request)
    m = service.get_measure(session, measure_id)
    form, state = parse(model, data, lang)
    if form is not None:
        if form.version != m.version:
            state.stale = _changed(m, form.version, lang)
        else:
            try:
                m = act(m, form) or m
                state = FormState(done=True)
            except FangkongError as exc:
                session.rollback()
                m = service.get_measure(session, measure_id)
                if exc.status_code == 409:
                    state.stale = _changed(m, form.version, lang)
                else:
                    state.refusal = refusal_text(exc, lang)
    return render_form(request, "forms/measure_row.html",
                       {"lang": lang, "r": _row(session, settings, m, state, name)}, state=state)


@router.post("/measures/{measure_id}/escalate", response_class=HTMLResponse)
def escalate(request: Request, session: SessionDep, settings: SettingsDep, measure_id: MeasureId,
             reason: Annotated[str, Form(max_length=500)] = "", version: Version = ""):
    def act(m, form):
        return lifecycle.escalate(session, m, now=utcnow(), reason=form.reason)
    return _act(request, session, settings, measure_id, "escalate", EscalateForm,
                {"reason": reason, "version": version}, act)


@router.post("/measures/{measure_id}/extend", response_class=HTMLResponse)
def extend(request: Request, session: SessionDep, settings: SettingsDep, measure_id: MeasureId,
           exposure_at: Annotated[str, Form(max_length=40)] = "", reason: Annotated[str, Form(max_length=500)] = "",
           version: Version = ""):
    def act(m, form):
        return lifecycle.extend(session, m, exposure_at=zoned(form.exposure_at, settings.zone),
                                edition=load_edition(m.edition or settings.edition), tz=settings.zone, now=utcnow(),
                                reason=form.reason)
    return _act(request, session, settings, measure_id, "extend", ExtendForm,
                {"exposure_at": exposure_at, "reason": reason, "version": version}, act)


@router.post("/measures/{measure_id}/release", response_class=HTMLResponse)
def release(request: Request, session: SessionDep, settings: SettingsDep, measure_id: MeasureId,
            version: Version = ""):
    def act(m, _form):
        return lifecycle.release(session, m, edition=load_edition(m.edition or settings.edition), tz=settings.zone,
                                 now=utcnow())[1]
    return _act(request, session, settings, measure_id, "release", ReleaseForm, {"version": version}, act)
