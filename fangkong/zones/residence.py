"""Who lives in an approved zone, without the drawing machinery of zones.service (the lake, pyarrow): the health
code of a person reads it and needs nothing more (issue 27, start-up)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.db.sets import chunks, one_of
from fangkong.zones.models import Zone, ZoneResident, ZoneStatus

__all__ = ["residence_levels"]


def residence_levels(session: Session, person_fks: list[int]) -> dict[int, list[str]]:
    """Levels of the approved zones each person lives in (their health code shows them)."""
    out: dict[int, list[str]] = {}
    for part in chunks(sorted(set(person_fks))):
        q = (select(ZoneResident.person_fk, Zone.level).join(Zone)
             .where(one_of(session, ZoneResident.person_fk, part), Zone.status == ZoneStatus.APPROVED))
        for fk, level in session.execute(q):
            out.setdefault(fk, []).append(level)
    return out
