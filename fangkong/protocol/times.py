"""Plausible times on every input: a record of this epidemic happened after its first cases and not in the
future; a plan (a testing round, a what-if "at") lies at most a year ahead.

A pure rule plus the pydantic types every API schema uses, so a case sampled 9999-12-31 or a round in year
1 is refused with 422 and a clear message, instead of being stored or overflowing into a 500 (year 1 at
+08:00 cannot even be converted to UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

__all__ = ["EARLIEST", "HAPPENED_MARGIN", "PLANNED_HORIZON", "AwareHappened", "AwarePlanned", "Happened",
           "HappenedDate", "Planned", "PlannedDate", "check_date", "check_time", "use_clock"]

#: the first cases of COVID-19 were reported in December 2019: nothing this office records is older
EARLIEST = datetime(2019, 12, 1, tzinfo=UTC)
#: a "happened" time may run this far ahead of the server's clock (clocks of phones, gates and labs drift)
HAPPENED_MARGIN = timedelta(days=1)
#: a planned time (a round, a what-if evaluation) may lie this far ahead
PLANNED_HORIZON = timedelta(days=366)
#: a naive time is the deployment's local time: at most this far from UTC (UTC-12 … UTC+14)
_ZONE_SLACK = timedelta(hours=14)


def _latest(now: datetime, planned: bool) -> datetime:
    return now + (PLANNED_HORIZON if planned else HAPPENED_MARGIN)


def _range_text(planned: bool) -> str:
    ahead = "now + 1 year" if planned else "now + 1 day"
    return f"between {EARLIEST.date().isoformat()} and {ahead}"


def check_time(t: datetime, *, now: datetime, planned: bool = False) -> datetime:
    """`t` unchanged when it lies between EARLIEST and now + the margin, else ValueError naming the range.
    A naive `t` (the deployment's local time) is compared within the zone slack."""
    latest = _latest(now, planned)
    # the wall-clock comparison first: it never overflows, and settles years 1 and 9999 before any conversion
    wall = t.replace(tzinfo=None)
    if not (EARLIEST.replace(tzinfo=None) - _ZONE_SLACK <= wall <= latest.astimezone(UTC).replace(tzinfo=None)
            + _ZONE_SLACK):
        raise ValueError(f"an implausible time: expected a time {_range_text(planned)}, got {t.isoformat()}")
    if t.tzinfo is not None and not EARLIEST <= t <= latest:
        raise ValueError(f"an implausible time: expected a time {_range_text(planned)}, got {t.isoformat()}")
    return t


def check_date(d: date, *, today: date, planned: bool = False) -> date:
    """`d` unchanged when it lies between EARLIEST's day and today + the margin, else ValueError."""
    latest = today + (PLANNED_HORIZON if planned else HAPPENED_MARGIN)
    if not EARLIEST.date() <= d <= latest:
        raise ValueError(f"an implausible date: expected a day {_range_text(planned)}, got {d.isoformat()}")
    return d


def _real_now() -> datetime:
    return datetime.now(UTC)


#: the clock the pydantic types below read; the deployment's own (fangkong.db.core.utcnow, FANGKONG_NOW in a
#: drill) is installed by the record store when it is imported: this module stays pure, below the settings
_clock: Callable[[], datetime] = _real_now


def use_clock(clock: Callable[[], datetime]) -> None:
    """Read "now" from `clock` (an aware datetime) from here on: a drill whose clock was moved (FANGKONG_NOW)
    accepts its own times, and refuses real times that lie ahead of it."""
    global _clock
    _clock = clock


def _now() -> datetime:
    return _clock()


def _happened(t: datetime) -> datetime:
    return check_time(t, now=_now())


def _planned(t: datetime) -> datetime:
    return check_time(t, now=_now(), planned=True)


def _happened_day(d: date) -> date:
    # the latest local day anywhere: today in UTC+14 at most one day ahead, within the margin's day
    return check_date(d, today=_now().date() + timedelta(days=1))


def _planned_day(d: date) -> date:
    return check_date(d, today=_now().date() + timedelta(days=1), planned=True)


#: a time that happened (sampled, isolated, scanned, arrived, seen ...): 2019-12-01 .. now + 1 day
Happened = Annotated[datetime, AfterValidator(_happened)]
AwareHappened = Annotated[AwareDatetime, AfterValidator(_happened)]
#: a planned or what-if time: 2019-12-01 .. now + 1 year
Planned = Annotated[datetime, AfterValidator(_planned)]
AwarePlanned = Annotated[AwareDatetime, AfterValidator(_planned)]
#: a day something happened (onset, a zone's testing round, a vaccination): 2019-12-01 .. today + 1 day
HappenedDate = Annotated[date, AfterValidator(_happened_day)]
#: a planned day (a testing round's start and end, a report day looked up): 2019-12-01 .. today + 1 year
PlannedDate = Annotated[date, AfterValidator(_planned_day)]
