"""Isolation-site forms (isolation-site manager, admin; issue 26), as the `fangkong sites` commands allow: a site
registered with its rooms (sites.add_site, as `sites add`), its status and 三区两通道 flag changed (sites.update_site,
as `sites status`), rooms added (sites.add_rooms, as `sites rooms`) and staff (sites.add_staff, as `sites staff`),
each audited by the service. Each form carries what the page showed of the site: a change by someone else meanwhile
is shown with what it is now, not overwritten. Closing a site where people stay asks first, saying how many."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from fangkong.errors import Conflict, FangkongError, NotFound
from fangkong.kit.deps import SessionDep
from fangkong.kit.forms import FormState, parse, refusal_text, render_form
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures.models import SITE_STATUSES, STAFF_ROLES, IsolationSite, SiteStaff, SiteStatus
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites

router = APIRouter(include_in_schema=False)
SiteId = Annotated[str, Path(max_length=32, pattern=r"^[\w.:-]+$")]
Text = Annotated[str, Form(max_length=200)]
_SITE_ID = r"^[A-Za-z0-9][\w.:-]{0,31}$"


class SiteForm(BaseModel):
    site_id: str = Field(pattern=_SITE_ID)
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(pattern=r"^\d{6,12}$")
    rooms: int = Field(0, ge=0, le=5000)
    beds: int = Field(1, ge=1, le=10)
    address: str = Field("", max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    three_zones: bool = False
    status: str = Field("open", pattern="^(" + "|".join(SITE_STATUSES) + ")$")


class StatusForm(BaseModel):
    status: str = Field(pattern="^(" + "|".join(SITE_STATUSES) + ")$")
    three_zones: bool = False
    seen: str = Field(max_length=60)
    #: the people staying there that the confirmation stated (closing a site where people stay)
    confirm: int | None = Field(None, ge=0, le=10_000_000)


class RoomsForm(BaseModel):
    count: int = Field(ge=1, le=5000)
    beds: int = Field(1, ge=1, le=10)
    seen: int = Field(ge=0, le=10_000_000)


class StaffForm(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(pattern="^(" + "|".join(STAFF_ROLES) + ")$")
    phone: str = Field("", max_length=30, pattern=r"^[\d +()-]*$")
    seen: int = Field(ge=0, le=100_000)


def seen_of(o: capacity.SiteOccupancy) -> str:
    """A site's state as a form carries it: status, 三区两通道."""
    return f"{o.status}|{int(o.three_zones_two_channels)}"


def _shown(o: capacity.SiteOccupancy | None, seen: str, lang: str) -> str:
    status, _, flag = seen.partition("|")
    return (f"{t('site_' + status, lang) if status in SITE_STATUSES else status} · {t('iso_layout', lang)} "
            f"{t('yes' if flag == '1' else 'no', lang)}")


def _occupancy(session, site_id: str) -> capacity.SiteOccupancy:
    found = [o for o in capacity.occupancy(session) if o.site_id == site_id]
    if not found:
        raise NotFound(f"unknown site {site_id!r}", key="rooms_site_unknown", params={"site": site_id})
    return found[0]


def _staff(session, site_id: str) -> list[SiteStaff]:
    return list(session.scalars(select(SiteStaff).join(IsolationSite).where(IsolationSite.site_id == site_id)
                                .order_by(SiteStaff.id)))


def _panel(o: capacity.SiteOccupancy, session, **states) -> dict:
    return {"o": o, "seen": seen_of(o), "staff": _staff(session, o.site_id),
            **{k: states.get(k) or FormState() for k in ("status", "rooms", "staffer")},
            "confirm": states.get("confirm")}


def _context(request: Request, session, new: FormState | None = None) -> dict:
    lang = lang_of(request)
    return {"lang": lang, "new": new or FormState(), "statuses": SITE_STATUSES, "roles": STAFF_ROLES,
            "panels": [_panel(o, session) for o in capacity.occupancy(session)]}


@router.get("/isolation/sites", response_class=HTMLResponse)
def sites_page(request: Request, session: SessionDep):
    return templates.TemplateResponse(request, "forms/sites.html", _context(request, session))


@router.post("/isolation/sites/new", response_class=HTMLResponse)
def add_site(request: Request, session: SessionDep, site_id: Text = "", name: Text = "", jurisdiction: Text = "",
             rooms: Text = "", beds: Text = "", address: Text = "", lat: Text = "", lon: Text = "",
             three_zones: Text = "", status: Text = ""):
    """HTMX: a site with its rooms (sites.add_site, audited)."""
    lang = lang_of(request)
    form, state = parse(SiteForm, {"site_id": site_id, "name": name, "jurisdiction": jurisdiction, "rooms": rooms,
                                   "beds": beds, "address": address, "lat": lat, "lon": lon,
                                   "three_zones": three_zones, "status": status}, lang)
    if form is not None:
        try:
            sites.add_site(session, form.site_id, name=form.name, jurisdiction=form.jurisdiction, lat=form.lat,
                           lon=form.lon, address=form.address or None, three_zones_two_channels=form.three_zones,
                           status=form.status, rooms=form.rooms, beds=form.beds)
            state = FormState(done=form.site_id)
        except FangkongError as exc:
            session.rollback()
            old = session.scalar(select(IsolationSite).where(IsolationSite.site_id == form.site_id))
            if isinstance(exc, Conflict) and old is not None:
                state.stale = [(form.site_id, t("rooms_no_room", lang), f"{old.name} · {old.jurisdiction}")]
            else:
                state.errors["jurisdiction"] = refusal_text(exc, lang)
    return render_form(request, "forms/sites_body.html", _context(request, session, state), state=state)


def _answer(request, session, site_id: str, name: str, state: FormState, confirm: dict | None = None):
    lang = lang_of(request)
    ctx = {"lang": lang, "statuses": SITE_STATUSES, "roles": STAFF_ROLES,
           "p": _panel(_occupancy(session, site_id), session, **{name: state}, confirm=confirm)}
    return render_form(request, "forms/site_panel.html", ctx, state=state)


@router.post("/isolation/sites/{site_id}/status", response_class=HTMLResponse)
def set_status(request: Request, session: SessionDep, site_id: SiteId, status: Text = "", three_zones: Text = "",
               seen: Text = "", confirm: Text = ""):
    """HTMX: a site opened, closed or prepared, its 三区两通道 flag set (sites.update_site). Closing a site where
    people stay is confirmed first, on a panel that says how many; a count changed since is shown, not acted on."""
    lang = lang_of(request)
    form, state = parse(StatusForm, {"status": status, "three_zones": three_zones, "seen": seen,
                                     "confirm": confirm}, lang)
    o = _occupancy(session, site_id)
    if form is None:
        return _answer(request, session, site_id, "status", state)
    if seen_of(o) != form.seen:
        state.stale = [(t("iso_site", lang), _shown(o, form.seen, lang), _shown(o, seen_of(o), lang))]
        return _answer(request, session, site_id, "status", state)
    closing = form.status == SiteStatus.CLOSED and o.status != SiteStatus.CLOSED and o.persons > 0
    if closing and form.confirm is None:   # say what it does, and ask
        return _answer(request, session, site_id, "status", state,
                       confirm={"persons": o.persons, "status": form.status, "three_zones": form.three_zones})
    if closing and form.confirm != o.persons:
        state.stale = [(t("sitef_persons", lang), str(form.confirm), str(o.persons))]
        return _answer(request, session, site_id, "status", state)
    try:
        sites.update_site(session, sites.get_site(session, site_id), status=form.status,
                          three_zones_two_channels=form.three_zones)
        session.flush()
        state = FormState(done=form.status)
    except FangkongError as exc:
        session.rollback()
        state.refusal = refusal_text(exc, lang)
    return _answer(request, session, site_id, "status", state)


@router.post("/isolation/sites/{site_id}/rooms", response_class=HTMLResponse)
def add_rooms(request: Request, session: SessionDep, site_id: SiteId, count: Text = "", beds: Text = "",
              seen: Text = ""):
    """HTMX: rooms added after the site's last number (sites.add_rooms); rooms added by someone else since the page
    showed the count are shown, not added a second time."""
    lang = lang_of(request)
    form, state = parse(RoomsForm, {"count": count, "beds": beds, "seen": seen}, lang)
    o = _occupancy(session, site_id)
    if form is not None:
        if o.rooms != form.seen:
            state.stale = [(t("sitef_rooms_n", lang), str(form.seen), str(o.rooms))]
        else:
            try:
                added = sites.add_rooms(session, sites.get_site(session, site_id), form.count, beds=form.beds)
                state = FormState(done=added)
            except FangkongError as exc:
                session.rollback()
                state.errors["count"] = refusal_text(exc, lang)
    return _answer(request, session, site_id, "rooms", state)


@router.post("/isolation/sites/{site_id}/staff", response_class=HTMLResponse)
def add_staff(request: Request, session: SessionDep, site_id: SiteId, name: Text = "", role: Text = "",
              phone: Text = "", seen: Text = ""):
    """HTMX: a staff member added (sites.add_staff); staff added by someone else since are shown first."""
    lang = lang_of(request)
    form, state = parse(StaffForm, {"name": name, "role": role, "phone": phone, "seen": seen}, lang)
    _occupancy(session, site_id)
    if form is not None:
        have = session.scalar(select(func.count(SiteStaff.id)).join(IsolationSite)
                              .where(IsolationSite.site_id == site_id)) or 0
        if have != form.seen:
            state.stale = [(t("iso_staff", lang), str(form.seen),
                            f"{have}: " + "、".join(s.name for s in _staff(session, site_id)[-5:]))]
        else:
            try:
                sites.add_staff(session, sites.get_site(session, site_id), name=form.name, role=form.role,
                                phone=form.phone or None)
                session.flush()
                state = FormState(done=form.name)
            except FangkongError as exc:
                session.rollback()
                state.errors["role"] = refusal_text(exc, lang)
    return _answer(request, session, site_id, "staffer", state)


__all__ = ["router", "seen_of"]
