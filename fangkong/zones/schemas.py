"""API shapes of zones and the published risk-area list."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fangkong.protocol.times import HappenedDate
from fangkong.zones.models import AbsenceReason, AreaRisk, PlaceKind, PlaceReason, ZoneLevel, ZoneStatus

__all__ = [
    "AbsenceDayIn",
    "AbsenceIn",
    "AbsenceRead",
    "Decision",
    "PlaceIn",
    "PlaceRead",
    "Rejection",
    "RiskArea",
    "RoundIn",
    "StepRead",
    "ZoneCreate",
    "ZoneRead",
]

Level = ZoneLevel


class PlaceIn(BaseModel):
    kind: PlaceKind
    ref: str = Field(min_length=1, max_length=64, description="venue_id, a grid cell id like 4729:12345, "
                     "VENUE_ID/3号楼 (a building, or 3号楼1单元 a unit) or a district code like 140105")


class ZoneCreate(BaseModel):
    level: Level
    places: list[PlaceIn] = Field(max_length=10_000)
    name: str | None = Field(None, max_length=200)


class Decision(BaseModel):
    """Who decides is the signed-in user (a "by" in the body is ignored); four eyes: not the proposer."""


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class AbsenceIn(BaseModel):
    """A resident not tested in the round, accounted for with a reason."""

    person_id: str = Field(min_length=1, max_length=64)
    reason: AbsenceReason = Field(description="moved_out, in_hospital, isolated_elsewhere, died, not_found")
    note: str | None = Field(None, max_length=500)


class AbsenceDayIn(AbsenceIn):
    day: HappenedDate


class AbsenceRead(BaseModel):
    day: date
    person_id: str
    reason: str
    note: str | None
    recorded_by: str


class RoundIn(BaseModel):
    day: HappenedDate
    tested: int = Field(ge=0, le=100_000_000)
    positive: int = Field(ge=0, le=100_000_000)
    complete: bool = True
    #: the residents not tested that day, each with a reason: tested + accounted for must cover the residents
    absent: list[AbsenceIn] = Field(default_factory=list, max_length=100_000)


class PlaceRead(BaseModel):
    kind: PlaceKind
    ref: str
    name: str | None
    reason: PlaceReason


class StepRead(BaseModel):
    met: bool
    to: str = Field(description="controlled, or lifted")
    due_at: datetime | None
    missing: list[str]


class ZoneRead(BaseModel):
    zone_id: str
    name: str
    level: Level
    risk: AreaRisk
    status: ZoneStatus
    case_id: str | None
    proposed_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    clock_from: datetime | None
    closed_at: datetime | None
    residents: int
    places: list[PlaceRead]
    next_step: StepRead | None = None


class RiskArea(BaseModel):
    zone_id: str
    name: str
    level: Level
    risk: AreaRisk
    since: datetime
    places: list[dict]
