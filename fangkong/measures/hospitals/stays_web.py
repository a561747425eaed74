"""Admission and discharge forms (isolation / hospital manager, admin; issue 26): each case waiting for a bed admitted
to a designated hospital (hospitals.admit, as `fangkong hospitals admit`), each case in hospital discharged with its
last samples (hospitals.discharge, as `fangkong hospitals discharge`): the edition's criteria decide, and a refusal is
shown in the row in the user's language. Each row carries what the page showed: a case admitted or discharged by
someone else meanwhile is shown with what it is now, not admitted or discharged twice. Audited by the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import exists, select

from fangkong.cases import service as case_service
from fangkong.cases.models import Case, CaseStatus
from fangkong.db.core import utcnow
from fangkong.errors import FangkongError, InvalidInput, NotFound
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.forms import FormState, local, parse, refusal_text, render_form, zoned
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import HospitalAdmission
from fangkong.protocol.hospitals import DischargeSample
from fangkong.protocol.times import Happened

router = APIRouter(include_in_schema=False)
ROWS = 50  # the earliest first
CaseNo = Annotated[str, Path(max_length=20, pattern=r"^[\w-]+$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=40)]


class AdmitForm(BaseModel):
    hospital_id: str = Field(min_length=1, max_length=32)
    negative_pressure: bool = False
    at: Happened | None = None


class DischargeForm(BaseModel):
    at: Happened | None = None
    sample1_at: Happened | None = None
    sample1_ct: str = Field("", max_length=10)
    sample2_at: Happened | None = None
    sample2_ct: str = Field("", max_length=10)


def _waiting(session) -> list[Case]:
    """Cases (not ruled out) never admitted, the earliest reported first."""
    admitted = exists().where(HospitalAdmission.case_fk == Case.id)
    return list(session.scalars(select(Case).where(Case.status != CaseStatus.RULED_OUT, ~admitted)
                                .order_by(Case.reported_at, Case.id).limit(ROWS)))


def _in_hospital(session) -> list[HospitalAdmission]:
    return list(session.scalars(select(HospitalAdmission).where(HospitalAdmission.discharged_at.is_(None))
                                .order_by(HospitalAdmission.admitted_at, HospitalAdmission.id).limit(ROWS)))


def _beds(session) -> list:
    return [b for b in hospitals.hospital_beds(session) if b.hospital.designated]


def _context(request: Request, session) -> dict:
    return {"lang": lang_of(request), "beds": _beds(session),
            "waiting": [{"c": c, "state": FormState()} for c in _waiting(session)],
            "stays": [{"a": a, "state": FormState()} for a in _in_hospital(session)]}


@router.get("/isolation/admissions", response_class=HTMLResponse)
def admissions_page(request: Request, session: SessionDep):
    return templates.TemplateResponse(request, "forms/admissions.html", _context(request, session))


def _admitted(session, case: Case, lang: str) -> list[tuple[str, str, str]]:
    """What changed since the page showed the case waiting: it has been admitted (and maybe discharged)."""
    stay = session.scalar(select(HospitalAdmission).where(HospitalAdmission.case_fk == case.id)
                          .order_by(HospitalAdmission.admitted_at.desc()).limit(1))
    if stay is None:
        return []
    now = f"{stay.hospital.hospital_id} {local(stay.admitted_at)}" + (
        f" · {t('adm_discharged_at', lang)} {local(stay.discharged_at)}" if stay.discharged_at else "")
    return [(t("adm_in_hospital", lang), t("rooms_no_room", lang), now)]


@router.post("/isolation/admissions/{case_id}/admit", response_class=HTMLResponse)
def admit(request: Request, session: SessionDep, settings: SettingsDep, case_id: CaseNo, hospital_id: Text = "",
          negative_pressure: Text = "", at: Text = ""):
    """HTMX: a case admitted to a designated hospital (hospitals.admit: closes its transfer task)."""
    lang = lang_of(request)
    case = case_service.get_case(session, case_id)
    form, state = parse(AdmitForm, {"hospital_id": hospital_id, "negative_pressure": negative_pressure, "at": at},
                        lang)
    if form is not None:
        now = utcnow()
        when = zoned(form.at, settings.zone) or now
        if changed := _admitted(session, case, lang):
            state.stale = changed
        elif when > now:
            state.errors["at"] = t("rooms_future", lang)
        else:
            try:
                hospital = hospitals.get_hospital(session, form.hospital_id)
                hospitals.admit(session, case, hospital, at=when, negative_pressure=form.negative_pressure)
                state = FormState(done=hospital.hospital_id)
            except FangkongError as exc:
                session.rollback()
                case = case_service.get_case(session, case_id)
                if changed := _admitted(session, case, lang):
                    state.stale = changed
                elif isinstance(exc, InvalidInput):
                    state.errors["at"] = refusal_text(exc, lang)
                else:
                    state.errors["hospital_id"] = refusal_text(exc, lang)
    return render_form(request, "forms/adm_wait_row.html",
                       {"lang": lang, "r": {"c": case, "state": state}, "beds": _beds(session)}, state=state)


def _ct(text: str) -> float | None:
    value = text.strip().lower()
    return None if value in ("none", "-", "无") else float(value)


def _samples(form: DischargeForm, zone, lang: str, state: FormState) -> list[DischargeSample]:
    """The samples typed (a time and a Ct each; both or neither), errors beside the fields."""
    out = []
    for n in (1, 2):
        when, ct = getattr(form, f"sample{n}_at"), getattr(form, f"sample{n}_ct").strip()
        if when is None and not ct:
            continue
        if when is None:
            state.errors[f"sample{n}_at"] = t("val_missing", lang).format(field=t(f"field_sample{n}_at", lang))
            continue
        try:
            out.append(DischargeSample(zoned(when, zone), _ct(ct)))
        except ValueError:
            state.errors[f"sample{n}_ct"] = t("adm_ct_bad", lang)
    return out


@router.post("/isolation/admissions/stay/{stay_id}/discharge", response_class=HTMLResponse)
def discharge(request: Request, session: SessionDep, settings: SettingsDep, stay_id: Id, at: Text = "",
              sample1_at: Text = "", sample1_ct: Text = "", sample2_at: Text = "", sample2_ct: Text = ""):
    """HTMX: a case discharged (hospitals.discharge): the edition's criteria over the samples typed decide; its
    post-discharge monitoring starts and its code follows."""
    lang = lang_of(request)
    stay = session.scalar(select(HospitalAdmission).where(HospitalAdmission.id == stay_id))  # scoped, or none
    if stay is None:
        raise NotFound(f"no hospital stay {stay_id}")
    form, state = parse(DischargeForm, {"at": at, "sample1_at": sample1_at, "sample1_ct": sample1_ct,
                                        "sample2_at": sample2_at, "sample2_ct": sample2_ct}, lang)
    if form is not None:
        now = utcnow()
        when = zoned(form.at, settings.zone) or now
        samples = _samples(form, settings.zone, lang, state)
        if stay.discharged_at is not None:
            state.stale = [(t("adm_discharged_at", lang), t("rooms_not_yet", lang), local(stay.discharged_at))]
        elif when > now:
            state.errors["at"] = t("rooms_future", lang)
        elif not state.errors:
            try:
                hospitals.discharge(session, stay.case, at=when, samples=samples)
                state = FormState(done=local(when))
            except FangkongError as exc:
                session.rollback()
                stay = session.scalar(select(HospitalAdmission).where(HospitalAdmission.id == stay_id))
                if stay.discharged_at is not None:
                    state.stale = [(t("adm_discharged_at", lang), t("rooms_not_yet", lang),
                                    local(stay.discharged_at))]
                else:
                    state.refusal = refusal_text(exc, lang)
    return render_form(request, "forms/adm_stay_row.html", {"lang": lang, "r": {"a": stay, "state": state}},
                       state=state)


__all__ = ["router"]
