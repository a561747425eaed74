"""API shapes of measures and their tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fangkong.measures.models import MeasureStatus, TestResult, VerificationOutcome
from fangkong.protocol.times import AwareHappened

__all__ = ["DecisionRead", "EscalateIn", "ExtendIn", "MeasureRead", "OutcomeIn", "ResultIn", "TestRead"]


class TestRead(BaseModel):
    __test__ = False
    id: int
    due_date: date
    result: TestResult
    result_at: datetime | None


class MeasureRead(BaseModel):
    id: int
    person_id: str
    category: str
    kind: str
    then_kind: str | None
    place: str
    last_exposure_at: datetime
    start_at: datetime
    phase_end_at: datetime
    end_at: datetime
    status: MeasureStatus
    edition: str
    tests: list[TestRead]
    #: send it back with an extension: a measure changed since is refused with 409 and its current state
    version: int = 1

    @classmethod
    def of(cls, m) -> MeasureRead:
        return cls(id=m.id, person_id=m.person.person_id, category=m.category, kind=m.kind, then_kind=m.then_kind,
                   place=m.place, last_exposure_at=m.last_exposure_at, start_at=m.start_at,
                   phase_end_at=m.phase_end_at, end_at=m.end_at, status=m.status, edition=m.edition,
                   tests=[TestRead(id=t.id, due_date=t.due_date, result=t.result, result_at=t.result_at)
                          for t in m.tests], version=m.version or 1)


class OutcomeIn(BaseModel):
    """A verifier's finding at the door (落地核查)."""

    model_config = ConfigDict(extra="forbid")
    outcome: VerificationOutcome
    #: the verifier's jurisdiction code: only the task's community (or a jurisdiction above it) may answer
    jurisdiction: str = Field(min_length=2, max_length=32, pattern=r"^\d+$")
    #: the task version the verifier read; a stale one is refused with 409 and the current state
    version: int = Field(ge=1, le=2**31)
    at: AwareHappened | None = None
    to_community: str | None = Field(None, min_length=6, max_length=12, pattern=r"^\d+$")
    note: str | None = Field(None, max_length=500)


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exposure_at: AwareHappened
    reason: str = Field(min_length=1, max_length=500)
    #: the version you read: a measure changed since is refused with 409 and its current state
    version: int | None = Field(None, ge=1, le=2**31)


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    result: Literal["negative", "positive", "suspected", "invalid"]
    at: AwareHappened | None = None


class DecisionRead(BaseModel):
    action: str
    reason: str
    measure: MeasureRead | None = None
