"""API shapes of the testing domain (bounded inputs: no request can reach the store unchecked)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from fangkong.protocol.times import Happened, PlannedDate
from fangkong.testing.models import ConflictStatus, EnvPlace, LabKind, RetestReason, RetestStatus, RoundKind

__all__ = ["PointCreate", "PointRead", "LabCreate", "LabRead", "RoundCreate", "RoundRead", "EnvCreate", "EnvRead",
           "RetestRead", "ConflictRead", "ResolveIn", "PlanRead"]

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Result = Annotated[str, Field(pattern="^(negative|positive|suspected|weak_positive|invalid)$")]


def _aware(v: datetime) -> datetime:
    if v.tzinfo is None:
        raise ValueError("the time must carry an offset, e.g. 2022-03-14T08:00:00+08:00")
    return v


Aware = Annotated[Happened, AfterValidator(_aware)]


class PointCreate(BaseModel):
    point_id: Id
    name: str | None = Field(None, max_length=200)
    community: str | None = Field(None, max_length=32)
    tables: int = Field(1, ge=1, le=1000)


class PointRead(PointCreate):
    pass


class LabCreate(BaseModel):
    lab_id: Id
    name: str | None = Field(None, max_length=200)
    kind: str = Field("own", pattern=f"^({'|'.join(LabKind)})$")
    daily_capacity: int = Field(ge=1, le=10_000_000)


class LabRead(LabCreate):
    pass


class RoundCreate(BaseModel):
    round_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field("mass", pattern=f"^({'|'.join(RoundKind)})$")
    start_date: PlannedDate
    end_date: PlannedDate | None = None
    point_ids: list[Id] = Field(max_length=10_000)
    pool_size: int = Field(10, ge=1, le=20)
    communities: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=10_000)


class RoundRead(BaseModel):
    round_id: str
    name: str
    kind: RoundKind
    start_date: date
    end_date: date
    pool_size: int
    communities: list[str]
    point_ids: list[str]
    target_hours: float

    @classmethod
    def of(cls, r) -> RoundRead:
        return cls(round_id=r.round_id, name=r.name, kind=r.kind, start_date=r.start_date, end_date=r.end_date,
                   pool_size=r.pool_size, communities=list(r.communities), point_ids=[p.point_id for p in r.points],
                   target_hours=r.target_hours)


class EnvCreate(BaseModel):
    tube_id: Id
    place_kind: str = Field(pattern=f"^({'|'.join(EnvPlace)})$")
    place_ref: str | None = Field(None, max_length=200)
    case_id: str | None = Field(None, max_length=20)
    sampled_at: Aware
    note: str | None = Field(None, max_length=500)


class EnvRead(BaseModel):
    tube_id: str
    place_kind: EnvPlace
    place_ref: str | None
    sampled_at: datetime
    result: str | None


class RetestRead(BaseModel):
    id: int
    person_id: str
    reason: RetestReason
    single: bool
    origin_tube_id: str
    status: RetestStatus
    result: str | None
    created_at: datetime

    @classmethod
    def of(cls, r) -> RetestRead:
        return cls(id=r.id, person_id=r.person.person_id, reason=r.reason, single=r.single,
                   origin_tube_id=r.origin.tube_id, status=r.status, result=r.result, created_at=r.created_at)


class ConflictRead(BaseModel):
    id: int
    tube_id: str
    stored_result: str | None
    new_result: str
    source: str | None
    line: int | None
    status: ConflictStatus
    resolution: str | None

    @classmethod
    def of(cls, c) -> ConflictRead:
        return cls(id=c.id, tube_id=c.tube.tube_id, stored_result=c.stored_result, new_result=c.new_result,
                   source=c.source, line=c.line, status=c.status, resolution=c.resolution)


class ResolveIn(BaseModel):
    result: Result
    reviewer: str | None = Field(None, max_length=100, description="ignored: the signed-in user decides")


class LabShareRead(BaseModel):
    lab_id: str
    capacity: int
    tubes: int
    hours: float


class PlanRead(BaseModel):
    persons: int
    single_tube_persons: int
    prevalence: float
    optimal_k: int
    optimal_tests_per_person: float
    pool_size: int
    tests_per_person: float
    first_tubes: int
    expected_retests: float
    expected_tests: float
    points: int
    points_recommended: int
    capacity_per_day: int
    lab_days: float
    sampling_hours: float
    hours: float
    target_hours: float
    meets_target: bool
    labs: list[LabShareRead]
    warnings: list[str]

    @classmethod
    def of(cls, p) -> PlanRead:
        fields = {k: getattr(p, k) for k in cls.model_fields if k not in ("labs", "warnings", "meets_target")}
        return cls(**fields, meets_target=p.meets_target, warnings=list(p.warnings),
                   labs=[LabShareRead(lab_id=s.lab_id, capacity=s.capacity, tubes=s.tubes, hours=s.hours)
                         for s in p.labs])
