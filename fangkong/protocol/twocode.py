"""The two-code check's rule (验双码, DOMAIN.md §8): which parts apply on the day of the check, and when a
negative test still proves anything. Dates from PROTOCOL-NOTES §8.3."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CARD_OFFLINE_AT", "STAR_REMOVED_ON", "CardRule", "card_rule", "proof_holds", "reasons",
           "scheduled_sample_at"]

_CN = ZoneInfo("Asia/Shanghai")
#: the travel card's city star (*: a medium/high-risk area somewhere in that city) was removed on this day
STAR_REMOVED_ON = date(2022, 6, 29)
#: 通信行程卡 went offline at this instant: no card to check after it
CARD_OFFLINE_AT = datetime(2022, 12, 13, 0, 0, tzinfo=_CN)


@dataclass(frozen=True)
class CardRule:
    """What the travel card part of the check was on a given day."""

    #: the card exists and is checked
    card: bool
    #: a city carrying the star fails the check (before 2022-06-29 only)
    star: bool


def card_rule(at: datetime) -> CardRule:
    """The travel card rule in force at `at`: card and star until 2022-06-28, the card without the star until
    2022-12-12, no card from 2022-12-13 00:00 (Beijing time)."""
    if at >= CARD_OFFLINE_AT:
        return CardRule(card=False, star=False)
    return CardRule(card=True, star=at.astimezone(_CN).date() < STAR_REMOVED_ON)


def proof_holds(sampled_at: datetime | None, reported_at: datetime | None, at: datetime, hours: int) -> bool:
    """A negative test proves the check at `at` when it was sampled within the last `hours` (counted from the
    sampling, not the result) and its result was known by `at`."""
    if sampled_at is None or reported_at is None:
        return False
    return at - timedelta(hours=hours) <= sampled_at <= at and reported_at <= at


def scheduled_sample_at(due: date, result_at: datetime, tz: ZoneInfo) -> datetime:
    """When a scheduled test (known only by its due day) was sampled, for the 48 h proof: the earliest it could
    have been, the start of its due day (never after its result), so a proof is never stretched."""
    return min(datetime.combine(due, time(0), tzinfo=tz), result_at)


def reasons(*, colour: str, allowed: Iterable[str], rule: CardRule, has_phone: bool,
            starred_cities: Iterable[str], proof: bool, hours: int) -> list[str]:
    """Why the check fails (empty: it passes): code:<colour>, no_travel_card, risk_city:<city> (while the star
    existed), no_negative_test_<hours>h."""
    out = [] if colour in allowed else [f"code:{colour}"]
    if rule.card and not has_phone:
        out.append("no_travel_card")
    if rule.card and rule.star:
        out += [f"risk_city:{c}" for c in starred_cities]
    if not proof:
        out.append(f"no_negative_test_{hours}h")
    return out
