"""API shapes of regional assistance requests."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fangkong.assist.models import AssistDirection, AssistOutcome
from fangkong.contacts.models import CATEGORY_PATTERN
from fangkong.protocol.times import Happened

__all__ = ["OutboundIn", "OutcomeIn", "PersonIn", "PersonRead", "RequestIn", "RequestRead", "WithdrawIn"]


class PersonIn(BaseModel):
    name: str | None = Field(None, max_length=100)
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=11)
    last_exposure_at: Happened | None = Field(None, description="the last exposure the issuer states")
    category: str | None = Field(None, pattern=CATEGORY_PATTERN,
                                 description="the risk category stated for this person (else the reason's)")


class RequestIn(BaseModel):
    request_id: str = Field(min_length=1, max_length=64, description="the issuer's own reference")
    issuing_jurisdiction: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)
    persons: list[PersonIn] = Field(min_length=1, max_length=10_000)
    by: str | None = Field(None, max_length=100, description="ignored: the signed-in user acts (audited)")


class OutcomeIn(BaseModel):
    outcome: AssistOutcome
    at: Happened | None = None
    jurisdiction: str | None = Field(None, max_length=32, description="the verifier's community (checked)")
    note: str | None = Field(None, max_length=500)
    person_id: str | None = Field(None, min_length=1, max_length=64,
                                  description="found: the registered person it is (a row no one matched)")
    community: str | None = Field(None, pattern=r"^\d{6,12}$",
                                  description="found: register the person in this community (no one matched)")
    by: str | None = Field(None, max_length=100, description="ignored: the signed-in user acts (audited)")


class HandOverIn(BaseModel):
    community: str = Field(pattern=r"^\d{12}$", description="the community where the police located the person")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="the door check's version you saw")
    at: Happened | None = None


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why the issuer withdrew it (audited)")
    row: int | None = Field(None, ge=1, le=2**31 - 1, description="one person of the request; empty: all")
    at: Happened | None = None


class OutboundIn(BaseModel):
    home: str = Field(pattern=r"^\d{2,12}$", description="our jurisdiction code prefix, e.g. 1401")
    by: str | None = Field(None, max_length=100, description="ignored: the signed-in user acts (audited)")


class PersonRead(BaseModel):
    id: int
    name: str | None
    id_number: str | None = Field(description="masked")
    phone: str | None = Field(description="masked")
    person_id: str | None
    community: str | None
    last_exposure_at: datetime | None = None
    category: str | None = None
    task_id: int | None
    outcome: str | None
    outcome_at: datetime | None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None


class RequestRead(BaseModel):
    request_id: str
    direction: AssistDirection
    ref: str
    issuer: str
    recipient: str | None
    reason: str
    received_at: datetime
    persons: list[PersonRead]
