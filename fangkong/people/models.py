"""Tables of the people domain: person (one per source key) and venue."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["Person", "Venue", "PERSON_FIELDS", "VENUE_FIELDS", "VENUE_KINDS"]

PERSON_FIELDS = ("person_id", "name", "id_number", "phone", "household_id", "community", "address",
                 "birth_date", "sex")
VENUE_FIELDS = ("venue_id", "name", "kind", "lat", "lon", "community")
VENUE_KINDS = ("school", "hotel", "restaurant", "shop", "office", "hospital", "transport", "testing_site",
               "residential", "other")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(11), index=True)
    household_id: Mapped[str | None] = mapped_column(String(64), index=True)
    community: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Venue(Base):
    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    community: Mapped[str | None] = mapped_column(String(32), index=True)
