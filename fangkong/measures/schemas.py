"""API shapes of measures and their tests."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

__all__ = ["MeasureRead", "TestRead"]


class TestRead(BaseModel):
    __test__ = False
    id: int
    due_date: date
    result: str
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
    status: str
    edition: str
    tests: list[TestRead]

    @classmethod
    def of(cls, m) -> MeasureRead:
        return cls(id=m.id, person_id=m.person.person_id, category=m.category, kind=m.kind, then_kind=m.then_kind,
                   place=m.place, last_exposure_at=m.last_exposure_at, start_at=m.start_at,
                   phase_end_at=m.phase_end_at, end_at=m.end_at, status=m.status, edition=m.edition,
                   tests=[TestRead(id=t.id, due_date=t.due_date, result=t.result, result_at=t.result_at)
                          for t in m.tests])
