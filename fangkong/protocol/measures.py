"""Measures for a risk person: kind, period from the last exposure, test dates (DOMAIN.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fangkong.protocol.edition import MEASURE_KINDS, Edition

__all__ = ["MeasurePlan", "covers", "measure_for", "stricter", "strictness"]


@dataclass(frozen=True)
class MeasurePlan:
    category: str
    kind: str
    start_at: datetime
    #: end of the first phase (e.g. centralized isolation)
    phase_end_at: datetime
    #: end of the whole measure, including a follow-on phase (e.g. home health monitoring)
    end_at: datetime
    then_kind: str | None
    test_dates: tuple[date, ...]


def strictness(kind: str) -> int:
    """0 for the strictest kind (centralized isolation)."""
    return MEASURE_KINDS.index(kind)


def _end_of_day(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz)


def measure_for(
    edition: Edition, category: str, *, last_exposure_at: datetime, found_at: datetime, tz: ZoneInfo
) -> MeasurePlan:
    """The edition's measure for a category.

    Periods count from the last exposure: day 1 is the calendar day after it, and the period ends
    at the end of day `days`. Test day n falls on that day n; a test day already past when the
    person is found is done on the day they are found (缺几天补几天), never dropped. A rule with
    `release_samples` n > 1 (edition 8's 双采双检) has n tests on the last test day of its first phase.
    """
    rule = edition.measures[category]
    exposed = last_exposure_at.astimezone(tz).date()
    phase_end = _end_of_day(exposed + timedelta(days=rule.days), tz) if rule.days else found_at
    end = _end_of_day(exposed + timedelta(days=rule.days + rule.then_days), tz) if rule.then_days else phase_end
    found_day = found_at.astimezone(tz).date()
    days = [exposed + timedelta(days=n) for n in rule.test_days]
    days += [exposed + timedelta(days=rule.days + n) for n in rule.then_test_days]
    dates = sorted({max(d, found_day) for d in days if end > found_at})
    if rule.release_samples > 1 and rule.test_days and end > found_at:
        # 双采双检 (edition 8): the release test of the first phase is sampled twice together, two tests
        release_day = max(exposed + timedelta(days=max(rule.test_days)), found_day)
        dates = sorted(dates + [release_day] * (rule.release_samples - 1))
    return MeasurePlan(
        category=category,
        kind=rule.kind,
        start_at=found_at,
        phase_end_at=max(phase_end, found_at),
        end_at=max(end, found_at),
        then_kind=rule.then_kind,
        test_dates=tuple(dates),
    )


def stricter(current: MeasurePlan | None, new: MeasurePlan) -> MeasurePlan:
    """The plan a person should be under: the stricter kind; for the same kind the later end.

    A measure is never silently shortened (DOMAIN.md §5): a milder new plan never replaces a
    stricter current one, and an equal kind only replaces it when it ends later.
    """
    if current is None:
        return new
    a, b = strictness(current.kind), strictness(new.kind)
    if b < a or (b == a and new.end_at > current.end_at):
        return new
    return current


def covers(kind: str, end_at: datetime, new_kind: str, new_end_at: datetime) -> bool:
    """Whether an obligation in force of the same category already covers a new one (at least as strict, ending
    no earlier): then nothing is added. Otherwise the new one is added, and an obligation of the same category
    it outlasts ends as `extended` (a new exposure restarts the clock, never shortens it); obligations of other
    categories are never touched (DOMAIN.md §5: nothing is overwritten)."""
    return strictness(kind) <= strictness(new_kind) and end_at >= new_end_at
