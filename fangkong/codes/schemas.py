"""API shapes of health codes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["CodeRead", "CodeReason", "ScanIn", "ScanRead", "TwoCodeIn", "TwoCodeRead"]


class CodeReason(BaseModel):
    label: str
    until: str | None


class CodeRead(BaseModel):
    person_id: str
    colour: Literal["red", "yellow", "green"]
    reasons: list[CodeReason]
    changes_at: datetime | None
    computed_at: datetime


class ScanIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)
    venue_id: str = Field(min_length=1, max_length=64)
    at: datetime | None = Field(None, description="scan time (default now); without offset: the deployment's zone")


class ScanRead(BaseModel):
    person_id: str
    venue_id: str
    at: datetime
    colour: Literal["red", "yellow", "green"]
    entry_allowed: bool
    reasons: list[str]


class TwoCodeIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)
    at: datetime | None = Field(None, description="check time (default now)")


class TwoCodeRead(BaseModel):
    person_id: str
    at: datetime
    passed: bool
    colour: Literal["red", "yellow", "green"]
    reasons: list[str] = Field(description="why it failed: code:<colour>, risk_city:<city>, no_travel_card, "
                                           "no_negative_test_48h")
    code_reasons: list[str]
    travel_card: list[dict]
    negative_test_at: datetime | None
