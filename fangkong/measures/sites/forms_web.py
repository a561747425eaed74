"""Room forms (isolation-site manager): who waits for a room under centralized isolation, each given one
(sites.assign_room, as `fangkong sites assign`), or everyone at once after a confirmation that says how many
people and free rooms it concerns (sites.assign_rooms, as `fangkong sites assign-all`); the transfers under way,
each person's arrival recorded (sites.arrive, as `fangkong sites arrive`). Each form carries what the page
showed: a person placed or arrived meanwhile is shown, not placed or recorded twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from fangkong.db.core import utcnow
from fangkong.db.scoping import cut
from fangkong.errors import FangkongError, InvalidInput, NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures import service as measures
from fangkong.measures.models import IsolationSite, Measure, MeasureStatus, Room, RoomStay, SiteStatus
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites
from fangkong.people.models import Person
from fangkong.protocol.times import Happened

router = APIRouter(include_in_schema=False)
ROWS = 50  # the earliest first; the SLA board (/tasks) pages through the rest
_CENTRALIZED = "centralized_isolation"
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=40)]


class AssignForm(BaseModel):
    site_id: str = Field(min_length=1, max_length=32)
    room_no: str = Field(min_length=1, max_length=20, pattern=r"^[\w-]+$")
    version: int = Field(ge=1, le=2**31)


class AssignAllForm(BaseModel):
    seen: int = Field(ge=0, le=10_000_000)


class ArriveForm(BaseModel):
    at: Happened | None = None
    seen: str = Field("", max_length=40)


def _waiting_q():
    has_room = select(RoomStay.person_fk).where(RoomStay.left_at.is_(None))
    return select(Measure).where(Measure.status == MeasureStatus.ACTIVE, Measure.kind == _CENTRALIZED,
                                 Measure.person_fk.not_in(has_room))


def waiting_count(session) -> int:
    """People (not measures: two obligations take one room) under centralized isolation without a room."""
    sub = cut(session, _waiting_q()).subquery()   # the jurisdiction's (a subquery is not cut when run)
    return session.scalar(select(func.count(func.distinct(sub.c.person_fk)))) or 0


def _waiting(session, person: str = "") -> list[Measure]:
    q = _waiting_q()
    if person:
        q = q.where(Measure.person_fk.in_(_of(person)))
    return list(session.scalars(q.order_by(Measure.start_at, Measure.id).limit(ROWS)))


def _of(person: str):
    return select(Person.id).where(Person.person_id == person)


def _arrivals(session, person: str = "") -> list[RoomStay]:
    q = select(RoomStay).where(RoomStay.left_at.is_(None), RoomStay.arrived_at.is_(None))
    if person:
        q = q.where(RoomStay.person_fk.in_(_of(person)))
    return list(session.scalars(q.order_by(RoomStay.assigned_at, RoomStay.id).limit(ROWS)))


def _free_rooms(session, site_fks: list[int], per_site: int = 8) -> dict[int, list[str]]:
    """A few free rooms of each open site, shown as a hint beside the room field."""
    out: dict[int, list[str]] = {}
    for fk, no in session.execute(select(Room.site_fk, Room.room_no).where(
            Room.site_fk.in_(site_fks), Room.in_service, Room.occupants == 0).order_by(Room.site_fk, Room.room_no)):
        if len(out.setdefault(fk, [])) < per_site:
            out[fk].append(no)
    return out


def _context(request: Request, session, person: str = "", **states) -> dict:
    open_sites = [o for o in capacity.occupancy(session) if o.status == SiteStatus.OPEN]
    fks = dict(session.execute(select(IsolationSite.site_id, IsolationSite.id)
                               .where(IsolationSite.status == SiteStatus.OPEN)).all())
    free = _free_rooms(session, list(fks.values()))
    waiting = waiting_count(session)
    return {"lang": lang_of(request), "sites": open_sites, "free": {sid: free.get(fk, []) for sid, fk in fks.items()},
            "waiting": [_row(m) for m in _waiting(session, person)], "waiting_total": waiting, "person": person,
            "free_total": sum(o.free for o in open_sites), "arrivals": [_stay(s) for s in _arrivals(session, person)],
            "all": states.get("all") or FormState()}


def _row(m: Measure, state: FormState | None = None) -> dict:
    return {"m": m, "state": state or FormState()}


def _stay(stay: RoomStay, state: FormState | None = None) -> dict:
    return {"s": stay, "site": stay.room.site.site_id, "state": state or FormState()}


@router.get("/isolation/rooms", response_class=HTMLResponse)
def rooms_page(request: Request, session: SessionDep,
               person: Annotated[str, Query(max_length=64, pattern=r"^[\w-]*$")] = ""):
    return templates.TemplateResponse(request, "forms/rooms.html", _context(request, session, person))


def _placed(session, m: Measure, seen: int, lang: str) -> list[tuple[str, str, str]]:
    """What changed since the form was loaded: the person has a room now, or the measure moved on."""
    stay = sites.open_stay(session, m.person_fk)
    out = []
    if stay is not None:
        out.append((t("rooms_room", lang), t("rooms_no_room", lang), f"{stay.room.site.site_id} {stay.room.room_no}"))
    if m.version != seen or m.status != MeasureStatus.ACTIVE:
        out.append((t("measure", lang), f"v{seen}", f"{t(m.kind, lang)} · {t('field_status', lang)} "
                    f"{t('mstatus_' + m.status, lang)} · v{m.version}"))
    return out


@router.post("/isolation/rooms/assign/{measure_id}", response_class=HTMLResponse)
def assign(request: Request, session: SessionDep, measure_id: Id, site_id: Text = "", room_no: Text = "",
           version: Annotated[str, Form(max_length=12)] = ""):
    """HTMX: one person under centralized isolation into a given room (opens the 8 h transfer task)."""
    lang = lang_of(request)
    m = measures.get_measure(session, measure_id)
    form, state = parse(AssignForm, {"site_id": site_id, "room_no": room_no, "version": version}, lang)
    if form is not None:
        if changed := _placed(session, m, form.version, lang):
            state.stale = changed
        else:
            try:
                site = sites.get_site(session, form.site_id)
                stay = sites.assign_room(session, m, site, form.room_no, now=utcnow())
                state = FormState(done=f"{site.site_id} {stay.room.room_no}")
            except FangkongError as exc:
                session.rollback()
                m = measures.get_measure(session, measure_id)
                if changed := _placed(session, m, form.version, lang):
                    state.stale = changed
                elif isinstance(exc, NotFound) and exc.key is None:
                    state.errors["site_id"] = t("rooms_site_unknown", lang).format(site=form.site_id)
                else:
                    state.errors["room_no"] = refusal_text(exc, lang)
    open_sites = [o for o in capacity.occupancy(session) if o.status == SiteStatus.OPEN]
    return render_form(request, "forms/room_wait_row.html", {"lang": lang, "r": _row(m, state), "sites": open_sites},
                       state=state)


@router.post("/isolation/rooms/assign-all", response_class=HTMLResponse)
def assign_all(request: Request, session: SessionDep, seen: Text = ""):
    """HTMX: rooms for everyone waiting (nearest site, households together), confirmed on a page that said how
    many people wait and how many rooms are free; a count changed since is shown, not acted on."""
    lang = lang_of(request)
    form, state = parse(AssignAllForm, {"seen": seen}, lang)
    if form is not None:
        now_waiting = waiting_count(session)
        if now_waiting != form.seen:
            state.stale = [(t("rooms_waiting_n", lang), str(form.seen), str(now_waiting))]
        else:
            try:
                state = FormState(done=sites.assign_rooms(session, now=utcnow()))
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
    return render_form(request, "forms/rooms_body.html", _context(request, session, all=state), state=state)


def _stay_of(session, stay_id: int) -> RoomStay | None:
    """A stay of the user's jurisdiction (a query, so that the scoping cuts it), else None."""
    return session.scalar(select(RoomStay).where(RoomStay.id == stay_id))


@router.post("/isolation/rooms/arrive/{stay_id}", response_class=HTMLResponse)
def arrive(request: Request, session: SessionDep, settings: SettingsDep, stay_id: Id, at: Text = "",
           seen: Text = ""):
    """HTMX: the person reached their room (sites.arrive): the transfer task is done at that time."""
    lang = lang_of(request)
    stay = _stay_of(session, stay_id)
    if stay is None or stay.person is None:
        raise NotFound(f"no room stay {stay_id}", key="err_unknown_stay", params={"id": stay_id})
    form, state = parse(ArriveForm, {"at": at, "seen": seen}, lang)
    if form is not None:
        now = utcnow()
        when = zoned(form.at, settings.zone) or now
        if stay.arrived_at is not None or stay.left_at is not None:
            state.stale = [(t("rooms_arrived", lang), t("rooms_not_yet", lang),
                            local(stay.arrived_at) if stay.arrived_at else t("rooms_left", lang))]
        elif when > now:
            state.errors["at"] = t("rooms_future", lang)
        else:
            try:
                sites.arrive(session, stay.person, at=when)
                state = FormState(done=local(when))
            except InvalidInput as exc:
                session.rollback()
                state.errors["at"] = refusal_text(exc, lang)
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
            stay = _stay_of(session, stay_id)
    return render_form(request, "forms/room_arrive_row.html", {"lang": lang, "r": _stay(stay, state)}, state=state)


__all__ = ["router", "waiting_count"]
