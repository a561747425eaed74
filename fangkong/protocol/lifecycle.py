"""The measure lifecycle (DOMAIN.md §5): when a person may leave a measure, step down, or must be upgraded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["Decision", "release_decision", "upstream_verdict", "ESCALATED_KIND"]

#: escalation always goes to centralized isolation (home → site)
ESCALATED_KIND = "centralized_isolation"


@dataclass(frozen=True)
class Decision:
    #: release (the measure ends), step_down (to its follow-on kind, e.g. home health monitoring), upgrade
    #: (a secondary contact becomes a close contact), refuse (not yet: `reason` says why)
    action: str
    reason: str


def upstream_verdict(results: Sequence[Sequence[str]], required: int) -> str:
    """For a secondary contact: `positive` when any of their close contacts' first `required` tests is
    positive (or that contact became a case: give ["positive"]), `pending` while any of them is not yet
    negative, else `negative`. Each inner sequence is one close contact's results in due order."""
    if required <= 0:
        return "negative"
    firsts = [list(r)[:required] for r in results]
    if any("positive" in r for r in firsts):
        return "positive"
    if not firsts or any(len(r) < required or any(x != "negative" for x in r) for r in firsts):
        return "pending"
    return "negative"


def release_decision(*, now: datetime, phase_end_at: datetime, end_at: datetime, then_kind: str | None,
                     tests: Sequence[tuple[date, str]], tz: ZoneInfo, upstream: str = "negative") -> Decision:
    """Whether a measure may end now. Release needs the full period and every scheduled test negative
    (a test without a result is missing, never assumed negative); a two-phase measure steps down to its
    follow-on kind after the first phase on the same terms for that phase's tests. A secondary contact is
    upgraded as soon as an upstream close contact's early test is positive, and waits for those tests."""
    if upstream == "positive":
        return Decision("upgrade", "a close contact's first tests include a positive: upgraded to close contact")
    if now >= end_at:
        action, until = "release", end_at
    elif then_kind and now >= phase_end_at:
        action, until = "step_down", phase_end_at
    else:
        ends = phase_end_at if then_kind else end_at
        return Decision("refuse", f"the period runs until {ends.astimezone(tz):%Y-%m-%d %H:%M}")
    last_day = until.astimezone(tz).date()
    due = sorted((d, r) for d, r in tests if d < last_day or (d == last_day and until.astimezone(tz).hour > 0))
    for d, result in due:
        if result == "positive":
            return Decision("refuse", f"the test of {d} is positive: the person is a case")
        if result != "negative":
            return Decision("refuse", f"the test of {d} is {'missing' if result == 'pending' else result}")
    if upstream != "negative":
        return Decision("refuse", "waiting for the close contact's first tests")
    return Decision(action, "full period, every scheduled test negative")
