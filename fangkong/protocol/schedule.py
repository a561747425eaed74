"""When a scheduled job runs next: every N seconds, or daily at a local time (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DailyAt", "Every", "Spec", "next_run"]


@dataclass(frozen=True)
class Every:
    """Every `seconds`, counted from the end of the last run (a run that overran is not repeated at once)."""

    seconds: float

    def describe(self) -> str:
        s = self.seconds
        return f"every {int(s // 3600)} h" if s >= 3600 and s % 3600 == 0 else \
            f"every {int(s // 60)} min" if s >= 60 and s % 60 == 0 else f"every {s:g} s"


@dataclass(frozen=True)
class DailyAt:
    """Once a day at this local wall-clock time (a night job)."""

    hour: int
    minute: int = 0

    def describe(self) -> str:
        return f"daily {self.hour:02d}:{self.minute:02d}"


Spec = Every | DailyAt


def next_run(spec: Spec, after: datetime, tz: ZoneInfo) -> datetime:
    """The first run strictly after `after` (aware). Runs missed while nothing ran are not owed one by one: a job
    whose next run is past runs once, then its next run is counted from then (a restart catches up once)."""
    if isinstance(spec, Every):
        return after + timedelta(seconds=spec.seconds)
    local = after.astimezone(tz)
    at = datetime.combine(local.date(), time(spec.hour, spec.minute), tzinfo=tz)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), time(spec.hour, spec.minute), tzinfo=tz)
    return at
