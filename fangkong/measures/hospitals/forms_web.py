"""Hospital forms (isolation / hospital manager, admin): a designated hospital with its beds (hospitals.
add_hospital, as `fangkong hospitals add`) and the city's escalation plan, each step set or removed (hospitals.
set_step / remove_step, as `fangkong hospitals step`), audited. A step's form carries the action the page showed
at that threshold: a step set or removed by someone else meanwhile is shown with what it is now, not overwritten."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from fangkong.errors import Conflict, FangkongError
from fangkong.kit.deps import SessionDep
from fangkong.kit.forms import FormState, parse, refusal_text, render_form
from fangkong.kit.i18n import t
from fangkong.kit.listexport import ExportQ
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures.hospitals import service
from fangkong.measures.models import EscalationStep, Hospital
from fangkong.measures.sites.web import hospitals_export

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=200)]
Threshold = Annotated[int, Path(ge=0, le=10_000_000)]


class HospitalForm(BaseModel):
    hospital_id: str = Field(pattern=r"^[A-Za-z0-9][\w.:-]{0,31}$")
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(pattern=r"^\d{6,12}$")
    beds: int = Field(ge=0, le=100_000)
    negative_pressure_beds: int = Field(0, ge=0, le=100_000)


class StepForm(BaseModel):
    threshold: int = Field(ge=0, le=10_000_000)
    action: str = Field(min_length=1, max_length=500)
    beds: int = Field(0, ge=0, le=100_000)
    seen: str = Field("", max_length=4000)


class RemoveForm(BaseModel):
    seen: str = Field("", max_length=4000)


def plan_seen(stored: dict[int, str]) -> str:
    """The plan's stored steps as the page showed them (each form carries it): "100=腾空…|200=…"."""
    return "|".join(f"{k}={v.replace('|', '/')}" for k, v in sorted(stored.items()))[:4000]


def _seen_at(seen: str, threshold: int) -> str:
    for part in seen.split("|"):
        k, _, v = part.partition("=")
        if k == str(threshold):
            return v
    return ""


def _step_now(session, threshold: int) -> str:
    return session.scalar(select(EscalationStep.action).where(EscalationStep.threshold == threshold)) or ""


def _context(request: Request, session, **states) -> dict:
    stored = {r.threshold: r.action for r in session.scalars(select(EscalationStep))}
    return {"lang": lang_of(request), "beds": service.hospital_beds(session), "plan": service.plan(session),
            "steps": service.steps(session), "stored": stored, "seen": plan_seen(stored),
            **{k: states.get(k) or FormState() for k in ("hospital", "step")}}


@router.get("/isolation/hospitals", response_class=HTMLResponse)
def hospitals_page(request: Request, session: SessionDep, export: ExportQ = None):
    if export:   # the hospitals with their beds, as a file (kit/listexport.py, audited)
        return hospitals_export(request, session, service.hospital_beds(session))
    return templates.TemplateResponse(request, "forms/hospitals.html", _context(request, session))


def _answer(request, session, state: FormState, name: str) -> HTMLResponse:
    return render_form(request, "forms/hospitals_body.html", _context(request, session, **{name: state}),
                       state=state)


@router.post("/isolation/hospitals/new", response_class=HTMLResponse)
def add_hospital(request: Request, session: SessionDep, hospital_id: Text = "", name: Text = "",
                 jurisdiction: Text = "", beds: Text = "", negative_pressure_beds: Text = ""):
    """HTMX: a designated hospital (hospitals.add_hospital, audited)."""
    lang = lang_of(request)
    form, state = parse(HospitalForm, {"hospital_id": hospital_id, "name": name, "jurisdiction": jurisdiction,
                                       "beds": beds, "negative_pressure_beds": negative_pressure_beds}, lang)
    if form is not None:
        if form.negative_pressure_beds > form.beds:
            state.errors["negative_pressure_beds"] = t("hosp_np_over", lang)
        else:
            try:
                service.add_hospital(session, form.hospital_id, name=form.name, jurisdiction=form.jurisdiction,
                                     beds=form.beds, negative_pressure_beds=form.negative_pressure_beds)
                state = FormState(done=form.hospital_id)
            except FangkongError as exc:
                session.rollback()
                old = session.scalar(select(Hospital).where(Hospital.hospital_id == form.hospital_id))
                if isinstance(exc, Conflict) and old is not None:
                    state.stale = [(form.hospital_id, t("rooms_no_room", lang), f"{old.name} · {old.beds}")]
                else:
                    state.errors["jurisdiction"] = refusal_text(exc, lang)
    return _answer(request, session, state, "hospital")


@router.post("/isolation/hospitals/plan", response_class=HTMLResponse)
def set_step(request: Request, session: SessionDep, threshold: Text = "", action: Text = "", beds: Text = "",
             seen: Annotated[str, Form(max_length=4000)] = ""):
    """HTMX: a step of the escalation plan set (hospitals.set_step): the first replaces the default plan."""
    lang = lang_of(request)
    form, state = parse(StepForm, {"threshold": threshold, "action": action, "beds": beds, "seen": seen}, lang)
    if form is not None:
        now, was = _step_now(session, form.threshold), _seen_at(form.seen, form.threshold)
        if now != was:
            state.stale = [(t("hosp_step_at", lang).format(n=form.threshold), was or t("rooms_no_room", lang),
                            now or t("rooms_no_room", lang))]
        else:
            try:
                service.set_step(session, form.threshold, action=form.action, beds=form.beds)
                state = FormState(done=form.threshold)
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
    return _answer(request, session, state, "step")


@router.post("/isolation/hospitals/plan/{threshold}/remove", response_class=HTMLResponse)
def remove_step(request: Request, session: SessionDep, threshold: Threshold,
                seen: Annotated[str, Form(max_length=4000)] = ""):
    """HTMX: a step of the escalation plan removed (hospitals.remove_step)."""
    lang = lang_of(request)
    form, state = parse(RemoveForm, {"seen": seen}, lang)
    if form is not None:
        now, was = _step_now(session, threshold), _seen_at(form.seen, threshold)
        if now != was or not now:
            state.stale = [(t("hosp_step_at", lang).format(n=threshold), was or t("rooms_no_room", lang),
                            now or t("rooms_no_room", lang))]
        else:
            try:
                service.remove_step(session, threshold)
                state = FormState(done=threshold)
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
    return _answer(request, session, state, "step")


__all__ = ["plan_seen", "router"]
