"""What a zone decision will do to people, said before it is made: approving a zone fixes its residents (and, a
sealed one, places them under the edition's measure), lowering or lifting it releases them, a round covers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case, CaseStatus
from fangkong.db.sets import chunks
from fangkong.protocol.edition import Edition
from fangkong.zones import service
from fangkong.zones.models import Zone, ZoneLevel, ZoneStatus

__all__ = ["Effect", "of_approval", "of_round", "of_step"]


@dataclass
class Effect:
    #: the zone's residents (found from their addresses before approval, the fixed list after)
    residents: int
    #: of them, the people the decision places under `measure` (approval) or releases from it (a step)
    placed: int = 0
    released: int = 0
    measure: str | None = None
    #: the zone's level or status after the decision
    to: str | None = None
    #: a step: is its condition met now, and what is missing
    met: bool = True
    missing: tuple[str, ...] = ()
    #: a round: the residents it tested and those accounted for (absent with a reason)
    tested: int = 0
    accounted: int = 0


def _cases(session: Session, fks: list[int]) -> set[int]:
    out: set[int] = set()
    for part in chunks(fks):
        out.update(session.scalars(select(Case.person_fk).where(Case.person_fk.in_(part),
                                                                Case.status != CaseStatus.RULED_OUT)))
    return out


def of_approval(session: Session, zone: Zone, *, edition: Edition) -> Effect:
    """Approving: a sealed or controlled zone's residents are fixed; a sealed zone's (cases aside) get the
    edition's `sealed_resident` measure; a precaution zone fixes no one."""
    if zone.level == ZoneLevel.PRECAUTION:
        return Effect(residents=0, to=ZoneStatus.APPROVED)
    fks = sorted(service._residents(session, zone))  # the same rule approve() applies
    if zone.level != ZoneLevel.SEALED:
        return Effect(residents=len(fks), to=ZoneStatus.APPROVED)
    rule = edition.measures.get("sealed_resident")
    return Effect(residents=len(fks), placed=len(fks) - len(_cases(session, fks)),
                  measure=rule.kind if rule else None, to=ZoneStatus.APPROVED)


def of_step(session: Session, zone: Zone, *, edition: Edition, tz: ZoneInfo, now: datetime) -> Effect:
    """Lowering a sealed zone to controlled, or lifting a zone: its residents leave the sealed measure (sealed),
    the zone takes its next level or is lifted; whether the edition's condition is met now."""
    c = service.check(session, zone, edition=edition, tz=tz, now=now)
    n = service.resident_count(session, zone)
    rule = edition.measures.get("sealed_resident")
    return Effect(residents=n, released=n if zone.level == ZoneLevel.SEALED else 0,
                  measure=rule.kind if rule and zone.level == ZoneLevel.SEALED else None,
                  to=c.to_level or ZoneStatus.LIFTED, met=c.met, missing=tuple(c.missing))


def of_round(session: Session, zone: Zone, *, tested: int, accounted: int) -> Effect:
    """A round of `tested` residents and `accounted` others accounted for: how many of the residents it leaves
    out (`released`: a round counts for lowering or lifting only when it covers them all)."""
    n = service.resident_count(session, zone)
    return Effect(residents=n, tested=tested, accounted=accounted, released=max(0, n - tested - accounted))
