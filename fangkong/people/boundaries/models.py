"""The boundary table: one polygon set per jurisdiction code, imported from GeoJSON (docs/formats.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["BOUNDARY_LEVELS", "Boundary", "BoundaryLevel"]


class BoundaryLevel(StrEnum):
    """The administrative level, from the code's length (2, 4, 6, 9, 12 digits)"""

    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"


BOUNDARY_LEVELS = tuple(m.value for m in BoundaryLevel)


class Boundary(Base):
    """A jurisdiction's outline: a GeoJSON MultiPolygon (WGS 84), its bounding box, and where it came from.
    Geography is not personal data: every signed-in map reader sees the whole city's outlines."""

    __tablename__ = "boundary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the significant prefix of the administrative code (fangkong.protocol.roles.normalise_code)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    level: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(100))
    geometry: Mapped[dict] = mapped_column(JSONType)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
