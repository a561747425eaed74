"""Tables of the reports domain: each issued bulletin, kept as issued (a correction is a new version)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime

__all__ = ["IssuedBulletin"]


class IssuedBulletin(Base):
    """The bulletin of one day as it was issued: its text in both languages and its figures, never changed.

    Version 1 is the bulletin; a later version is a correction (更正), issued with its reason. Each
    jurisdiction issues its own ("" = the whole deployment)."""

    __tablename__ = "issued_bulletin"
    __table_args__ = (UniqueConstraint("jurisdiction", "day", "version", name="uq_issued_bulletin_day_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(12), default="")
    day: Mapped[date] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict] = mapped_column(JSONType)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(100))
    #: why a correction was issued (None for version 1)
    reason: Mapped[str | None] = mapped_column(String(500))
