"""Health-code colour from a person's statuses: red / yellow / green with reasons (DOMAIN.md §8)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fangkong.protocol.edition import Edition

__all__ = ["Reason", "Code", "code_colour", "COLOURS", "RELEASE_OVERDUE"]

COLOURS = ("red", "yellow", "green")
#: a note, not a colour: an obligation is past its nominal end and not released (its results are missing,
#: invalid or not negative); shown beside the reasons of the colour it keeps
RELEASE_OVERDUE = "release_overdue"


@dataclass(frozen=True)
class Reason:
    label: str                 # case, suspected, close, secondary, companion, overdue_test, ...
    until: datetime | None     # when this reason ends by itself; None = until someone acts
    since: datetime | None = None  # a reason that only starts later (a test due today is overdue tomorrow)


@dataclass(frozen=True)
class Code:
    colour: str
    reasons: tuple[Reason, ...]
    changes_at: datetime | None


def code_colour(edition: Edition, reasons: Iterable[Reason], now: datetime) -> Code:
    """Derive the colour; reasons that ended before `now`, or start after it, do not count.

    `changes_at` is when the colour next changes if nothing else happens: the end of the last reason of
    its colour (None when one has no end, e.g. a case), or sooner, the start of a later reason of a
    stricter colour (a scheduled test becoming overdue). None for green with nothing ahead.
    """
    reasons = tuple(reasons)
    live = tuple(sorted((r for r in reasons if (r.since is None or r.since <= now)
                         and (r.until is None or r.until > now)), key=lambda r: r.label))
    ahead = [r for r in reasons if r.since is not None and r.since > now and (r.until is None or r.until > r.since)]
    stricter: list[str] = []
    for colour, labels in (("red", edition.red), ("yellow", edition.yellow)):
        mine = [r for r in live if r.label in labels]
        if mine:
            ends = [r.until for r in mine]
            notes = tuple(r for r in live if r.label == RELEASE_OVERDUE)
            return Code(colour, tuple(mine) + notes, _sooner(None if None in ends else max(ends), ahead, stricter))
        stricter.extend(labels)
    return Code("green", (), _sooner(None, ahead, stricter))


def _sooner(end: datetime | None, ahead: list[Reason], stricter_labels: list[str]) -> datetime | None:
    starts = [r.since for r in ahead if r.label in stricter_labels]
    return min([t for t in [end, *starts] if t is not None], default=None)
