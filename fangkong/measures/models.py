"""Tables of the measures domain: measure (one active per person) and test_task (its scheduled tests)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["Measure", "TestTask", "TEST_RESULTS"]

TEST_RESULTS = ("pending", "negative", "positive", "suspected", "invalid")


class Measure(Base):
    __tablename__ = "measure"
    # the board and the codes look up "the active measure of this person": one index for both columns
    __table_args__ = (Index("ix_measure_person_status", "person_fk", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    case_fk: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    risk_person_fk: Mapped[int | None] = mapped_column(ForeignKey("risk_person.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    then_kind: Mapped[str | None] = mapped_column(String(30))
    place: Mapped[str] = mapped_column(String(20))
    last_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    phase_end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: active → replaced (by a stricter or longer measure) | became_case | released
    status: Mapped[str] = mapped_column(String(20), index=True, default="active")
    edition: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person = relationship("Person", lazy="joined")
    tests = relationship("TestTask", back_populates="measure", order_by="TestTask.due_date")


class TestTask(Base):
    __tablename__ = "test_task"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_fk: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    result: Mapped[str] = mapped_column(String(20), default="pending")
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    measure = relationship("Measure", back_populates="tests")
