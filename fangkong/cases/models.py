"""The case table: one row per positive person, from suspected positive to declared case."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["CASE_STATUSES", "DECLARED", "Case", "CaseStatus"]


class CaseStatus(StrEnum):
    """suspected → (re-check) → confirmed | asymptomatic, or ruled_out"""

    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    ASYMPTOMATIC = "asymptomatic"
    RULED_OUT = "ruled_out"


CASE_STATUSES = tuple(m.value for m in CaseStatus)
DECLARED = (CaseStatus.CONFIRMED.value, CaseStatus.ASYMPTOMATIC.value)


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str | None] = mapped_column(String(20))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    onset_date: Mapped[date | None] = mapped_column(Date)
    isolated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_negative_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    placed_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    traced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edition: Mapped[str | None] = mapped_column(String(10))
    #: the lake's version each table was read at by the last trace, with its commit time:
    #: {"venue_visits": {"version": 12, "committed_at": ISO}, "cell_dwells": …} (lake.versions.stated)
    lake_versions: Mapped[dict | None] = mapped_column(JSONType)
    #: declared imported (境外输入) by the epidemiologist; a case found under an inbound traveller's measure is
    #: imported without it (reports.service)
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    person = relationship("Person", lazy="joined")
