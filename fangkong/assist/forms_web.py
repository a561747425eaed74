"""Assistance-request forms (协查): the requests list; an inbound request entered from the issuer's letter
(epidemiologist: assist.service.receive, as `fangkong assist receive` and POST /api/assist/requests), confirmed
on a preview that says how many of its people match registered persons and will be placed at once; on a
request's page the issuer's withdrawal of one person or of all of them (assist.service.withdraw, the latter after
a confirmation of whom it releases) and each person's outcome at the door (verifier: assist.service.
record_outcome). Each form carries what the page showed: a person withdrawn or checked meanwhile is shown, not
changed again."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from fangkong.assist import service
from fangkong.assist.models import OUTCOMES, AssistPerson, AssistRequest
from fangkong.cases import service as case_service
from fangkong.db.core import utcnow
from fangkong.db.scope import scope_of
from fangkong.errors import FangkongError, NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.protocol import idnumber
from fangkong.protocol.assist import stated_category
from fangkong.protocol.times import Happened

router = APIRouter(include_in_schema=False)
RequestNo = Annotated[str, Path(max_length=20, pattern=r"^[\w-]+$")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=64)]
Long = Annotated[str, Form(max_length=500)]
ROWS = Annotated[list[str], Form(max_length=500)]
BLANK = 3
templates.env.globals["outcome_options"] = lambda lang: [(o, t(f"assist_o_{o}", lang)) for o in OUTCOMES]
_PHONE = re.compile(r"^1\d{10}$")


class RequestForm(BaseModel):
    ref: str = Field(min_length=1, max_length=64)
    issuer: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)
    confirm: bool = False


class PersonForm(BaseModel):
    name: str | None = Field(None, max_length=100)
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=11)
    last_exposure_at: Happened | None = None
    category: str | None = Field(None, pattern=f"^({'|'.join(service.CATEGORIES)})$")


class OutboundForm(BaseModel):
    case_id: str = Field(min_length=1, max_length=20, pattern=r"^[\w-]+$")
    home: str = Field(pattern=r"^\d{2,12}$")
    seen: int | None = Field(None, ge=0, le=1_000_000)
    confirm: bool = False


class WithdrawForm(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    seen: int = Field(ge=0, le=100_000)
    confirm: bool = False


class OutcomeForm(BaseModel):
    outcome: str = Field(pattern=f"^({'|'.join(OUTCOMES)})$")
    at: Happened | None = None
    note: str | None = Field(None, max_length=500)
    seen: str = Field("", max_length=20)


def _persons(rows: list[dict], settings, lang: str) -> tuple[list[service.PersonIn], dict[str, str]]:
    """The typed people (an empty row is skipped) and each row's errors ("phone-1"), in the page's language."""
    out, errors = [], {}
    for i, row in enumerate(rows):
        if not any(str(v).strip() for v in row.values()):
            continue
        form, state = parse(PersonForm, row, lang)
        if form is None:
            errors.update({f"{k}-{i}": v for k, v in state.errors.items()})
            continue
        p = service.clean_person(service.PersonIn(name=form.name, id_number=form.id_number, phone=form.phone,
                                                  last_exposure_at=zoned(form.last_exposure_at, settings.zone),
                                                  category=form.category))
        if not p.id_number and not p.phone:
            errors[f"id_number-{i}"] = t("assist_id_or_phone", lang)
        elif p.id_number and not idnumber.is_valid(p.id_number):
            errors[f"id_number-{i}"] = t("assist_bad_id", lang)
        elif p.phone and not _PHONE.match(p.phone):
            errors[f"phone-{i}"] = t("assist_bad_phone", lang)
        else:
            out.append(p)
    return out, errors


def _typed(**cols: list[str]) -> list[dict]:
    n = max(len(v) for v in cols.values())
    return [{k: (v[i] if i < len(v) else "") for k, v in cols.items()} for i in range(min(n, 500))]


@router.get("/assist", response_class=HTMLResponse)
def requests_page(request: Request, session: SessionDep):
    return templates.TemplateResponse(request, "forms/assist_list.html", {
        "lang": lang_of(request), "requests": service.list_requests(session, limit=200)})


def _new_context(lang: str, state: FormState, rows: list[dict] | None = None,
                 outbound: FormState | None = None) -> dict:
    rows = [r for r in rows or [] if any(str(v).strip() for v in r.values())]
    blank = {"name": "", "id_number": "", "phone": "", "last_exposure_at": "", "category": ""}
    return {"lang": lang, "state": state, "rows": rows + [blank] * BLANK, "categories": service.CATEGORIES,
            "outbound": outbound or FormState()}


@router.post("/assist/outbound", response_class=HTMLResponse)
def outbound(request: Request, session: SessionDep, case_id: Text = "", home: Text = "", seen: Text = "",
             confirm: Text = ""):
    """HTMX: requests to other jurisdictions for a case's risk persons living outside ours (assist.service.
    outbound_for_case, as POST /api/assist/cases/{id}/outbound): the first submission states whom it pushes
    where, the confirmation sends them; a number changed since the preview is shown, not sent."""
    lang = lang_of(request)
    form, state = parse(OutboundForm, {"case_id": case_id, "home": home, "seen": seen, "confirm": confirm}, lang)
    if form is not None:
        try:
            case = case_service.get_case(session, form.case_id)
            groups, pushed = service.outbound_groups(session, case, home=form.home)
            n = sum(len(v) for v in groups.values())
            if form.confirm and form.seen is not None and form.seen != n:
                state.stale = [(t("assist_to_push", lang), str(form.seen), str(n))]
            elif form.confirm:
                reqs = service.outbound_for_case(session, case, home=form.home, now=utcnow())
                state = FormState(done=[r.request_no for r in reqs])
            else:
                state.values.update(confirming=True, effect={
                    "n": n, "places": len([k for k in groups if k]), "phones": len(groups.get("", [])),
                    "before": len(pushed)}, seen=str(n))
        except FangkongError as exc:
            session.rollback()
            state.errors["case_id" if exc.status_code == 404 else "home"] = refusal_text(exc, lang)
    return render_form(request, "forms/assist_outbound.html", {"lang": lang, "outbound": state}, state=state)


@router.get("/assist/new", response_class=HTMLResponse)
def new_page(request: Request):
    return templates.TemplateResponse(request, "forms/assist_new.html", _new_context(lang_of(request), FormState()))


@router.post("/assist/new", response_class=HTMLResponse)
def receive(request: Request, session: SessionDep, settings: SettingsDep, ref: Text = "", issuer: Text = "",
            reason: Long = "", confirm: Text = "", name: ROWS = (), id_number: ROWS = (), phone: ROWS = (),
            last_exposure_at: ROWS = (), category: ROWS = ()):
    """HTMX: an inbound request. The first submission states its effect (people, matched, placed at once); the
    confirmation receives it (assist.service.receive, audited)."""
    lang = lang_of(request)
    rows = _typed(name=list(name), id_number=list(id_number), phone=list(phone),
                  last_exposure_at=list(last_exposure_at), category=list(category))
    form, state = parse(RequestForm, {"ref": ref, "issuer": issuer, "reason": reason, "confirm": confirm}, lang)
    persons, errors = _persons(rows, settings, lang)
    state.errors.update(errors)
    if not persons and not errors:
        state.errors["name-0"] = t("assist_no_person", lang)
    if form is not None and not state.errors:
        if form.confirm:
            try:
                req = service.receive(session, ref=form.ref, issuer=form.issuer, reason=form.reason, persons=persons,
                                      now=utcnow(), source="web")
                state, rows = FormState(done=req), []
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
        else:
            matched = [p for p in persons if service.match_person(session, p) is not None]
            placed = sum(1 for p in matched if p.category or stated_category(form.reason))
            state.values.update(confirming=True, effect={"n": len(persons), "matched": len(matched),
                                                         "placed": placed,
                                                         "category": stated_category(form.reason) or ""})
    return render_form(request, "forms/assist_receive.html", _new_context(lang, state, rows), state=state)


def _request_context(request: Request, session, req: AssistRequest, **states) -> dict:
    live = [p for p in req.persons if p.withdrawn_at is None]
    # a district's user sees the rows of his own communities only, as the API's export gives them: another
    # district's persons (even masked) and the rows no community holds yet are not his to see
    prefix = scope_of(session)
    persons = [p for p in req.persons if not prefix or (p.community or "").startswith(prefix)]
    return {"lang": lang_of(request), "req": req, "persons": persons, "live": len(live),
            "obligations": sum(1 for p in live if service.obligation_of(session, p) is not None),
            "open_checks": sum(1 for p in live if p.outcome is None),
            "all": states.get("all") or FormState(), "rows": states.get("rows") or {}}


@router.get("/assist/requests/{request_no}", response_class=HTMLResponse)
def request_page(request: Request, session: SessionDep, request_no: RequestNo):
    req = service.get_request(session, request_no)
    return templates.TemplateResponse(request, "forms/assist_request.html", _request_context(request, session, req))


@router.post("/assist/requests/{request_no}/withdraw", response_class=HTMLResponse)
def withdraw_all(request: Request, session: SessionDep, request_no: RequestNo, reason: Long = "", seen: Text = "",
                 confirm: Text = ""):
    """HTMX: the issuer withdrew the whole request: the first submission states whom it releases (their
    obligations from the request withdrawn, open door checks cancelled), the confirmation does it."""
    lang = lang_of(request)
    req = service.get_request(session, request_no)
    form, state = parse(WithdrawForm, {"reason": reason, "seen": seen, "confirm": confirm}, lang)
    if form is not None:
        live = sum(1 for p in req.persons if p.withdrawn_at is None)
        if live != form.seen:
            state.stale = [(t("assist_live", lang), str(form.seen), str(live))]
        elif form.confirm:
            try:
                state = FormState(done=len(service.withdraw(session, req, at=utcnow(), reason=form.reason)))
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
            req = service.get_request(session, request_no)
        else:
            state.values["confirming"] = True
    return render_form(request, "forms/assist_body.html", _request_context(request, session, req, all=state),
                       state=state)


def _row_stale(row: AssistPerson, seen: str, lang: str) -> list[tuple[str, str, str]]:
    now = "withdrawn" if row.withdrawn_at else (row.outcome or "")
    if now == seen:
        return []
    word = lambda v: t("assist_withdrawn", lang) if v == "withdrawn" else t(f"assist_o_{v}", lang) if v \
        else t("assist_open", lang)  # noqa: E731
    return [(t("assist_person", lang), word(seen), word(now))]


def _row_of(session, request_no: str, row_id: int) -> AssistPerson:
    row = service.get_person_row(session, row_id)
    if row.request.request_no != request_no:
        raise NotFound(f"request {request_no} has no person {row_id}", key="err_assist_no_row", params={"request": request_no, "row": row_id})
    return row


@router.post("/assist/requests/{request_no}/persons/{row_id}/withdraw", response_class=HTMLResponse)
def withdraw_one(request: Request, session: SessionDep, request_no: RequestNo, row_id: RowId, reason: Long = "",
                 seen: Text = ""):
    """HTMX: the issuer withdrew one person of the request (sent by mistake)."""
    lang = lang_of(request)
    row = _row_of(session, request_no, row_id)
    form, state = parse(WithdrawForm, {"reason": reason, "seen": "0", "confirm": "1"}, lang)
    if form is not None:
        if changed := _row_stale(row, seen, lang):
            state.stale = changed
        else:
            try:
                service.withdraw(session, row.request, at=utcnow(), reason=form.reason, row_id=row.id)
                state = FormState(done="withdraw")
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
            row = service.get_person_row(session, row_id)
    return render_form(request, "forms/assist_row.html", {"lang": lang, "req": row.request, "p": row,
                                                          "s": state, "which": "withdraw"}, state=state)


@router.post("/assist/requests/{request_no}/persons/{row_id}/outcome", response_class=HTMLResponse)
def outcome(request: Request, session: SessionDep, settings: SettingsDep, request_no: RequestNo, row_id: RowId,
            outcome: Text = "", at: Text = "", note: Long = "", seen: Text = ""):
    """HTMX: what the community found at the door (assist.service.record_outcome): closes the door check."""
    lang = lang_of(request)
    row = _row_of(session, request_no, row_id)
    form, state = parse(OutcomeForm, {"outcome": outcome, "at": at, "note": note, "seen": seen}, lang)
    if form is not None:
        when = zoned(form.at, settings.zone) or utcnow()
        if changed := _row_stale(row, form.seen, lang):
            state.stale = changed
        elif when > utcnow():
            state.errors["at"] = t("rooms_future", lang)
        else:
            try:
                service.record_outcome(session, row, form.outcome, at=when, note=form.note,
                                       jurisdiction=session.info.get("scope") or None, tz=settings.zone)
                state = FormState(done=local(when))
            except FangkongError as exc:
                session.rollback()
                state.refusal = refusal_text(exc, lang)
            row = service.get_person_row(session, row_id)
    return render_form(request, "forms/assist_row.html", {"lang": lang, "req": row.request, "p": row, "s": state,
                                                          "which": "outcome"}, state=state)


__all__ = ["router"]
