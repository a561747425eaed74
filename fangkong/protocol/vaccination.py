"""Vaccination figures (DOMAIN.md §9): booster due 6 months after the primary series, age bands."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

__all__ = [
    "BOOSTER_MONTHS",
    "PRIMARY_DOSES",
    "add_months",
    "age_on",
    "booster_due",
    "born_by",
    "primary_done_by",
]

#: an inactivated-vaccine primary series: two doses; the third dose is the booster (加强针)
PRIMARY_DOSES = 2
BOOSTER_MONTHS = 6


def add_months(d: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (08-31 + 6 → 02-28/29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def booster_due(primary_done: date) -> date:
    return add_months(primary_done, BOOSTER_MONTHS)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def born_by(on: date, years: int) -> date:
    """The last birth date of people at least `years` old on `on` (so an age band is a date range)."""
    return add_months(on, -12 * years)


def primary_done_by(on: date) -> date:
    """The last primary-series date whose booster is due by `on` (a cut-off for one SQL comparison)."""
    c = add_months(on, -BOOSTER_MONTHS)
    while booster_due(c + timedelta(days=1)) <= on:
        c += timedelta(days=1)
    return c
