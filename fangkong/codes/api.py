"""HTTP routes of health codes: the colour check every gate and app calls, and venue-code scans.

Both are the busiest endpoints, so they run on the event loop and answer from the code cache
(codes/cache.py); only a cache miss reads the records, in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from fangkong.codes import scans, twocode
from fangkong.codes.cache import code_book
from fangkong.codes.schemas import CodeRead, ScanIn, ScanRead, TwoCodeIn, TwoCodeRead
from fangkong.db.core import utcnow
from fangkong.deps import SessionDep, SettingsDep
from fangkong.lake.append import visit_log
from fangkong.lake.queries import Lake
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings

router = APIRouter(tags=["health codes"])
_LIMITED = {429: {"description": "Too many requests from this client (FANGKONG_RATE_LIMIT, fangkong/edge.py); "
                        "see Retry-After"}}


@router.get("/api/persons/{person_id}/code", response_model=CodeRead, responses=_LIMITED)
async def person_code(person_id: Annotated[str, Path(max_length=64)]):
    """A person's colour now, why, and when it next changes."""
    settings = get_settings()   # not a dependency: a sync dependency costs a worker-thread hop per request
    book = code_book(settings.database_url, settings.edition, settings.tz)
    v = (await scans.code_of(book, person_id, utcnow())).code
    # built once and serialised directly (the response model documents it): this route is hot
    return _json(CodeRead(person_id=v.person_id, colour=v.colour, reasons=v.reasons, changes_at=v.changes_at,
                          computed_at=v.computed_at), 200)


@router.post("/api/scans", response_model=ScanRead, status_code=201, responses=_LIMITED,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": ScanIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}})
async def scan(request: Request):
    """A venue-code scan: answered with the person's colour and whether they may enter, and logged to the
    lake (every trace reads it); unknown person or venue → 404 and nothing logged."""
    settings = get_settings()
    try:   # validated here rather than by a body parameter: a third less work on the busiest route
        body = ScanIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    a = await scans.record_scan(code_book(settings.database_url, settings.edition, settings.tz),
                                visit_log(settings.lake, settings.tz), person_id=body.person_id,
                                venue_id=body.venue_id, at=body.at, now=utcnow(),
                                edition=load_edition(settings.edition), tz=settings.zone)
    return _json(ScanRead(person_id=a.person_id, venue_id=a.venue_id, at=a.at, colour=a.colour,
                          entry_allowed=a.entry_allowed, reasons=a.reasons), 201)


def _json(model: BaseModel, status: int) -> Response:
    return Response(model.__pydantic_serializer__.to_json(model), status_code=status, media_type="application/json")


@router.post("/api/two-code-checks", response_model=TwoCodeRead)
def two_code_check(session: SessionDep, settings: SettingsDep, body: TwoCodeIn):
    """验双码 at a transport hub: health code + travel card (14 days of carrier data) + a negative test
    within 48 h; `passed` with the reasons it failed."""
    now = utcnow()
    r = twocode.two_code_check(session, Lake.from_settings(settings, body.at or now), body.person_id, at=body.at,
                               now=now, edition=load_edition(settings.edition), tz=settings.zone)
    return TwoCodeRead(**vars(r))
