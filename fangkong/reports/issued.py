"""Issuing the daily bulletin: computed as of the end of its day, stored as issued, corrected by new versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.db.audit import audit
from fangkong.db.scope import acting, scope_of
from fangkong.errors import Conflict, InvalidInput
from fangkong.lake import versions as lake_versions
from fangkong.reports.models import IssuedBulletin
from fangkong.reports.service import Bulletin, bulletin
from fangkong.reports.text import render
from fangkong.settings import get_settings

__all__ = ["Shown", "day_end", "issue", "shown", "versions"]


def day_end(day: date, tz: ZoneInfo) -> datetime:
    """D 24:00 in the deployment's zone: the instant the bulletin of D is counted at."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _jurisdiction(session: Session) -> str:
    """Each jurisdiction issues its own bulletin: the session's scope ("" = the whole deployment)."""
    return scope_of(session) or ""


def versions(session: Session, day: date) -> list[IssuedBulletin]:
    """Every issued version of the day's bulletin of the session's jurisdiction, first to last."""
    q = (select(IssuedBulletin).where(IssuedBulletin.jurisdiction == _jurisdiction(session),
                                      IssuedBulletin.day == day).order_by(IssuedBulletin.version))
    return list(session.scalars(q))


def _texts(b: Bulletin, version: int, reason: str | None) -> tuple[str, str]:
    correction = (version, reason) if version > 1 else None
    return render(b, lang="zh", correction=correction), render(b, lang="en", correction=correction)


def issue(session: Session, day: date, *, tz: ZoneInfo, now: datetime, reason: str | None = None) -> IssuedBulletin:
    """Issue the bulletin of `day` (version 1), or, with a reason, a correction (the next version).

    The figures are those of D 24:00, computed from the records' history, so the day must have ended; the text
    is stored as issued and never changes. A correction whose figures equal the last version's is refused.
    Issued by the session's actor (fangkong.db.scope.acting)."""
    actor = acting(session)
    end = day_end(day, tz)
    if now < end:
        raise Conflict(f"the bulletin of {day} is issued once the day has ended (from {end.isoformat()})")
    done = versions(session, day)
    if reason is not None and not reason.strip():
        raise InvalidInput("a correction needs its reason")
    if done and reason is None:
        last = done[-1]
        raise Conflict(f"the bulletin of {day} was issued (version {last.version}, {last.issued_at.isoformat()}); "
                       "a correction needs a reason")
    if not done and reason is not None:
        raise InvalidInput(f"the bulletin of {day} has not been issued: there is nothing to correct")
    b = bulletin(session, day, tz=tz)
    figures = b.as_dict()
    if done and done[-1].figures == figures:
        raise Conflict(f"the figures of {day} as of its end are unchanged since version {done[-1].version}: "
                       "nothing to correct")
    version = done[-1].version + 1 if done else 1
    zh, en = _texts(b, version, reason)
    row = IssuedBulletin(jurisdiction=_jurisdiction(session), day=day, version=version, text_zh=zh, text_en=en,
                         figures=figures, issued_at=now, issued_by=actor,
                         reason=reason.strip()[:500] if reason else None)
    session.add(row)
    session.flush()
    audit(session, actor, "bulletin.correct" if version > 1 else "bulletin.issue", "bulletin",
          f"{row.jurisdiction or '*'}:{day.isoformat()}", after={"version": version, "reason": row.reason})
    return row


@dataclass
class Shown:
    """What a reader gets for a day: an issued version (the last unless asked), or a draft not issued yet."""

    figures: Bulletin
    text: str
    #: None for a draft (not issued)
    issued: IssuedBulletin | None
    #: the last version issued (to say a correction exists when an older one is shown)
    latest_version: int
    #: D 24:00, the instant `lake` states the lake at
    end: datetime | None = None

    @cached_property
    def lake(self) -> dict:
        """The lake's version of each table at D 24:00 (lake.versions.as_of): what the location data held at the
        day's end. Not a figure of the bulletin (its figures count records) nor in its text: beside them. Read
        from the log when asked (the overview and the exports, which show the figures, never read it)."""
        return lake_versions.as_of(get_settings().lake, self.end) if self.end is not None else {}

    def as_dict(self) -> dict:
        i = self.issued
        meta = None if i is None else {
            "version": i.version, "issued_at": i.issued_at.isoformat(), "issued_by": i.issued_by,
            "correction": i.version > 1, "reason": i.reason, "latest_version": self.latest_version,
            "superseded": i.version < self.latest_version}
        return {"figures": self.figures.as_dict(), "text": self.text, "issued": meta, "lake": self.lake}


def shown(session: Session, day: date, *, tz: ZoneInfo, lang: str = "zh", version: int | None = None,
          draft: bool = False) -> Shown:
    """The day's bulletin as issued (the given version, else the last), or a draft computed now from the
    records as of D 24:00 when it has not been issued (or `draft` is asked)."""
    done = [] if draft else versions(session, day)
    if version is not None and not draft:
        pick = next((v for v in done if v.version == version), None)
        if pick is None:
            raise InvalidInput(f"the bulletin of {day} has no version {version}", key="err_no_bulletin_version", params={"day": str(day), "version": version})
    else:
        pick = done[-1] if done else None
    end = day_end(day, tz)
    if pick is None:
        b = bulletin(session, day, tz=tz)
        return Shown(b, render(b, lang=lang), None, 0, end)
    return Shown(Bulletin.from_dict(pick.figures), pick.text_en if lang == "en" else pick.text_zh, pick,
                 done[-1].version, end)
