"""HTTP routes of reports: the daily bulletin as figures and text."""

from __future__ import annotations


from fastapi import APIRouter

from fangkong.deps import LangDep, SessionDep, SettingsDep
from fangkong.reports import service
from fangkong.reports.text import render
from fangkong.protocol.times import PlannedDate

router = APIRouter(prefix="/api", tags=["reports"])


@router.get("/bulletin")
def bulletin(session: SessionDep, settings: SettingsDep, day: PlannedDate, lang: LangDep = "zh") -> dict:
    """The day's bulletin: `figures` (each one a count of records) and `text` (通报)."""
    b = service.bulletin(session, day, tz=settings.zone)
    return {"figures": b.as_dict(), "text": render(b, lang=lang)}
