"""The citizen's own page (/me): their health code's colour now, why, and when it next changes; their latest test
results; and, under a measure that asks for one, today's check-in (issue 25: a citizen lands here after signing
in, not on a refusal). Served on the public listener too (`fangkong serve --public-port`, docs/security.md)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.codes import scans
from fangkong.codes.cache import code_book
from fangkong.db.core import utcnow
from fangkong.db.scope import current_principal
from fangkong.errors import Forbidden
from fangkong.kit.deps import SessionDep
from fangkong.kit.webkit import lang_of, templates
from fangkong.measures import service as measures
from fangkong.measures.checkins import service as checkins
from fangkong.people.models import Person
from fangkong.settings import Settings, get_settings
from fangkong.testing import service as testing

router = APIRouter(include_in_schema=False)


def _mine(session: Session, person_id: str, settings: Settings) -> dict:
    """The person's latest test results and their check-in for today (a link, and whether it is done)."""
    person = session.scalar(select(Person).where(Person.person_id == person_id))
    if person is None:
        return {"tests": [], "checkin": None}
    checkin = None
    for m in measures.all_active(session, [person.id]).get(person.id, []):
        if m.kind != measures.TEMPORARY_CONTROL:
            day = utcnow().astimezone(settings.zone).date()
            report = checkins.today_report(session, m, day)
            checkin = {"measure": m.kind, "end_at": m.end_at, "link": checkins.link_for(m, settings.secret_key),
                       "done_at": report.at if report else None}
            break
    return {"tests": testing.person_results(session, person.id, limit=10), "checkin": checkin}


@router.get("/me", response_class=HTMLResponse)
async def my_page(request: Request, session: SessionDep):
    principal = current_principal()
    if principal is None or not principal.person_id:
        raise Forbidden("this account is bound to no person")
    settings = get_settings()
    v = (await scans.code_of(code_book(settings.database_url, settings.edition, settings.tz), principal.person_id,
                             utcnow())).code
    mine = await anyio.to_thread.run_sync(_mine, session, principal.person_id, settings)
    return templates.TemplateResponse(request, "me.html", {"lang": lang_of(request), "code": v, **mine})
