"""Tables of regional assistance requests (区域协查): a request, and one row per person it names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["AssistRequest", "AssistPerson", "DIRECTIONS", "OUTCOMES"]

DIRECTIONS = ("inbound", "outbound")
#: what the community found at the door (reported back to the issuer); `moved_away` = lives elsewhere now
OUTCOMES = ("found_placed", "found_negative", "not_found", "moved_away", "wrong_person")


class AssistRequest(Base):
    """One 协查函: inbound from another jurisdiction, or outbound from us for people who live elsewhere."""

    __tablename__ = "assist_request"
    __table_args__ = (UniqueConstraint("direction", "issuer", "ref", name="uq_assist_request_direction_issuer_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    direction: Mapped[str] = mapped_column(String(10), index=True)
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
    #: the registered person matched by ID number, else by phone (inbound), or the risk person (outbound)
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: the community the person was routed to ("" when no registered person matched)
    community: Mapped[str | None] = mapped_column(String(32), index=True)
    #: the same-day verification task (inbound)
    task_fk: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))

    request = relationship("AssistRequest", back_populates="persons")
    person = relationship("Person", lazy="joined")
