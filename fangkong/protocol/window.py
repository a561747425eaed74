"""The look-back window of a case (DOMAIN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fangkong.protocol.edition import Edition

__all__ = ["Window", "lookback_window"]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window times must be timezone-aware")


def lookback_window(
    edition: Edition,
    *,
    sampled_at: datetime,
    isolated_at: datetime,
    onset_date: date | None = None,
    last_negative_at: datetime | None = None,
    days_before: int | None = None,
    tz: ZoneInfo,
) -> Window:
    """From k days before onset (or before the first positive sample's date) until isolation.

    Days count by calendar date in the deployment's zone: "采样前2天" starts at 00:00 two days
    before the sampling date. A case found by serial screening starts at its last negative sample
    when the edition says so. `days_before` overrides the edition (local presets such as k = 4).
    """
    k = edition.window_days_before if days_before is None else days_before
    if last_negative_at is not None and edition.serial_screening_from_last_negative:
        start = last_negative_at
    else:
        anchor = onset_date if onset_date is not None else sampled_at.astimezone(tz).date()
        start = datetime.combine(anchor - timedelta(days=k), time(0), tzinfo=tz)
    if isolated_at < start:
        raise ValueError("isolation time is before the window start")
    return Window(start=start, end=isolated_at)
