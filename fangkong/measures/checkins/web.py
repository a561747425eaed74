"""The daily check-in page: a person opens their personal link on a phone and reports temperature and symptoms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from fangkong.db.core import utcnow
from fangkong.errors import Conflict, InvalidInput
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures import service
from fangkong.measures.checkins import service as checkins
from fangkong.measures.models import MeasureStatus
from fangkong.protocol.checkins import SYMPTOMS
from fangkong.protocol.idnumber import mask_name

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=64, pattern=r"^[\w.-]+$")]


def _page(request: Request, session, settings, m, *, error: str | None = None, status: int = 200):
    lang = lang_of(request)
    day = utcnow().astimezone(settings.zone).date()
    active = m.status == MeasureStatus.ACTIVE and m.kind != service.TEMPORARY_CONTROL
    return templates.TemplateResponse(request, "checkin.html", {
        "lang": lang, "measure": m, "name": mask_name(m.person.name) if m.person.name else m.person.person_id,
        "report": checkins.today_report(session, m, day), "active": active, "symptoms": SYMPTOMS, "error": error},
        status_code=status)


@router.get("/checkin/{token}", response_class=HTMLResponse)
def checkin_page(request: Request, session: SessionDep, settings: SettingsDep, token: Token):
    return _page(request, session, settings, checkins.measure_for_link(session, token, settings.secret_key))


@router.post("/checkin/{token}", response_class=HTMLResponse)
def checkin_submit(request: Request, session: SessionDep, settings: SettingsDep, token: Token,
                   temperature: Annotated[str, Form(max_length=10)] = "",
                   symptoms: Annotated[list[str], Form(max_length=20)] = None):  # noqa: B006 - FastAPI form default
    m = checkins.measure_for_link(session, token, settings.secret_key)
    try:
        value = float(temperature.replace(",", ".")) if temperature.strip() else None
    except ValueError:
        lang = lang_of(request)
        return _page(request, session, settings, m, status=422, error=t("val_number", lang).format(
            field=t("field_temperature", lang), input=temperature[:10]))
    try:
        checkins.record(session, m, temperature=value, symptoms=list(symptoms or [])[:20], at=utcnow(),
                        tz=settings.zone)
    except (InvalidInput, Conflict) as exc:  # shown on the form, in the person's own page
        lang = lang_of(request)
        error = t(exc.key, lang).format(**exc.params) if exc.key else exc.message
        return _page(request, session, settings, m, error=error, status=exc.status_code)
    return _page(request, session, settings, m)
