"""API shapes of risk persons and traces (the trace follows FORMATS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from fangkong.kit import pii

__all__ = ["Evidence", "RiskPersonOverride", "RiskPersonRead", "TraceOut", "TraceRiskPerson"]

Category = Literal["close", "secondary", "companion", "overlap"]


class Evidence(BaseModel):
    kind: Literal["household", "venue", "grid"]
    via: str
    place: str
    start: str
    end: str


class TraceRiskPerson(BaseModel):
    person_id: str | None
    phone: str | None
    category: Category
    evidence: list[Evidence]

    @field_serializer("phone")
    def _masked(self, phone: str | None) -> str | None:  # masked unless this request unmasked (fangkong.kit.pii)
        return pii.phone(phone)


class TraceWindow(BaseModel):
    start: str
    end: str


class TraceOut(BaseModel):
    case_id: str
    edition: str
    window: TraceWindow
    risk_persons: list[TraceRiskPerson]


class RiskPersonRead(BaseModel):
    id: int
    case_id: str
    person_id: str | None
    phone_masked: str | None
    category: Category
    found_category: Category
    override_reason: str | None
    first_exposure_at: datetime
    last_exposure_at: datetime
    found_at: datetime
    placed_deadline_at: datetime | None
    evidence: list[Evidence]
    #: send it back with an override: a record changed since is refused with 409 and its current state
    version: int = 1

    @classmethod
    def of(cls, r) -> RiskPersonRead:
        return cls(id=r.id, case_id=r.case.case_no, person_id=r.person.person_id if r.person else None,
                   phone_masked=pii.phone(r.phone), category=r.category, found_category=r.found_category,
                   override_reason=r.override_reason, first_exposure_at=r.first_exposure_at,
                   last_exposure_at=r.last_exposure_at, found_at=r.found_at,
                   placed_deadline_at=r.placed_deadline_at, evidence=r.evidence, version=r.version or 1)


class RiskPersonOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category
    reason: str = Field(min_length=1, max_length=500)
    #: the version you read (GET /api/risk-persons): someone else's change since is refused with 409 and the
    #: current state. Without it the override still never mixes with a simultaneous one (one of them gets 409)
    version: int | None = Field(None, ge=1, le=2**31)
