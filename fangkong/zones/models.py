"""Tables of the zones domain: zone, its places, its residents and its testing rounds."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["ABSENCE_REASONS", "LEVEL_PATTERN", "LEVEL_PATTERN_OR_EMPTY", "PLACE_KINDS", "PLACE_REASONS",
           "STATUS_PATTERN", "STATUS_PATTERN_OR_EMPTY", "ZONE_LEVELS", "ZONE_STATUSES", "AbsenceReason",
           "AreaRisk", "PlaceKind", "PlaceReason", "Zone", "ZoneAbsence", "ZoneLevel", "ZonePlace", "ZoneResident",
           "ZoneRound", "ZoneStatus"]


class ZoneStatus(StrEnum):
    """proposed → approved (by a commander) → lifted; a proposal may be rejected instead"""

    PROPOSED = "proposed"
    APPROVED = "approved"
    LIFTED = "lifted"
    REJECTED = "rejected"


class ZoneLevel(StrEnum):
    """sealed (封控区, high risk) / controlled (管控区, medium) / precaution (防范区, low); strictest first, as
    protocol.zones.LEVELS"""

    SEALED = "sealed"
    CONTROLLED = "controlled"
    PRECAUTION = "precaution"


class AreaRisk(StrEnum):
    """an area's risk level (高/中/低风险区): a zone's level as the published risk-area list names it
    (protocol.zones.RISK_OF), and the level of the area an arrival comes from"""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class PlaceKind(StrEnum):
    """venue: a venue_id; grid: a grid cell id (ours "row:col", or a carrier's own cell name); building: a
    building (楼栋) or unit (单元) of a residential compound, "VENUE_ID/3号楼" or "VENUE_ID/3号楼1单元"; district:
    the rest of a county/district (its 6-digit code) outside the stricter zones (防范区 / 低风险区)"""

    VENUE = "venue"
    GRID = "grid"
    BUILDING = "building"
    DISTRICT = "district"


class PlaceReason(StrEnum):
    """why a place is in its zone: the case's home compound (or home cell, or building), a long stay, a visit,
    the area around them (rings of cells), the rest of the district, or a commander's choice"""

    HOME = "home"
    LONG_STAY = "long_stay"
    VISIT = "visit"
    SURROUNDINGS = "surroundings"
    DISTRICT = "district"
    MANUAL = "manual"


class AbsenceReason(StrEnum):
    """why a resident was not tested in a zone's round and still counts as accounted for (protocol.zones.
    ABSENCE_REASONS, same order; the labels are i18n's absence_<reason>)"""

    MOVED_OUT = "moved_out"
    IN_HOSPITAL = "in_hospital"
    ISOLATED_ELSEWHERE = "isolated_elsewhere"
    DIED = "died"
    NOT_FOUND = "not_found"


ZONE_STATUSES = tuple(m.value for m in ZoneStatus)
ZONE_LEVELS = tuple(m.value for m in ZoneLevel)
PLACE_KINDS = tuple(m.value for m in PlaceKind)
PLACE_REASONS = tuple(m.value for m in PlaceReason)
ABSENCE_REASONS = tuple(m.value for m in AbsenceReason)
#: query-parameter patterns (the pages also take an empty value: no filter)
STATUS_PATTERN = f"^({'|'.join(ZoneStatus)})$"
STATUS_PATTERN_OR_EMPTY = f"^({'|'.join(ZoneStatus)})?$"
LEVEL_PATTERN = f"^({'|'.join(ZoneLevel)})$"
LEVEL_PATTERN_OR_EMPTY = f"^({'|'.join(ZoneLevel)})?$"


class Zone(Base):
    __tablename__ = "zone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: sealed (封控区, high risk) / controlled (管控区, medium) / precaution (防范区, low)
    level: Mapped[str] = mapped_column(String(20), index=True)
    initial_level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True, default=ZoneStatus.PROPOSED)
    #: the case whose places drew the zone (None for a commander's own zone)
    case_fk: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proposed_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    #: the lifting clock: approval, the end of the last step, or the last new case inside
    clock_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lowered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when the next step's condition was found met; cleared when a new case restarts the clock
    step_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    edition: Mapped[str] = mapped_column(String(10))

    case = relationship("Case", lazy="joined")
    places = relationship("ZonePlace", back_populates="zone", order_by="ZonePlace.id",
                          cascade="all, delete-orphan")

    @property
    def was_sealed(self) -> bool:
        return self.initial_level == ZoneLevel.SEALED and self.level != ZoneLevel.SEALED

    @property
    def is_open(self) -> bool:
        return self.status == ZoneStatus.APPROVED


class ZonePlace(Base):
    __tablename__ = "zone_place"
    __table_args__ = (UniqueConstraint("zone_fk", "kind", "ref", name="uq_zone_place_zone_kind_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_fk: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: venue_id, grid cell id, VENUE_ID/building or a district code (PLACE_KINDS)
    ref: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(20))

    zone = relationship("Zone", back_populates="places")


class ZoneResident(Base):
    """People whose home lies in a zone, fixed when the zone is approved (their code shows the zone)."""

    __tablename__ = "zone_resident"

    zone_fk: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True, index=True)


class ZoneRound(Base):
    """A testing round over a zone on one day: how many tested, how many positive."""

    __tablename__ = "zone_round"
    __table_args__ = (UniqueConstraint("zone_fk", "day", name="uq_zone_round_zone_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_fk: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    tested: Mapped[int] = mapped_column(Integer)
    positive: Mapped[int] = mapped_column(Integer)
    #: False while results are still outstanding
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))


class ZoneAbsence(Base):
    """A resident not tested in the zone's round of a day, accounted for with a reason (protocol.zones.
    ABSENCE_REASONS: moved out, in hospital, in isolation elsewhere, died, not found). Never overwritten."""

    __tablename__ = "zone_absence"
    __table_args__ = (UniqueConstraint("zone_fk", "day", "person_fk", name="uq_zone_absence_zone_day_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_fk: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # AbsenceReason
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))
