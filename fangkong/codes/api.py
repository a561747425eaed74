"""HTTP routes of health codes: the colour check every gate and app calls, and venue-code scans.

Both are the busiest endpoints, so they run on the event loop and answer from the code cache
(codes/cache.py); only a cache miss reads the records, in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fangkong.codes import scans, twocode
from fangkong.codes.cache import code_book
from fangkong.codes.schemas import CodeRead, ScanIn, ScanRead, TwoCodeIn, TwoCodeRead
from fangkong.db.core import utcnow
from fangkong.deps import SessionDep, SettingsDep
from fangkong.lake.queries import Lake
from fangkong.settings import get_settings
from fangkong.lake.append import visit_log
from fangkong.protocol.edition import load_edition

router = APIRouter(tags=["health codes"])


@router.get("/api/persons/{person_id}/code", response_model=CodeRead)
async def person_code(person_id: Annotated[str, Path(max_length=64)]):
    """A person's colour now, why, and when it next changes."""
    settings = get_settings()   # not a dependency: a sync dependency costs a worker-thread hop per request
    book = code_book(settings.database_url, settings.edition, settings.tz)
    v = (await scans.code_of(book, person_id, utcnow())).code
    return CodeRead(person_id=v.person_id, colour=v.colour, reasons=v.reasons, changes_at=v.changes_at,
                    computed_at=v.computed_at)


@router.post("/api/scans", response_model=ScanRead, status_code=201)
async def scan(body: ScanIn):
    """A venue-code scan: answered with the person's colour and whether they may enter, and logged to the
    lake (every trace reads it); unknown person or venue → 404 and nothing logged."""
    settings = get_settings()
    a = await scans.record_scan(code_book(settings.database_url, settings.edition, settings.tz),
                                visit_log(settings.lake, settings.tz), person_id=body.person_id,
                                venue_id=body.venue_id, at=body.at, now=utcnow(),
                                edition=load_edition(settings.edition), tz=settings.zone)
    return ScanRead(person_id=a.person_id, venue_id=a.venue_id, at=a.at, colour=a.colour,
                    entry_allowed=a.entry_allowed, reasons=a.reasons)


@router.post("/api/two-code-checks", response_model=TwoCodeRead)
def two_code_check(session: SessionDep, settings: SettingsDep, body: TwoCodeIn):
    """验双码 at a transport hub: health code + travel card (14 days of carrier data) + a negative test
    within 48 h; `passed` with the reasons it failed."""
    now = utcnow()
    r = twocode.two_code_check(session, Lake.from_settings(settings, body.at or now), body.person_id, at=body.at,
                               now=now, edition=load_edition(settings.edition), tz=settings.zone)
    return TwoCodeRead(**vars(r))
