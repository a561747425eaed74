"""Testing set-up forms (lab, admin): sampling points, labs and rounds, through the services `fangkong testing
point add`, `lab add` and `round create` use (audited). A round concerns everyone living in its area: it is
first previewed (how many people, how many of them on single tubes, the first tubes and hours the planner
expects), then created on the confirmation. A record registered by someone else meanwhile under the same id is
shown with what it is now, not overwritten."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, field_validator

from fangkong.errors import Conflict, FangkongError
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, parse, refusal_text, render_form
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.protocol.edition import load_edition
from fangkong.protocol.pooling import testing_rule
from fangkong.protocol.times import PlannedDate
from fangkong.testing import service
from fangkong.testing.models import LAB_KINDS, ROUND_KINDS, Lab, SamplingPoint, TestingRound
from fangkong.testing.progress import round_persons

router = APIRouter(include_in_schema=False)
templates.env.globals["kind_options"] = lambda kinds, prefix, lang: [("", "—")] + [(k, t(prefix + k, lang))
                                                                                     for k in kinds]
templates.env.globals["pool_options"] = lambda sizes, state: [(str(k), str(k)) for k in
                                                                  sorted(sizes, key=lambda k: (k != 10, k))]
Text = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=20_000)]
_ID = r"^[A-Za-z0-9][\w.:-]{0,63}$"
#: the preview's planning assumption (the planner needs one; the round's own figures come from its progress)
PREVALENCE = 0.001


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace(",", "\n").replace("，", "\n").splitlines() if x.strip()]


class PointForm(BaseModel):
    point_id: str = Field(pattern=_ID)
    name: str | None = Field(None, max_length=200)
    community: str | None = Field(None, pattern=r"^\d{6,12}$")
    tables: int = Field(1, ge=1, le=1000)


class LabForm(BaseModel):
    lab_id: str = Field(pattern=_ID)
    name: str | None = Field(None, max_length=200)
    kind: str = Field(pattern=f"^({'|'.join(LAB_KINDS)})$")
    daily_capacity: int = Field(ge=1, le=10_000_000)


class RoundForm(BaseModel):
    round_id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=f"^({'|'.join(ROUND_KINDS)})$")
    start_date: PlannedDate
    end_date: PlannedDate | None = None
    points: list[Annotated[str, Field(pattern=_ID)]] = Field(min_length=1, max_length=5000)
    pool_size: int = Field(ge=1, le=100)
    communities: list[Annotated[str, Field(pattern=r"^\d{6,12}$")]] = Field(default_factory=list, max_length=5000)
    confirm: bool = False

    @field_validator("points", "communities", mode="before")
    @classmethod
    def _split(cls, v):
        return _lines(v) if isinstance(v, str) else v


def _rule(settings):
    return testing_rule(load_edition(settings.edition))


def _context(request: Request, session, settings, **states) -> dict:
    return {"lang": lang_of(request), "points": service.list_points(session, limit=200),
            "labs": service.list_labs(session), "rounds": service.list_rounds(session, limit=50),
            "kinds": LAB_KINDS, "round_kinds": ROUND_KINDS, "pool_sizes": _rule(settings).pool_sizes,
            **{k: states.get(k) or FormState() for k in ("point", "lab", "round")}}


@router.get("/testing/setup", response_class=HTMLResponse)
def setup_page(request: Request, session: SessionDep, settings: SettingsDep):
    return templates.TemplateResponse(request, "forms/testing_setup.html", _context(request, session, settings))


def _now_as(what: str, row, lang: str) -> list[tuple[str, str, str]]:
    """A record of that id registered meanwhile (by someone else): what it is now."""
    if isinstance(row, SamplingPoint):
        now = f"{row.name or ''} {row.community or t('users_whole', lang)} · {row.tables}"
    elif isinstance(row, Lab):
        now = f"{row.name or ''} {t('lab_kind_' + row.kind, lang)} · {row.daily_capacity}"
    else:
        now = f"{row.name} · {row.start_date}–{row.end_date}"
    return [(what, t("rooms_no_room", lang), now.strip())]


def _register(session, lang: str, state: FormState, model, key: str, record_id: str,
              add: Callable[[], object], field_of: Callable[[FangkongError], str]) -> FormState:
    """`add()`, the service's call, registers the record: done. Refused, with a record of that id registered
    meanwhile (a Conflict): what it is now; any other refusal stands beside the field `field_of` names."""
    try:
        return FormState(done=getattr(add(), key))
    except FangkongError as exc:
        session.rollback()
        old = session.query(model).filter_by(**{key: record_id}).one_or_none()
        if isinstance(exc, Conflict) and old is not None:
            state.stale = _now_as(record_id, old, lang)
        else:
            state.errors[field_of(exc)] = refusal_text(exc, lang)
        return state


def _answer(request, session, settings, name: str, state: FormState) -> HTMLResponse:
    return render_form(request, "forms/testing_setup_body.html",
                       _context(request, session, settings, **{name: state}), state=state)


@router.post("/testing/setup/point", response_class=HTMLResponse)
def add_point(request: Request, session: SessionDep, settings: SettingsDep, point_id: Text = "", name: Text = "",
              community: Text = "", tables: Text = ""):
    """HTMX: a sampling point (testing.service.add_point, as `fangkong testing point add`)."""
    lang = lang_of(request)
    form, state = parse(PointForm, {"point_id": point_id, "name": name, "community": community, "tables": tables},
                        lang)
    if form is not None:
        state = _register(session, lang, state, SamplingPoint, "point_id", form.point_id,
                          lambda: service.add_point(session, form.point_id, name=form.name,
                                                    community=form.community, tables=form.tables),
                          lambda _exc: "community" if form.community else "point_id")
    return _answer(request, session, settings, "point", state)


@router.post("/testing/setup/lab", response_class=HTMLResponse)
def add_lab(request: Request, session: SessionDep, settings: SettingsDep, lab_id: Text = "", name: Text = "",
            kind: Text = "", daily_capacity: Text = ""):
    """HTMX: a lab with its daily capacity in tubes (testing.service.add_lab, as `fangkong testing lab add`)."""
    lang = lang_of(request)
    form, state = parse(LabForm, {"lab_id": lab_id, "name": name, "kind": kind, "daily_capacity": daily_capacity},
                        lang)
    if form is not None:
        state = _register(session, lang, state, Lab, "lab_id", form.lab_id,
                          lambda: service.add_lab(session, form.lab_id, daily_capacity=form.daily_capacity,
                                                  kind=form.kind, name=form.name),
                          lambda _exc: "lab_id")
    return _answer(request, session, settings, "lab", state)


def _preview(session, settings, form: RoundForm) -> dict:
    people, key = round_persons(session, SimpleNamespace(communities=form.communities))
    labs = {lab.lab_id: lab.daily_capacity for lab in service.list_labs(session)}
    out = {"people": people, "key": key, "tubes": None, "hours": None}
    if people and labs:
        try:
            p = service.plan(_rule(settings), persons=people, prevalence=PREVALENCE, points=len(form.points),
                             labs=labs, single_tube_persons=key, pool_size=form.pool_size)
            out.update(tubes=p.first_tubes, hours=round(p.hours, 1))
        except FangkongError:
            pass
    return out


@router.post("/testing/setup/round", response_class=HTMLResponse)
def create_round(request: Request, session: SessionDep, settings: SettingsDep, round_id: Text = "",
                 name: Text = "", kind: Text = "", start_date: Text = "", end_date: Text = "", points: Long = "",
                 pool_size: Text = "", communities: Long = "", confirm: Text = ""):
    """HTMX: a round over an area (testing.service.create_round, as `fangkong testing round create`), after a
    preview of whom it concerns."""
    lang = lang_of(request)
    form, state = parse(RoundForm, {"round_id": round_id, "name": name, "kind": kind, "start_date": start_date,
                                    "end_date": end_date, "points": points, "pool_size": pool_size,
                                    "communities": communities, "confirm": confirm}, lang)
    if form is not None:
        end = form.end_date or form.start_date
        if end < form.start_date:
            state.errors["end_date"] = t("inv_end_before_start", lang)
        elif form.confirm:
            state = _register(
                session, lang, state, TestingRound, "round_id", form.round_id,
                lambda: service.create_round(session, form.round_id, rule=_rule(settings), name=form.name,
                                             kind=form.kind, start_date=form.start_date, end_date=end,
                                             point_ids=form.points, pool_size=form.pool_size,
                                             communities=form.communities),
                lambda exc: "points" if "point" in exc.message else "pool_size" if "pool" in exc.message
                else "communities" if form.communities else "round_id")
        else:
            state.values.update(confirming=True, effect=_preview(session, settings, form))
    return _answer(request, session, settings, "round", state)


__all__ = ["router"]
