"""Stored health codes (the latest per person) and their history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime

__all__ = ["WATCHED_TABLES", "CodeColour", "HealthCode", "HealthCodeChange", "StatusVersion"]


class CodeColour(StrEnum):
    """A health code's colour (protocol.codes.COLOURS, strictest first)"""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class HealthCode(Base):
    """The latest colour of a person; a person with no row has never been anything but green."""

    __tablename__ = "health_code"

    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    colour: Mapped[str] = mapped_column(String(10), index=True)
    reasons: Mapped[list] = mapped_column(JSONType)
    changes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HealthCodeChange(Base):
    __tablename__ = "health_code_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    colour: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


#: tables whose rows decide a health code (or whether a venue admits people): a write to any of them
#: changes the status version, which invalidates every process's code cache (codes/cache.py)
#: (not `person`: a code needs the person to exist, and a new one is simply not cached yet; leaving it out
#: keeps large person imports free of a trigger per row)
WATCHED_TABLES = ("venue", "case", "measure", "test_task", "zone", "zone_place", "zone_resident")


class StatusVersion(Base):
    """One row, bumped by database triggers on every write to WATCHED_TABLES (SQLite; PostgreSQL
    triggers send a NOTIFY instead, so writers never queue on this row)."""

    __tablename__ = "status_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    v: Mapped[int] = mapped_column(BigInteger)
