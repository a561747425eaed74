"""Health-code colour from a person's statuses: red / yellow / green with reasons (DOMAIN.md §8)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fangkong.protocol.edition import Edition

__all__ = ["Reason", "Code", "code_colour", "COLOURS"]

COLOURS = ("red", "yellow", "green")


@dataclass(frozen=True)
class Reason:
    label: str                 # case, suspected, close, secondary, companion, overdue_test, ...
    until: datetime | None     # when this reason ends by itself; None = until someone acts


@dataclass(frozen=True)
class Code:
    colour: str
    reasons: tuple[Reason, ...]
    changes_at: datetime | None


def code_colour(edition: Edition, reasons: Iterable[Reason], now: datetime) -> Code:
    """Derive the colour; reasons that ended before `now` do not count.

    The colour changes when the last reason of its colour ends: `changes_at` is that time, or
    None when some reason has no end (a case, an overdue test) or the code is green.
    """
    live = tuple(sorted((r for r in reasons if r.until is None or r.until > now), key=lambda r: r.label))
    for colour, labels in (("red", edition.red), ("yellow", edition.yellow)):
        mine = [r for r in live if r.label in labels]
        if mine:
            ends = [r.until for r in mine]
            return Code(colour, tuple(mine), None if None in ends else max(ends))
    return Code("green", (), None)
