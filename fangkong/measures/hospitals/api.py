"""HTTP routes of designated hospitals: beds, admission and discharge of cases, the escalation plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from fangkong.cases import service as case_service
from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.deps import SessionDep
from fangkong.measures.hospitals import service as hospitals
from fangkong.protocol.hospitals import DischargeSample
from fangkong.protocol.times import AwareHappened

router = APIRouter(tags=["hospitals"])
Key = Field(min_length=1, max_length=32, pattern=r"^[\w-]+$")


class HospitalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hospital_id: str = Key
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(min_length=2, max_length=32, pattern=r"^\d+$")
    beds: int = Field(ge=0, le=100_000)
    negative_pressure_beds: int = Field(0, ge=0, le=100_000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    designated: bool = True


class HospitalRead(BaseModel):
    hospital_id: str
    name: str
    jurisdiction: str
    designated: bool
    beds: int
    beds_used: int
    negative_pressure_beds: int
    negative_pressure_used: int

    @classmethod
    def of(cls, b: hospitals.HospitalBeds) -> HospitalRead:
        h = b.hospital
        return cls(hospital_id=h.hospital_id, name=h.name, jurisdiction=h.jurisdiction, designated=h.designated,
                   beds=h.beds, beds_used=b.used, negative_pressure_beds=h.negative_pressure_beds,
                   negative_pressure_used=b.negative_pressure_used)


class Admission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hospital_id: str = Key
    negative_pressure: bool = False
    at: AwareHappened | None = None


class DischargeSampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sampled_at: AwareHappened
    #: the lower of the N and ORF1ab Ct values; null = no amplification
    ct: float | None = Field(default=None, ge=0, le=60)


class Discharge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareHappened | None = None
    #: the last samples of the stay (the edition's discharge criteria read them)
    samples: list[DischargeSampleIn] = Field(default_factory=list, max_length=20)


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=500)
    beds: int = Field(0, ge=0, le=100_000)


class StepRead(BaseModel):
    threshold: int
    action: str
    beds: int


class PlanRead(BaseModel):
    active_cases: int
    in_force: list[StepRead]
    next_step: StepRead | None
    cases_to_next: int | None


def _read(session, hospital_id: str) -> HospitalRead:
    return HospitalRead.of(next(b for b in hospitals.hospital_beds(session) if b.hospital.hospital_id == hospital_id))


def _when(at):
    now = utcnow()
    if at is not None and at > now:
        raise InvalidInput("the time is in the future")
    return at or now


@router.post("/api/hospitals", response_model=HospitalRead, status_code=201)
def add_hospital(session: SessionDep, body: HospitalCreate):
    h = hospitals.add_hospital(session, body.hospital_id, name=body.name, jurisdiction=body.jurisdiction,
                               beds=body.beds, negative_pressure_beds=body.negative_pressure_beds, lat=body.lat,
                               lon=body.lon, designated=body.designated)
    return _read(session, h.hospital_id)


@router.get("/api/hospitals", response_model=list[HospitalRead])
def list_hospitals(session: SessionDep):
    return [HospitalRead.of(b) for b in hospitals.hospital_beds(session)]


@router.get("/api/hospitals/plan", response_model=PlanRead)
def read_plan(session: SessionDep):
    """Active cases, the escalation steps in force and the next one (seed 003's plan until one is set)."""
    return PlanRead(**hospitals.state_of(hospitals.plan(session)))


@router.put("/api/hospitals/plan/{threshold}", response_model=PlanRead)
def set_step(session: SessionDep, threshold: Annotated[int, Path(ge=0, le=10_000_000)], body: StepIn):
    hospitals.set_step(session, threshold, action=body.action, beds=body.beds)
    session.flush()
    return PlanRead(**hospitals.state_of(hospitals.plan(session)))


@router.delete("/api/hospitals/plan/{threshold}", response_model=PlanRead)
def remove_step(session: SessionDep, threshold: Annotated[int, Path(ge=0, le=10_000_000)]):
    hospitals.remove_step(session, threshold)
    session.flush()
    return PlanRead(**hospitals.state_of(hospitals.plan(session)))


@router.post("/api/cases/{case_id}/admit", response_model=HospitalRead)
def admit(session: SessionDep, case_id: Annotated[str, Path(max_length=20)], body: Admission):
    """Admit a case to a designated hospital; 409 when it is full."""
    h = hospitals.get_hospital(session, body.hospital_id)
    hospitals.admit(session, case_service.get_case(session, case_id), h, at=_when(body.at),
                    negative_pressure=body.negative_pressure)
    return _read(session, h.hospital_id)


@router.post("/api/cases/{case_id}/discharge", response_model=HospitalRead)
def discharge(session: SessionDep, case_id: Annotated[str, Path(max_length=20)], body: Discharge):
    a = hospitals.discharge(session, case_service.get_case(session, case_id), at=_when(body.at),
                            samples=[DischargeSample(x.sampled_at, x.ct) for x in body.samples])
    session.flush()
    return _read(session, a.hospital.hospital_id)
