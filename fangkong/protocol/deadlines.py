"""The clock (以快制快): default deadlines of each step, DOMAIN.md §3; deployments override them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_DEADLINES", "SAME_DAY", "Deadline", "parse_deadline", "format_deadline", "deadline_table",
           "due_at"]

#: 事不过夜: by the end of the local calendar day the step started
SAME_DAY = "same_day"

Deadline = timedelta | str

DEFAULT_DEADLINES: dict[str, timedelta] = {
    "case_placed": timedelta(hours=1),            # positive result → case placed, transfer started
    "team_assigned": timedelta(0),                # case → a tracing team, immediately
    "contacts_placed": timedelta(hours=3),        # case → close contacts found and placed
    "contact_centralized": timedelta(hours=8),    # contact identified → in centralized isolation
    "drug_buyer_tested": timedelta(hours=24),     # pushed 四类药品 buyer → tested
    # a symptom reported at a daily check-in → followed up by the team; [U] deployment setting, as the
    # 2 h clocks of a positive result (PROTOCOL-NOTES §6)
    "symptom_followed_up": timedelta(hours=2),
}

#: steps whose default is "the same day" rather than a number of hours
_SAME_DAY_DEFAULTS: dict[str, str] = {
    "verified": SAME_DAY,                         # a pushed risk person → checked at the door (落地核查)
    "resampled": SAME_DAY,                        # an invalid scheduled test → sampled again; [U] deployment setting
}

_PART = re.compile(r"(\d+(?:\.\d+)?)([dhm])")
_UNIT = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def parse_deadline(text: str | float | int) -> Deadline:
    """`same_day`, a number of hours, or a duration such as `90m`, `2h`, `1h30m`, `1d`."""
    if isinstance(text, bool):
        raise ValueError(f"deadline {text!r} is not a duration")
    if isinstance(text, int | float):
        if not 0 <= text <= 24 * 30:
            raise ValueError(f"deadline {text} h is outside 0–720 hours")
        return timedelta(hours=text)
    s = str(text).strip().lower().replace(" ", "")
    if s == SAME_DAY:
        return SAME_DAY
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_deadline(float(s))
    parts = _PART.findall(s)
    if not s or "".join(n + u for n, u in parts) != s:
        raise ValueError(f"deadline {text!r} is not a duration like 90m, 2h, 1h30m, 1d or same_day")
    total = sum((float(n) * _UNIT[u] for n, u in parts), timedelta(0))
    if total > timedelta(days=30):
        raise ValueError(f"deadline {text!r} is longer than 30 days")
    return total


def format_deadline(rule: Deadline) -> str:
    """The inverse of parse_deadline for display: `same_day`, `0m`, `3h`, `1h30m`."""
    if rule == SAME_DAY:
        return SAME_DAY
    minutes = int(rule.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if m or not h else "")


def deadline_table(overrides: Mapping[str, str | float] | None = None) -> dict[str, Deadline]:
    """Defaults with a deployment's overrides; an unknown step is an error, not silently ignored."""
    table: dict[str, Deadline] = {**DEFAULT_DEADLINES, **_SAME_DAY_DEFAULTS}
    for step, value in (overrides or {}).items():
        if step not in table:
            raise ValueError(f"unknown deadline step {step!r}; known: {', '.join(sorted(table))}")
        table[step] = parse_deadline(value)
    return table


def due_at(rule: Deadline, start: datetime, tz: ZoneInfo) -> datetime:
    """When a step that started at `start` is due under `rule`."""
    if rule == SAME_DAY:
        day = start.astimezone(tz).date() + timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=tz)
    return start + rule
