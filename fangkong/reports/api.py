"""HTTP routes of reports: the daily bulletin as figures and text, as issued; issuing it and its corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from fangkong.db.core import utcnow
from fangkong.kit.deps import LangDep, SessionDep, SettingsDep
from fangkong.protocol.times import PlannedDate
from fangkong.reports import issued

router = APIRouter(prefix="/api", tags=["reports"])


class BulletinIssue(BaseModel):
    day: PlannedDate
    #: given: a correction (the next version) with this reason; absent: the first issue of the day
    reason: str | None = Field(None, min_length=1, max_length=500)


@router.get("/bulletin")
def bulletin(session: SessionDep, settings: SettingsDep, day: PlannedDate, lang: LangDep = "zh",
             version: Annotated[int | None, Query(ge=1, le=10_000)] = None, draft: bool = False) -> dict:
    """The day's bulletin: `figures` (each a count of records as of D 24:00), `text` (通报) and `issued` (its
    version, when and by whom, whether it is a correction or has been corrected since; null for a draft)."""
    return issued.shown(session, day, tz=settings.zone, lang=lang, version=version, draft=draft).as_dict()


@router.post("/bulletin", status_code=201)
def issue_bulletin(session: SessionDep, settings: SettingsDep, body: BulletinIssue, lang: LangDep = "zh") -> dict:
    """Issue the day's bulletin once the day has ended (409 before, or when already issued), or a correction
    with its reason (409 when its figures are unchanged)."""
    row = issued.issue(session, body.day, tz=settings.zone, now=utcnow(), reason=body.reason)
    return issued.shown(session, body.day, tz=settings.zone, lang=lang, version=row.version).as_dict()
