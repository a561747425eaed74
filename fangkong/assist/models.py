"""Tables of regional assistance requests (区域协查): a request, and one row per person it names."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow
from fangkong.zones.models import AreaRisk

__all__ = [
    "DIRECTIONS",
    "DIRECTION_PATTERN",
    "DRUG_CLASSES",
    "OUTCOMES",
    "RISK_LEVELS",
    "AreaRisk",
    "Arrival",
    "AssistDirection",
    "AssistOutcome",
    "AssistPerson",
    "AssistRequest",
    "DrugClass",
    "DrugPurchase",
    "FeverReport",
    "InboundArrival",
    "Vaccination",
]


class AssistDirection(StrEnum):
    """inbound: another jurisdiction asks us to find its people; outbound: we ask for people who live elsewhere"""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class AssistOutcome(StrEnum):
    """what the community found at the door (reported back to the issuer); `moved_away` = lives elsewhere now"""

    FOUND_PLACED = "found_placed"
    FOUND_NEGATIVE = "found_negative"
    NOT_FOUND = "not_found"
    MOVED_AWAY = "moved_away"
    WRONG_PERSON = "wrong_person"


class DrugClass(StrEnum):
    """四类药品: the four drug classes whose real-name purchases are reported"""

    ANTIPYRETIC = "antipyretic"
    COUGH = "cough"
    ANTIVIRAL = "antiviral"
    ANTIBIOTIC = "antibiotic"


DIRECTIONS = tuple(m.value for m in AssistDirection)
OUTCOMES = tuple(m.value for m in AssistOutcome)
DRUG_CLASSES = tuple(m.value for m in DrugClass)
RISK_LEVELS = tuple(m.value for m in AreaRisk)
DIRECTION_PATTERN = f"^({'|'.join(AssistDirection)})$"


class AssistRequest(Base):
    """One 协查函: inbound from another jurisdiction, or outbound from us for people who live elsewhere."""

    __tablename__ = "assist_request"
    __table_args__ = (UniqueConstraint("direction", "issuer", "ref", name="uq_assist_request_direction_issuer_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    direction: Mapped[str] = mapped_column(String(10), index=True)  # AssistDirection
    #: the issuer's own reference (request_id column of the CSV format)
    ref: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(64))
    #: the jurisdiction asked to act (outbound: the people's county code, or "" when only a phone is known)
    recipient: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    case_fk: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(100))

    persons = relationship("AssistPerson", back_populates="request", order_by="AssistPerson.id")


class AssistPerson(Base):
    __tablename__ = "assist_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_fk: Mapped[int] = mapped_column(ForeignKey("assist_request.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(11), index=True)
    #: the last exposure the issuer states (the period of the stated category's measure counts from it)
    last_exposure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the registered person matched by ID number, else by phone (inbound), or the risk person (outbound)
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: the community the person was routed to ("" when no registered person matched)
    community: Mapped[str | None] = mapped_column(String(32), index=True)
    #: the same-day verification task (inbound)
    task_fk: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # AssistOutcome
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    #: the risk category the issuer states for this person (close, secondary, companion, overlap); empty: the
    #: one the request's reason states (protocol.assist)
    category: Mapped[str | None] = mapped_column(String(20))
    #: the issuer withdrew this person from the request (sent by mistake): when, and why (audited)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))

    request = relationship("AssistRequest", back_populates="persons")
    person = relationship("Person", lazy="joined")


# -- other inputs (DOMAIN.md §9): arrivals from key areas, 四类药品 purchases, fever-clinic reports, vaccinations


class Arrival(Base):
    """A registered arrival from a key area (重点地区来返人员); the person gets the edition's arrival measure."""

    __tablename__ = "arrival"
    __table_args__ = (UniqueConstraint("person_fk", "arrived_at", name="uq_arrival_person_arrived_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    from_area: Mapped[str] = mapped_column(String(200))
    #: the area's risk level when the person left it: high / medium / low
    risk_level: Mapped[str] = mapped_column(String(10))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))


class InboundArrival(Base):
    """An inbound traveller (境外输入 arrival, 入境人员): the person gets the edition's `inbound` measure from entry
    (集中隔离 then home, with its tests); a case found while it is in force is imported (境外输入) in the bulletin."""

    __tablename__ = "inbound_arrival"
    __table_args__ = (UniqueConstraint("person_fk", "entered_at", name="uq_inbound_arrival_person_entered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: the country or region the traveller comes from
    from_country: Mapped[str] = mapped_column(String(100))
    #: 入境口岸: the port of entry (airport, land port), and the flight or vehicle
    port: Mapped[str | None] = mapped_column(String(100))
    flight: Mapped[str | None] = mapped_column(String(40))
    #: entry into the country: the measure's period counts from it
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))


class DrugPurchase(Base):
    """A real-name 四类药品 purchase (antipyretic, cough, antiviral, antibiotic), pushed to the buyer's
    community for a test within the deployment's deadline."""

    __tablename__ = "drug_purchase"
    __table_args__ = (UniqueConstraint("pharmacy", "id_number", "phone", "bought_at", "drug_class",
                                       name="uq_drug_purchase_pharmacy_id_number_phone_bought_at_drug_class"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pharmacy: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(11))
    drug_class: Mapped[str] = mapped_column(String(20))
    bought_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    task_fk: Mapped[int | None] = mapped_column(ForeignKey("task.id"))


class FeverReport(Base):
    """A fever-clinic visit reported by the clinic; the community follows the person up the same day."""

    __tablename__ = "fever_report"
    __table_args__ = (UniqueConstraint("clinic", "person_fk", "seen_at", name="uq_fever_report_clinic_person_seen"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic: Mapped[str] = mapped_column(String(200))
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    temperature: Mapped[float | None] = mapped_column()
    task_fk: Mapped[int | None] = mapped_column(ForeignKey("task.id"))


class Vaccination(Base):
    __tablename__ = "vaccination"
    __table_args__ = (UniqueConstraint("person_fk", "dose", name="uq_vaccination_person_dose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    dose: Mapped[int] = mapped_column(Integer)
    vaccinated_on: Mapped[date] = mapped_column(Date, index=True)
    product: Mapped[str | None] = mapped_column(String(100))
