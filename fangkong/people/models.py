"""Tables of the people domain: person (one per human), its further source keys and phones, match reviews,
merges, and venue."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["PERSON_FIELDS", "REVIEW_STATUSES", "VENUE_FIELDS", "VENUE_KINDS", "CommunityPeople", "MatchReview", "Person",
           "PersonMerge", "PersonPhone", "PersonSourceKey", "ReviewStatus", "Venue"]

PERSON_FIELDS = ("person_id", "name", "id_number", "phone", "household_id", "community", "address",
                 "birth_date", "sex")
VENUE_FIELDS = ("venue_id", "name", "kind", "lat", "lon", "community")
VENUE_KINDS = ("school", "hotel", "restaurant", "shop", "office", "hospital", "transport", "testing_site",
               "residential", "other")


class ReviewStatus(StrEnum):
    """A possible duplicate waits (open) until an analyst says same person (merged) or not (distinct)"""

    OPEN = "open"
    MERGED = "merged"
    DISTINCT = "distinct"


REVIEW_STATUSES = tuple(m.value for m in ReviewStatus)


class Person(Base):
    """One human. `person_id` is the source key it was first known by; its other keys are PersonSourceKey rows."""

    __tablename__ = "person"
    #: phone look-ups (a trace names tens of thousands of companion phones) answered from the index alone
    __table_args__ = (Index("ix_person_phone_holder", "phone", "id", "person_id", "household_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: the source system person_id came from (`fangkong import --source`); null = the default import
    source: Mapped[str | None] = mapped_column(String(40))
    #: indexed: the people search by name (issue 25)
    name: Mapped[str | None] = mapped_column(String(100), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(11))
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


class PersonSourceKey(Base):
    """A further source key of a person: linked on import (same ID number, or a match score) or by a merge."""

    __tablename__ = "person_source_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str | None] = mapped_column(String(40))
    #: unique together with person.person_id: venue scans and samples name a person by this key alone
    key: Mapped[str] = mapped_column(String(64), unique=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: the row as its source gave it (re-importing it changes nothing; different data is rejected)
    data: Mapped[dict] = mapped_column(JSONType)
    #: id_number | score | merge | analyst
    linked_by: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonPhone(Base):
    """A phone of a person beyond person.phone: a contact phone from another source (may be shared), or a
    real-name ownership with its validity (one owner at a time; carrier data follows it)."""

    __tablename__ = "person_phone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    owner: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: which source key or input said so
    source: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchReview(Base):
    """A grey-band match for an analyst: the new person `person_fk` may be `candidate_fk`."""

    __tablename__ = "match_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    candidate_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(12), default=ReviewStatus.OPEN, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityPeople(Base):
    """How many persons live in each community (people/counts.py): kept by every write that adds, removes or merges
    a person, so a testing round's expected count is read, not counted over the register (issue 25)."""

    __tablename__ = "community_people"

    #: Person.community, '' for the persons of no community
    community: Mapped[str] = mapped_column(String(32), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)


class PersonMerge(Base):
    """One merge, with everything needed to undo it (the merged record, each moved or set-aside row)."""

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(Integer, index=True)
    survivor_person_id: Mapped[str] = mapped_column(String(64))
    merged_id: Mapped[int] = mapped_column(Integer, index=True)
    merged_person_id: Mapped[str] = mapped_column(String(64), index=True)
    merged_row: Mapped[dict] = mapped_column(JSONType)
    moved: Mapped[dict] = mapped_column(JSONType)
    set_aside: Mapped[dict] = mapped_column(JSONType)
    review_fk: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(100))
