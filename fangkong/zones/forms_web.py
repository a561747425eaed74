"""Zone forms (commander): propose a zone; on the zone's own page approve or reject it, lower or lift it, record a
testing round, each through the service `fangkong zones ...` uses. Approving, lowering or lifting, and a round,
first state what they will do to the residents, then wait for a confirmation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, field_validator

from fangkong.db.core import utcnow
from fangkong.errors import Conflict, FangkongError
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, parse, refusal_text, render_form
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.protocol.edition import load_edition
from fangkong.protocol.times import HappenedDate
from fangkong.zones import effects, service
from fangkong.zones.models import ABSENCE_REASONS, PLACE_KINDS, PlaceReason, Zone, ZoneStatus

router = APIRouter(include_in_schema=False)
ZoneId = Annotated[str, Path(max_length=20, pattern=r"^[\w-]+$")]
Text = Annotated[str, Form(max_length=64)]
Long = Annotated[str, Form(max_length=4000)]


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace(",", "\n").replace("，", "\n").splitlines() if x.strip()]


class ProposeForm(BaseModel):
    level: Literal["sealed", "controlled", "precaution"]
    places: list[Annotated[str, Field(pattern=rf"^({'|'.join(PLACE_KINDS)}):\S+$", max_length=80)]] = Field(
        min_length=1, max_length=200)
    name: str | None = Field(None, max_length=100)

    @field_validator("places", mode="before")
    @classmethod
    def _split(cls, v):
        return _lines(v) if isinstance(v, str) else v


class RejectForm(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    seen: str = Field(max_length=40)


class DecideForm(BaseModel):
    seen: str = Field(max_length=40)
    confirm: bool = False


class RoundForm(BaseModel):
    day: HappenedDate
    tested: int = Field(ge=0, le=10_000_000)
    positive: int = Field(0, ge=0, le=10_000_000)
    absent: list[Annotated[str, Field(pattern=rf"^[\w-]+=({'|'.join(ABSENCE_REASONS)})$", max_length=80)]] = Field(
        default_factory=list, max_length=5000)
    seen: str = Field(max_length=40)
    confirm: bool = False

    @field_validator("absent", mode="before")
    @classmethod
    def _split(cls, v):
        return _lines(v) if isinstance(v, str) else v


def seen_of(zone: Zone) -> str:
    """What the form saw of the zone: a decision on a zone changed since is not made (shown what changed)."""
    return f"{zone.status}:{zone.level}"


def _changed(zone: Zone, seen: str, lang: str) -> list[tuple[str, str, str]]:
    status, _, level = seen.partition(":")
    out = []
    if status != zone.status:
        out.append((t("field_status", lang), t(f"zone_{status}", lang), t(f"zone_{zone.status}", lang)))
    if level != zone.level:
        out.append((t("zone_level", lang), t(level, lang), t(zone.level, lang)))
    return out


def _context(request: Request, session, settings, zone: Zone, **states) -> dict:
    edition = load_edition(zone.edition or settings.edition)
    ctx = {"lang": lang_of(request), "z": zone, "seen": seen_of(zone), "residents": service.resident_count(session, zone),
           "approval": None, "step": None}
    if zone.status == ZoneStatus.PROPOSED:
        ctx["approval"] = effects.of_approval(session, zone, edition=edition)
    elif zone.status == ZoneStatus.APPROVED:
        ctx["step"] = effects.of_step(session, zone, edition=edition, tz=settings.zone, now=utcnow())
    for name in ("approve", "reject", "lift", "round"):
        ctx[name] = states.get(name) or FormState()
    return ctx


@router.get("/zones/new", response_class=HTMLResponse)
def new_zone_page(request: Request):
    return templates.TemplateResponse(request, "forms/zone_new.html", {"lang": lang_of(request),
                                                                       "propose": FormState()})


@router.post("/zones/new", response_class=HTMLResponse)
def propose(request: Request, session: SessionDep, settings: SettingsDep, level: Text = "", places: Long = "",
            name: Annotated[str, Form(max_length=100)] = ""):
    """HTMX: a commander's own zone (zones.service.create_zone, as `fangkong zones propose`), proposed."""
    lang = lang_of(request)
    form, state = parse(ProposeForm, {"level": level, "places": places, "name": name}, lang)
    if form is not None:
        try:
            zone = service.create_zone(session, level=form.level, name=form.name,
                                       places=[(*p.split(":", 1), PlaceReason.MANUAL) for p in form.places],
                                       edition=load_edition(settings.edition), now=utcnow())
            state = FormState(done=zone)
        except FangkongError as exc:
            session.rollback()
            state.errors["places"] = refusal_text(exc, lang)
    return render_form(request, "forms/zone_propose.html", {"lang": lang, "propose": state})


@router.get("/zones/{zone_id}/act", response_class=HTMLResponse)
def zone_act_page(request: Request, session: SessionDep, settings: SettingsDep, zone_id: ZoneId):
    zone = service.get_zone(session, zone_id)
    return templates.TemplateResponse(request, "forms/zone_act.html", _context(request, session, settings, zone))


def _decide(request: Request, session, settings, zone_id: str, name: str, model, data: dict, act,
            preview=None) -> HTMLResponse:
    """Check the form, refuse a zone changed since the page showed it, else act (unless it waits for a
    confirmation); the zone's panels come back."""
    lang = lang_of(request)
    zone = service.get_zone(session, zone_id)
    form, state = parse(model, data, lang)
    if form is not None:
        if seen_of(zone) != form.seen:
            state.stale = _changed(zone, form.seen, lang)
        elif getattr(form, "confirm", True):
            try:
                act(zone, form)
                state = FormState(done=True)
            except Conflict as exc:
                session.rollback()
                zone = service.get_zone(session, zone_id)
                changed = _changed(zone, form.seen, lang)
                state.stale, state.refusal = changed, "" if changed else refusal_text(exc, lang)
            except FangkongError as exc:
                session.rollback()
                zone = service.get_zone(session, zone_id)
                state.refusal = refusal_text(exc, lang)
        else:
            state.values["confirming"] = True
            state.values["effect"] = preview(zone, form) if preview else None
    return render_form(request, "forms/zone_panels.html", _context(request, session, settings, zone, **{name: state}),
                       state=state)


def _confirmed(request: Request, session, settings, zone_id: str, name: str, seen: str, decide) -> HTMLResponse:
    """A decision the form confirmed: `decide(session, zone, edition=, tz=, now=)` under the zone's edition."""
    def act(zone, _form):
        decide(session, zone, edition=load_edition(zone.edition or settings.edition), tz=settings.zone, now=utcnow())
    return _decide(request, session, settings, zone_id, name, DecideForm, {"seen": seen, "confirm": "1"}, act)


@router.post("/zones/{zone_id}/approve", response_class=HTMLResponse)
def approve(request: Request, session: SessionDep, settings: SettingsDep, zone_id: ZoneId,
            seen: Annotated[str, Form(max_length=40)] = ""):
    """HTMX: approve a proposed zone (zones.service.approve) after its confirmation stated whom it places."""
    return _confirmed(request, session, settings, zone_id, "approve", seen, service.approve)


@router.post("/zones/{zone_id}/reject", response_class=HTMLResponse)
def reject(request: Request, session: SessionDep, settings: SettingsDep, zone_id: ZoneId,
           seen: Annotated[str, Form(max_length=40)] = "", reason: Annotated[str, Form(max_length=500)] = ""):
    def act(zone, form):
        service.reject(session, zone, reason=form.reason, now=utcnow())
    return _decide(request, session, settings, zone_id, "reject", RejectForm, {"seen": seen, "reason": reason}, act)


@router.post("/zones/{zone_id}/lift", response_class=HTMLResponse)
def lift(request: Request, session: SessionDep, settings: SettingsDep, zone_id: ZoneId,
         seen: Annotated[str, Form(max_length=40)] = ""):
    """HTMX: lower a sealed zone to controlled, or lift it (zones.service.step), after the confirmation."""
    return _confirmed(request, session, settings, zone_id, "lift", seen, service.step)


@router.post("/zones/{zone_id}/round", response_class=HTMLResponse)
def record_round(request: Request, session: SessionDep, settings: SettingsDep, zone_id: ZoneId, day: Text = "",
                 tested: Text = "", positive: Text = "", absent: Long = "",
                 seen: Annotated[str, Form(max_length=40)] = "", confirm: Text = ""):
    """HTMX: a testing round over the zone and the residents it did not test (as `fangkong zones round`): the
    first submission states how many of the residents it covers, the confirmation records it."""
    def act(zone, form: RoundForm):
        now = utcnow()
        service.record_round(session, zone, day=form.day, tested=form.tested, positive=form.positive, now=now)
        for row in form.absent:
            person_id, _, reason = row.partition("=")
            service.record_absence(session, zone, day=form.day, person_id=person_id, reason=reason, now=now)
    return _decide(request, session, settings, zone_id, "round", RoundForm,
                   {"day": day, "tested": tested, "positive": positive, "absent": absent, "seen": seen,
                    "confirm": confirm}, act,
                   preview=lambda zone, form: effects.of_round(session, zone, tested=form.tested,
                                                               accounted=len(form.absent)))


__all__ = ["router"]
