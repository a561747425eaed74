"""API shapes of isolation sites, rooms, the reserve check and the free-room forecast."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass

from fangkong.measures.sites.capacity import SiteOccupancy
from fangkong.protocol.times import AwareHappened

__all__ = ["SiteCreate", "SiteUpdate", "RoomsAdd", "StaffAdd", "SiteRead", "ReserveRead", "ForecastDay",
           "RoomAssign", "StayRead", "AssignReportRead", "Arrival"]

Code = Field(min_length=2, max_length=32, pattern=r"^\d+$")
Key = Field(min_length=1, max_length=32, pattern=r"^[\w-]+$")


class SiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site_id: str = Key
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Code
    address: str | None = Field(None, max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    three_zones_two_channels: bool = False
    status: Literal["preparing", "open", "closed"] = "open"
    rooms: int = Field(0, ge=0, le=5000)
    beds: int = Field(1, ge=1, le=10)


class SiteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["preparing", "open", "closed"] | None = None
    three_zones_two_channels: bool | None = None


class RoomsAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, le=5000)
    beds: int = Field(1, ge=1, le=10)


class StaffAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: Literal["manager", "medical", "security", "cleaning", "logistics"]
    phone: str | None = Field(None, pattern=r"^1\d{10}$")


@dataclass
class SiteRead(SiteOccupancy):
    """A site's occupancy as the API answers it: capacity.SiteOccupancy's fields, validated."""


class ReserveRead(BaseModel):
    jurisdiction: str
    residents: int
    rooms: int
    needed: int
    per_10k: float | None
    target_per_10k: float
    warning: str | None


class ForecastDay(BaseModel):
    day: date
    free_rooms: int


class RoomAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure_id: int = Field(ge=1, le=2**31 - 1)
    site_id: str = Key
    room_no: str = Field(min_length=1, max_length=20)


class StayRead(BaseModel):
    person_id: str
    measure_id: int
    site_id: str
    room_no: str
    assigned_at: datetime
    arrived_at: datetime | None
    left_at: datetime | None


class AssignReportRead(BaseModel):
    assigned: int
    no_room: int
    by_site: dict[str, int]


class Arrival(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(min_length=1, max_length=64)
    at: AwareHappened | None = None
