"""Tables of the measures domain: measures and their tests, isolation sites and rooms, hospitals, check-ins."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["END_REASONS", "SITE_STATUSES", "SOURCE_KINDS", "STAFF_ROLES", "TEST_RESULTS", "CheckIn",
           "EndReason", "EscalationStep", "Hospital", "HospitalAdmission", "IsolationSite", "Measure",
           "MeasureCategory", "MeasureStatus", "Room", "RoomStay", "SiteStaff", "SiteStatus", "SourceKind",
           "StaffRole", "TestResult", "TestTask", "VerificationOutcome"]

class SiteStatus(StrEnum):
    """preparing (being fitted out) → open (takes people) → closed; only open sites get new people"""

    PREPARING = "preparing"
    OPEN = "open"
    CLOSED = "closed"


class StaffRole(StrEnum):
    MANAGER = "manager"
    MEDICAL = "medical"
    SECURITY = "security"
    CLEANING = "cleaning"
    LOGISTICS = "logistics"


class TestResult(StrEnum):
    __test__ = False  # a vocabulary, not a pytest test class

    PENDING = "pending"
    NEGATIVE = "negative"
    POSITIVE = "positive"
    SUSPECTED = "suspected"
    INVALID = "invalid"


class SourceKind(StrEnum):
    """What an obligation comes from: a case's trace (contact link), a zone, a pooled tube, an assistance
    request, an arrival registration, a hospital discharge"""

    CONTACT = "contact"
    ZONE = "zone"
    TUBE = "tube"
    REQUEST = "request"
    ARRIVAL = "arrival"
    DISCHARGE = "discharge"


class MeasureCategory(StrEnum):
    """A measure's category beside the four contact categories (RiskCategory): the edition's measure
    ([measures.*]) of a person no trace found (an arrival from a risk area, a sealed zone's resident, a
    discharged case, an inbound traveller), and the hold of a pooled tube's members"""

    ARRIVAL_HIGH = "arrival_high"
    ARRIVAL_MEDIUM = "arrival_medium"
    ARRIVAL_LOW = "arrival_low"
    SEALED_RESIDENT = "sealed_resident"
    POST_DISCHARGE = "post_discharge"
    INBOUND = "inbound"
    POOL_MEMBER = "pool_member"


class EndReason(StrEnum):
    """Why an obligation ended (`status` keeps the older, coarser word: MeasureStatus)"""

    RELEASED = "released"
    REPLACED = "replaced"
    ESCALATED = "escalated"
    EXTENDED = "extended"
    UPGRADED = "upgraded"
    STEPPED_DOWN = "stepped_down"
    BECAME_CASE = "became_case"
    WITHDRAWN = "withdrawn"
    ZONE_LIFTED = "zone_lifted"
    RETEST_NEGATIVE = "retest_negative"
    #: its source case was ruled out after declaration (a false positive, the wrong person): docs/rules.md
    SOURCE_RULED_OUT = "source_ruled_out"


class MeasureStatus(StrEnum):
    """active → replaced (by its successor: escalated, extended, upgraded, stepped down) | became_case |
    released | withdrawn; `active` exactly while `ended_at` is empty"""

    ACTIVE = "active"
    REPLACED = "replaced"
    BECAME_CASE = "became_case"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


class VerificationOutcome(StrEnum):
    """What a verifier found at the door (落地核查): the person placed under their measure, moved to another
    community (the task is forwarded there), not found, or not the person named (the measure is withdrawn)"""

    FOUND_PLACED = "found_placed"
    MOVED = "moved"
    NOT_FOUND = "not_found"
    WRONG_PERSON = "wrong_person"


SITE_STATUSES = tuple(m.value for m in SiteStatus)
STAFF_ROLES = tuple(m.value for m in StaffRole)
TEST_RESULTS = tuple(m.value for m in TestResult)
SOURCE_KINDS = tuple(m.value for m in SourceKind)
END_REASONS = tuple(m.value for m in EndReason)


class Measure(Base):
    __tablename__ = "measure"
    # the board and the codes look up "the active measure of this person": one index for both columns
    __table_args__ = (Index("ix_measure_person_status", "person_fk", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    case_fk: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    #: indexed: deleting a case's risk persons (a re-trace) sets this to NULL, found by the index
    risk_person_fk: Mapped[int | None] = mapped_column(ForeignKey("risk_person.id", ondelete="SET NULL"),
                                                       index=True)
    category: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    then_kind: Mapped[str | None] = mapped_column(String(30))
    place: Mapped[str] = mapped_column(String(20))
    last_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    phase_end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: MeasureStatus; `active` exactly while `ended_at` is empty
    status: Mapped[str] = mapped_column(String(20), index=True, default=MeasureStatus.ACTIVE)
    edition: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: what placed the obligation (SOURCE_KINDS) and its key there (case no., zone id, tube id, request id)
    source_kind: Mapped[str | None] = mapped_column(String(20))
    source_ref: Mapped[str | None] = mapped_column(String(64))
    #: the instant the obligation actually ended (null while in force); `end_at` is its nominal end
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    #: its end needs results (every scheduled test negative): it never ends by time alone
    needs_results: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: optimistic locking: two extensions, releases or escalations of one measure at once cannot both land
    #: (two successors, or a released measure extended); bulk-stored rows get the server default
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    person = relationship("Person", lazy="joined")
    tests = relationship("TestTask", back_populates="measure", order_by="TestTask.due_date")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TestTask(Base):
    __tablename__ = "test_task"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_fk: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    result: Mapped[str] = mapped_column(String(20), default=TestResult.PENDING)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the invalid test this one re-samples (its result stands for that test's)
    resample_of: Mapped[int | None] = mapped_column(ForeignKey("test_task.id"), index=True)

    measure = relationship("Measure", back_populates="tests")


class IsolationSite(Base):
    """集中隔离点: rooms for one person each (a household may share), with its 三区两通道 layout flag."""

    __tablename__ = "isolation_site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: jurisdiction code of the site (a district: 140105); the reserve check counts rooms by it
    jurisdiction: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    #: 三区两通道: clean / buffer / contaminated zones with separate staff and resident passages
    three_zones_two_channels: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=SiteStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rooms = relationship("Room", back_populates="site", order_by="Room.room_no")
    staff = relationship("SiteStaff", order_by="SiteStaff.id")


class SiteStaff(Base):
    __tablename__ = "site_staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_fk: Mapped[int] = mapped_column(ForeignKey("isolation_site.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(11))


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("site_fk", "room_no", name="uq_room_site_room_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_fk: Mapped[int] = mapped_column(ForeignKey("isolation_site.id"), index=True)
    room_no: Mapped[str] = mapped_column(String(20))
    beds: Mapped[int] = mapped_column(Integer, default=1)
    in_service: Mapped[bool] = mapped_column(Boolean, default=True)
    #: who the room is for while occupied: a household id, or "p:<person_id>" for one person alone
    household_key: Mapped[str | None] = mapped_column(String(80))
    occupants: Mapped[int] = mapped_column(Integer, default=0, index=True)
    #: optimistic locking: two assignments of the same free room cannot both succeed
    version: Mapped[int] = mapped_column(Integer, default=1)

    site = relationship("IsolationSite", back_populates="rooms")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RoomStay(Base):
    """One person in one room, from assignment to leaving; open while `left_at` is empty."""

    __tablename__ = "room_stay"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_fk: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    measure_fk: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    room = relationship("Room", lazy="joined")
    person = relationship("Person", lazy="joined")
    measure = relationship("Measure")


class Hospital(Base):
    """定点医院: designated hospitals with their beds and negative-pressure beds."""

    __tablename__ = "hospital"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hospital_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(32), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    designated: Mapped[bool] = mapped_column(Boolean, default=True)
    beds: Mapped[int] = mapped_column(Integer, default=0)
    negative_pressure_beds: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HospitalAdmission(Base):
    __tablename__ = "hospital_admission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_fk: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    hospital_fk: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    negative_pressure: Mapped[bool] = mapped_column(Boolean, default=False)
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    hospital = relationship("Hospital", lazy="joined")
    case = relationship("Case", lazy="joined")


class EscalationStep(Base):
    """One step of the hospital escalation plan: when active cases exceed `threshold`, do `action`."""

    __tablename__ = "escalation_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer, unique=True)
    action: Mapped[str] = mapped_column(String(500))
    hospital_fk: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"))
    beds: Mapped[int] = mapped_column(Integer, default=0)


class CheckIn(Base):
    """A daily health check-in (temperature, symptoms) by a person under a measure."""

    __tablename__ = "check_in"
    __table_args__ = (UniqueConstraint("measure_fk", "day", name="uq_check_in_measure_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_fk: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    temperature: Mapped[float | None] = mapped_column(Float)
    symptoms: Mapped[list] = mapped_column(JSONType, default=list)
    alert: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    measure = relationship("Measure")
