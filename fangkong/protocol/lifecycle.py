"""The measure lifecycle (DOMAIN.md §5): when a person may leave a measure, step down, or must be upgraded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "ESCALATED_KIND",
    "Decision",
    "Test",
    "as_of",
    "first_results",
    "release_decision",
    "required",
    "resolved",
    "results_met_at",
    "upstream_verdict",
]

#: escalation always goes to centralized isolation (home → site)
ESCALATED_KIND = "centralized_isolation"


@dataclass(frozen=True)
class Decision:
    #: release (the measure ends), step_down (to its follow-on kind, e.g. home health monitoring), upgrade
    #: (a secondary contact becomes a close contact), refuse (not yet: `reason` says why)
    action: str
    reason: str
    #: the reason's key in the translation table and its parameters (what a page shows in its language)
    key: str = field(default="", compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def args(self) -> dict[str, str]:
        return dict(self.params)


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
        until_text = f"{ends.astimezone(tz):%Y-%m-%d %H:%M}"
        return Decision("refuse", f"the period runs until {until_text}", "release_r_period", (("until", until_text),))
    last_day = until.astimezone(tz).date()
    due = sorted((d, r) for d, r in tests if d < last_day or (d == last_day and until.astimezone(tz).hour > 0))
    for d, result in due:
        if result == "positive":
            return Decision("refuse", f"the test of {d} is positive: the person is a case", "release_r_positive",
                            (("day", str(d)),))
        if result != "negative":
            word = "missing" if result == "pending" else result
            return Decision("refuse", f"the test of {d} is {word}", f"release_r_{word}", (("day", str(d)),))
    if upstream != "negative":
        return Decision("refuse", "waiting for the close contact's first tests", "release_r_upstream")
    return Decision(action, "full period, every scheduled test negative")


@dataclass(frozen=True)
class Test:
    """A scheduled test as the end condition reads it."""

    __test__ = False  # not a pytest class

    id: int
    due: date
    result: str
    result_at: datetime | None = None
    resample_of: int | None = None


def resolved(tests: Sequence[Test]) -> list[Test]:
    """Each scheduled test with the result that stands for it: an invalid test's re-sample (and that one's
    re-sample, and so on) stands for it once it has a result, on the original due date (until then the test
    stays invalid); the re-samples themselves are not listed."""
    by_origin = {t.resample_of: t for t in sorted(tests, key=lambda t: t.id) if t.resample_of is not None}
    out = []
    for t in tests:
        if t.resample_of is not None:
            continue
        last = t
        while last.result == "invalid" and last.id in by_origin and by_origin[last.id].result != "pending":
            last = by_origin[last.id]
        out.append(Test(t.id, t.due, last.result, last.result_at, None))
    return out


def required(tests: Sequence[Test], until: datetime, tz: ZoneInfo) -> list[Test]:
    """The tests a period ending at `until` needs (due before its last instant), re-samples resolved."""
    last_day = until.astimezone(tz).date()
    hour = until.astimezone(tz).hour
    return [t for t in resolved(tests) if t.due < last_day or (t.due == last_day and hour > 0)]


def results_met_at(tests: Sequence[Test], *, end_at: datetime, at: datetime, tz: ZoneInfo) -> datetime | None:
    """When an obligation whose end needs results met its end condition, as known at `at`: the later of its
    nominal end and the last required result, when every required test is negative with its result in by
    `at`; None when not (yet) met: a missing, invalid, suspected or positive result keeps it in force."""
    if at < end_at:
        return None
    needed = required(tests, end_at, tz)
    if any(t.result != "negative" or t.result_at is None or t.result_at > at for t in needed):
        return None
    return max([end_at, *(t.result_at for t in needed)])


def as_of(tests: Sequence[Test], at: datetime) -> list[Test]:
    """The tests as they were known at `at`: a result that came in after `at` is still pending then (a result
    without its instant is taken as known)."""
    return [t if t.result_at is None or t.result_at <= at else replace(t, result="pending", result_at=None)
            for t in tests]


def first_results(tests: Sequence[Test], required: int, at: datetime | None = None) -> list[str]:
    """A close contact's first `required` scheduled tests' results in due order (what a secondary contact's
    release waits for, `upstream_verdict`): an invalid test's re-sample stands for it once it has a result, and
    the re-samples are not tests of their own; as known at `at` when given."""
    known = as_of(tests, at) if at is not None else list(tests)
    return [t.result for t in sorted(resolved(known), key=lambda t: (t.due, t.id))][:required]
