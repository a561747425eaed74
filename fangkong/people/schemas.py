"""API shapes of the people domain: persons with their keys and phones, match reviews, merges."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fangkong.protocol.times import Happened, Planned

__all__ = ["PersonRead", "PhoneRead", "KeyRead", "ReviewRead", "ReviewDecision", "MergeIn", "MergeRead",
           "PhoneOwnerIn", "UnmergeIn"]

PersonKey = Field(min_length=1, max_length=64)
By = Field(None, max_length=100, description="ignored: the signed-in user acts (audited)")


class KeyRead(BaseModel):
    key: str
    source: str | None
    linked_by: str
    score: float | None = None


class PhoneRead(BaseModel):
    phone: str
    owner: bool
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    source: str | None = None


class PersonRead(BaseModel):
    """Masked by default (DOMAIN.md §11)."""

    person_id: str
    source: str | None
    name: str | None
    id_number: str | None
    phone: str | None
    birth_date: date | None
    sex: str | None
    community: str | None
    keys: list[KeyRead]
    phones: list[PhoneRead]


class ReviewRead(BaseModel):
    id: int
    key: str
    status: str
    score: float
    evidence: dict
    person: PersonRead | None
    candidate: PersonRead | None
    decided_by: str | None = None
    decided_at: datetime | None = None


class ReviewDecision(BaseModel):
    decision: str = Field(pattern="^(merge|distinct)$")
    by: str | None = By
    reason: str = Field("", max_length=500)


class MergeIn(BaseModel):
    survivor: str = PersonKey
    merged: str = PersonKey
    by: str | None = By
    reason: str = Field(min_length=1, max_length=500)


class UnmergeIn(BaseModel):
    by: str | None = By


class MergeRead(BaseModel):
    id: int
    survivor: str
    merged: str
    reason: str
    actor: str
    at: datetime
    moved: dict[str, int]
    set_aside: dict[str, int]
    undone_at: datetime | None = None
    undone_by: str | None = None


class PhoneOwnerIn(BaseModel):
    phone: str = Field(pattern=r"^1\d{10}$")
    valid_from: Happened | None = None
    valid_to: Planned | None = None
    by: str | None = By
