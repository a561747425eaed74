"""Venue-code scans: log (person, venue, time) to the lake and answer the colour and whether entry is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from anyio import to_thread

from fangkong.codes.cache import CodeBook, Hit
from fangkong.errors import InvalidInput
from fangkong.lake.append import VisitLog
from fangkong.protocol.edition import Edition

__all__ = ["CLOCK_SKEW", "SCAN_WINDOW", "ScanAnswer", "code_of", "record_scan", "scan_time"]

#: a phone's clock may run a little ahead of the server's; more than this is a time in the future
CLOCK_SKEW = timedelta(minutes=2)
#: a live scan is of now: a device may queue a few minutes when the network drops, no more. Older scans are
#: data, not scans: they come in through the audited `fangkong import`
SCAN_WINDOW = timedelta(minutes=5)


@dataclass
class ScanAnswer:
    person_id: str
    venue_id: str
    at: datetime
    colour: str
    entry_allowed: bool
    reasons: list[str]


def scan_time(at: datetime | None, now: datetime, tz: ZoneInfo, what: str = "scan") -> datetime:
    """The scan's time: now when not given, the deployment's zone when naive; never in the future, never more
    than SCAN_WINDOW ago."""
    if at is None:
        return now
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    ahead = at - now
    if ahead > CLOCK_SKEW:
        raise InvalidInput(f"{what} time {at.isoformat()} is in the future")
    if -ahead > SCAN_WINDOW:
        raise InvalidInput(f"{what} time {at.isoformat()} is more than {SCAN_WINDOW.seconds // 60} minutes ago: "
                           "a live scan is of now; older scans come in through `fangkong import` (audited)")
    return at


async def _hit(book: CodeBook, person_id: str, venue_id: str | None, now: datetime) -> Hit:
    # the cached answer costs microseconds; a miss reads the records in a worker thread
    return book.cached(person_id, venue_id, now) or await to_thread.run_sync(book.load, person_id, venue_id, now)


async def code_of(book: CodeBook, person_id: str, now: datetime) -> Hit:
    """A person's code now (NotFound for an unknown person)."""
    return await _hit(book, person_id, None, now)


async def record_scan(book: CodeBook, log: VisitLog, *, person_id: str, venue_id: str, at: datetime | None,
                      now: datetime, edition: Edition, tz: ZoneInfo) -> ScanAnswer:
    """Answer from the person's current code (a sealed venue admits no one), then log the scan; an unknown
    person or venue, or a time in the future, logs nothing."""
    at = scan_time(at, now, tz)
    hit = await _hit(book, person_id, venue_id, now)
    reasons = [r["label"] for r in hit.code.reasons]
    allowed = hit.code.colour in edition.raw["codes"].get("entry_allowed", ["green"])
    if hit.venue_sealed:
        reasons.append("venue_sealed")
        allowed = False
    log.add(person_id, venue_id, at)
    return ScanAnswer(person_id=person_id, venue_id=venue_id, at=at, colour=hit.code.colour,
                      entry_allowed=allowed, reasons=reasons)
