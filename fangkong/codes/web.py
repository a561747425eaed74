"""The citizen's own page (/me): their health code's colour now, why, and when it next changes; their latest test
results; and, under a measure that asks for one, today's check-in (issue 25: a citizen lands here after signing
in, not on a refusal). Served on the public listener too (`fangkong serve --public-port`, docs/security.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.codes import scans
from fangkong.codes import service as codes
from fangkong.codes.cache import code_book
from fangkong.db.core import utcnow
from fangkong.db.scope import current_principal
from fangkong.errors import Forbidden
from fangkong.kit.deps import SessionDep
from fangkong.kit.webkit import lang_of, page_now, past_day, templates
from fangkong.measures import obligations
from fangkong.measures import service as measures
from fangkong.measures.checkins import service as checkins
from fangkong.measures.models import Measure
from fangkong.people.models import Person
from fangkong.protocol.edition import load_edition
from fangkong.protocol.measures import strictness
from fangkong.settings import Settings, get_settings
from fangkong.testing import service as testing

router = APIRouter(include_in_schema=False)


def _mine(session: Session, person_id: str, settings: Settings, at: datetime | None = None) -> dict:
    """The person's latest test results and their check-in for today (a link, and whether it is done); `at`
    (a past day's end, the header's day control): the results known by then and that day's check-in under the
    measure in force then (measures.obligations.in_force), with no link (a past day's check-in cannot be made)."""
    person = session.scalar(select(Person).where(Person.person_id == person_id))
    if person is None:
        return {"tests": [], "checkin": None}
    checkin = None
    if at is None:
        held = measures.all_active(session, [person.id]).get(person.id, [])
    else:
        ids = [o.measure_id for o in obligations.in_force(session, [person.id], at)[person.id]
               if o.kind == "measure" and o.measure_id is not None]
        held = sorted(session.scalars(select(Measure).where(Measure.id.in_(ids))),
                      key=lambda m: (strictness(m.kind), -m.end_at.timestamp(), m.id)) if ids else []
    for m in held:
        if m.kind != measures.TEMPORARY_CONTROL:
            day = (at - timedelta(microseconds=1) if at else utcnow()).astimezone(settings.zone).date()
            report = checkins.today_report(session, m, day)
            checkin = {"measure": m.kind, "end_at": m.end_at, "done_at": report.at if report else None,
                       "link": checkins.link_for(m, settings.secret_key) if at is None else None}
            break
    return {"tests": testing.person_results(session, person.id, limit=10, until=at), "checkin": checkin}


@router.get("/me", response_class=HTMLResponse)
async def my_page(request: Request, session: SessionDep):
    principal = current_principal()
    if principal is None or not principal.person_id:
        raise Forbidden("this account is bound to no person", key="err_no_person_bound")
    settings = get_settings()
    if past_day(request) is None:
        v = (await scans.code_of(code_book(settings.database_url, settings.edition, settings.tz),
                                 principal.person_id, utcnow())).code
        at = None
    else:   # a past day (the header's day control): the colour as derived from the records at its end
        at = page_now(request)
        v = await anyio.to_thread.run_sync(lambda: codes.person_code(
            session, principal.person_id, edition=load_edition(settings.edition), now=at, tz=settings.zone))
    mine = await anyio.to_thread.run_sync(_mine, session, principal.person_id, settings, at)
    return templates.TemplateResponse(request, "me.html", {"lang": lang_of(request), "code": v, **mine})
