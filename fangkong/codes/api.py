"""HTTP routes of health codes: a person's code for staff, venue-code scans by venue devices, two-code checks.

Scans and code reads are the busiest endpoints, so they run on the event loop and answer from the code cache
(codes/cache.py); only a cache miss reads the records, in a worker thread. Who scans is read from the code
token the person's phone shows (codes/tokens.py, checked in process), never from a person id in the body;
the device is the venue (auth/devices/service.py, resolved from a per-process cache). A citizen's own routes
are in codes/citizens/api.py.
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from fangkong.codes import scans, twocode
from fangkong.codes.cache import code_book
from fangkong.codes.schemas import CodeRead, DeviceScanIn, DeviceScanRead, TwoCodeIn, TwoCodePass, TwoCodeRead
from fangkong.codes.tokens import read_token
from fangkong.db.core import session_scope, utcnow
from fangkong.db.scope import ANONYMOUS, Principal, bind, current_principal
from fangkong.errors import Forbidden
from fangkong.kit.deps import CurrentUser, SessionDep, SettingsDep
from fangkong.lake.append import visit_log
from fangkong.lake.queries import Lake
from fangkong.people import service as people_service
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings

router = APIRouter(tags=["health codes"])
_LIMITED = {429: {"description": "Too many requests from this client (FANGKONG_RATE_LIMIT, fangkong/edge.py); "
                        "see Retry-After"}}


def _in_scope(principal: Principal, person_id: str) -> None:
    """NotFound unless the person is inside the user's jurisdiction (people/scoping rules, docs/security.md)."""
    with session_scope() as session:
        people_service.get_person(bind(session, principal), person_id)


@router.get("/api/persons/{person_id}/code", response_model=CodeRead, responses=_LIMITED)
async def person_code(person_id: Annotated[str, Path(max_length=64)]):
    """A person's colour now, why, and when it next changes (staff with codes:read, inside their jurisdiction;
    a citizen reads their own at GET /api/me/code)."""
    settings = get_settings()   # not a dependency: a sync dependency costs a worker-thread hop per request
    principal = current_principal() or ANONYMOUS
    if principal.prefix is not None:   # a district's user: only its own people (the city's read from the cache)
        await to_thread.run_sync(_in_scope, principal, person_id)
    book = code_book(settings.database_url, settings.edition, settings.tz)
    v = (await scans.code_of(book, person_id, utcnow())).code
    # built once and serialised directly (the response model documents it): this route is hot
    return _json(CodeRead(person_id=v.person_id, colour=v.colour, reasons=v.reasons, changes_at=v.changes_at,
                          computed_at=v.computed_at), 200)


@router.post("/api/scans", response_model=DeviceScanRead, status_code=201, responses=_LIMITED,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": DeviceScanIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}})
async def scan(request: Request):
    """A venue's device scans a person's health code (`Authorization: Bearer <device token>`, the code token in
    the body): logged to the lake at the device's venue and now (every trace reads it), answered with whether
    to let the person in and the colour only. A forged or expired code token, another venue, a time more than
    5 minutes from now: refused, nothing logged. A citizen scanning a venue code uses POST /api/me/scans."""
    settings = get_settings()
    device = current_principal() or ANONYMOUS
    if device.venue_id is None:
        raise Forbidden("only a venue's device records scans here (a citizen: POST /api/me/scans)")
    try:   # validated here rather than by a body parameter: a third less work on the busiest route
        body = DeviceScanIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    if body.venue_id is not None and body.venue_id != device.venue_id:
        raise Forbidden(f"this device scans at venue {device.venue_id}, not {body.venue_id}")
    now = utcnow()
    person_id = read_token(body.code_token, secret=settings.secret_key, now=now)
    a = await scans.record_scan(code_book(settings.database_url, settings.edition, settings.tz),
                                visit_log(settings.lake, settings.tz), person_id=person_id,
                                venue_id=device.venue_id, at=body.at, now=now,
                                edition=load_edition(settings.edition), tz=settings.zone)
    return _json(DeviceScanRead(venue_id=a.venue_id, at=a.at, colour=a.colour, entry_allowed=a.entry_allowed), 201)


def _json(model: BaseModel, status: int) -> Response:
    return Response(model.__pydantic_serializer__.to_json(model), status_code=status, media_type="application/json")


@router.post("/api/two-code-checks", response_model=TwoCodeRead | TwoCodePass)
def two_code_check(session: SessionDep, settings: SettingsDep, user: CurrentUser, body: TwoCodeIn):
    """验双码 at a transport hub: health code + travel card (14 days of carrier data) + a negative test
    within 48 h. A checkpoint's device sends the person's code token and learns `passed` and the colour only;
    staff with codes:read may name a person (in their jurisdiction) and a past time, and get the reasons, the
    travel card and the test time."""
    now = utcnow()
    staff = user.can("codes:read")
    if body.code_token is not None:
        person_id = read_token(body.code_token, secret=settings.secret_key, now=now)
    elif staff:
        person_id = body.person_id
    else:
        raise Forbidden("a checkpoint reads the person's health-code token (code_token), never a person id")
    at = body.at if staff else scans.scan_time(body.at, now, settings.zone, "check")
    r = twocode.two_code_check(session, Lake.from_settings(settings, at or now), person_id, at=at, now=now,
                               edition=load_edition(settings.edition), tz=settings.zone)
    if not staff:
        return TwoCodePass(at=r.at, passed=r.passed, colour=r.colour)
    return TwoCodeRead(**vars(r))
