"""Persons whose status changed in a unit of work, so derived records (health codes) follow at commit.

Services of any domain mark the persons whose measure, test, case or zone changed, with the time of
the change; the codes domain (a later layer, which those services may not import) recomputes them
just before the transaction commits. A rolled-back unit of work forgets its marks.

Likewise the persons reported positive (a suspected or declared case) in a unit of work, with the instant: the
measures domain upgrades at commit the secondary contacts found through them (a case is declared by the cases
domain, which may not import measures; issue 23), dated at that instant. And the declared cases ruled out: the
measures domain ends at commit what followed from them (measures/ruleout.py).

And the persons whose swabs moved to another person or came back (a merge, its undo), with the communities involved:
the testing domain (above the people domain that merges) recounts at commit the round figures they touch
(testing/tally.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["mark_changed", "mark_reported", "mark_ruled_out", "mark_swabs_moved", "take_changed", "take_reported",
           "take_ruled_out", "take_swabs_moved"]

_KEY = "fangkong.changed_persons"
_REPORTED = "fangkong.reported_persons"
_RULED_OUT = "fangkong.ruled_out_cases"
_SWABS = "fangkong.swabs_moved"


def mark_changed(session: Session, person_fks: Iterable[int], at: datetime) -> None:
    """Remember that these persons' status changed at `at` (the latest time marked wins)."""
    fks, latest = session.info.get(_KEY, (set(), at))
    fks.update(fk for fk in person_fks if fk is not None)
    session.info[_KEY] = (fks, max(latest, at))


def take_changed(session: Session) -> tuple[set[int], datetime | None]:
    """The marked persons and the latest time, cleared from the session."""
    fks, at = session.info.pop(_KEY, (set(), None))
    return fks, at


def mark_reported(session: Session, person_fk: int, at: datetime) -> None:
    """Remember that this person was reported positive (a case opened) at `at`."""
    session.info.setdefault(_REPORTED, []).append((person_fk, at))


def take_reported(session: Session) -> list[tuple[int, datetime]]:
    """The persons reported positive in this unit of work, with the instants, cleared from the session."""
    return session.info.pop(_REPORTED, [])


def mark_ruled_out(session: Session, case_id: int, at: datetime) -> None:
    """Remember that this declared case was ruled out at `at`."""
    session.info.setdefault(_RULED_OUT, []).append((case_id, at))


def take_ruled_out(session: Session) -> list[tuple[int, datetime]]:
    """The declared cases ruled out in this unit of work, with the instants, cleared from the session."""
    return session.info.pop(_RULED_OUT, [])


def mark_swabs_moved(session: Session, person_fks: Iterable[int], communities: Iterable[str | None]) -> None:
    """Remember that these persons' swabs changed hands (merge, unmerge); `communities` are those whose round
    figures they may have left."""
    fks, comms = session.info.setdefault(_SWABS, (set(), set()))
    fks.update(fk for fk in person_fks if fk is not None)
    comms.update(communities)


def take_swabs_moved(session: Session) -> tuple[set[int], set[str | None]]:
    """The persons whose swabs moved and the communities involved, cleared from the session."""
    return session.info.pop(_SWABS, (set(), set()))
