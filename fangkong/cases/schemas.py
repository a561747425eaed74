"""API shapes of cases."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from fangkong.cases.models import CaseStatus
from fangkong.protocol.times import AwareHappened, HappenedDate

__all__ = ["CaseCreate", "CaseRead", "LakeVersion"]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=64)
    sampled_at: AwareHappened
    onset_date: HappenedDate | None = None
    isolated_at: AwareHappened | None = None
    last_negative_at: AwareHappened | None = None
    severity: str | None = Field(None, max_length=20)
    imported: bool = Field(False, description="an imported case (境外输入), e.g. found at the port of entry")


class LakeVersion(BaseModel):
    version: int | None = Field(description="the Delta version read (null: the table had no commit yet)")
    committed_at: datetime | None = Field(description="when that version was committed (null: left the log)")


class CaseRead(BaseModel):
    case_id: str
    person_id: str
    status: CaseStatus
    severity: str | None
    sampled_at: datetime
    onset_date: date | None
    isolated_at: datetime | None
    declared_at: datetime | None
    traced_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    imported: bool = False
    #: the lake's version of each table the last trace read, with its commit time (docs/lake.md, "Time travel")
    lake_versions: dict[str, LakeVersion] | None = None

    @classmethod
    def of(cls, c) -> CaseRead:
        return cls(case_id=c.case_no, person_id=c.person.person_id, status=c.status, severity=c.severity,
                   sampled_at=c.sampled_at, onset_date=c.onset_date, isolated_at=c.isolated_at,
                   declared_at=c.declared_at, traced_at=c.traced_at, window_start=c.window_start,
                   window_end=c.window_end, imported=bool(c.imported), lake_versions=c.lake_versions)


class CaseRuleOut(BaseModel):
    """Rule out a declared case (docs/rules.md, "A case ruled out after declaration")."""

    reason: str = Field(min_length=1, max_length=500)
