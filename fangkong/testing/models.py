"""Tables of the testing domain: rounds, sampling points, labs, tubes, samples, results, re-tests, conflicts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["ENV_PLACES", "LAB_KINDS", "RESULT_FIELDS", "RETEST_REASONS", "ROUND_KINDS", "SAMPLE_FIELDS",
           "TUBE_KINDS", "ConflictStatus", "EnvPlace", "EnvironmentalSample", "Lab", "LabKind", "LabResult",
           "ResultConflict", "RetestReason", "RetestStatus", "RetestTask", "RoundKind", "RoundPoint", "RoundTally",
           "RoundTurnaround",
           "Sample", "SamplingPoint", "TestingRound", "Tube", "TubeKind"]


class RoundKind(StrEnum):
    """全员核酸, 三日三检, a zone's round, a key group's round (e.g. port workers daily)"""

    MASS = "mass"
    THREE_IN_THREE = "three_in_three"
    ZONE = "zone"
    KEY_GROUP = "key_group"


class TubeKind(StrEnum):
    SINGLE = "single"
    POOL = "pool"
    ENVIRONMENT = "environment"


class LabKind(StrEnum):
    OWN = "own"
    CONTRACTED = "contracted"


class RetestReason(StrEnum):
    POOL_POSITIVE = "pool_positive"
    RECHECK = "recheck"
    REPEAT = "repeat"
    RESAMPLE = "resample"


class EnvPlace(StrEnum):
    """物表: case homes, hotel (isolation) rooms, venues, transfer vehicles, imported goods (cold chain)"""

    CASE_HOME = "case_home"
    HOTEL_ROOM = "hotel_room"
    VENUE = "venue"
    VEHICLE = "vehicle"
    COLD_CHAIN = "cold_chain"
    OTHER = "other"


class RetestStatus(StrEnum):
    """open → done (a later tube of this person has a result) | cancelled (became a case)"""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ConflictStatus(StrEnum):
    """open → resolved (a person chose the result; audited)"""

    OPEN = "open"
    RESOLVED = "resolved"


ROUND_KINDS = tuple(m.value for m in RoundKind)
TUBE_KINDS = tuple(m.value for m in TubeKind)
LAB_KINDS = tuple(m.value for m in LabKind)
RETEST_REASONS = tuple(m.value for m in RetestReason)
ENV_PLACES = tuple(m.value for m in EnvPlace)
#: FORMATS.md columns
SAMPLE_FIELDS = ("tube_id", "person_id", "sampled_at", "point_id", "round_id")
RESULT_FIELDS = ("tube_id", "result", "ct_orf1ab", "ct_n", "lab_id", "received_at", "tested_at", "reported_at")


class TestingRound(Base):
    __tablename__ = "testing_round"
    __test__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: jurisdiction codes the round covers; empty = every registered person
    communities: Mapped[list] = mapped_column(JSONType)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    #: people per pooled tube for everyone outside the key groups (1 = every tube single)
    pool_size: Mapped[int] = mapped_column(Integer)
    single_tube_groups: Mapped[list] = mapped_column(JSONType)
    target_hours: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    points = relationship("SamplingPoint", secondary="round_point", order_by="SamplingPoint.point_id")


class SamplingPoint(Base):
    __tablename__ = "sampling_point"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    community: Mapped[str | None] = mapped_column(String(32), index=True)
    tables: Mapped[int] = mapped_column(Integer, default=1)


class RoundPoint(Base):
    __tablename__ = "round_point"

    round_fk: Mapped[int] = mapped_column(ForeignKey("testing_round.id"), primary_key=True)
    point_fk: Mapped[int] = mapped_column(ForeignKey("sampling_point.id"), primary_key=True)


class Lab(Base):
    __tablename__ = "lab"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    daily_capacity: Mapped[int] = mapped_column(Integer)


class Tube(Base):
    __tablename__ = "tube"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tube_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    members: Mapped[int] = mapped_column(Integer)
    round_fk: Mapped[int | None] = mapped_column(ForeignKey("testing_round.id"), index=True)
    point_id: Mapped[str | None] = mapped_column(String(64))
    #: when the tube was closed: its last swab (a result cannot be reported before it)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sample(Base):
    __tablename__ = "sample"
    #: a round's swabs at a few sampling points, counted again when they change (testing/tally.py)
    __table_args__ = (UniqueConstraint("tube_fk", "person_fk", name="uq_sample_tube_person"),
                      Index("ix_sample_round_point", "round_fk", "point_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tube_fk: Mapped[int] = mapped_column(ForeignKey("tube.id"))
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    point_id: Mapped[str | None] = mapped_column(String(64))
    #: testing_round.id, checked by the import (unknown round = row error); no per-row foreign-key check
    round_fk: Mapped[int | None] = mapped_column(Integer, index=True)


class LabResult(Base):
    __tablename__ = "lab_result"

    #: one result per tube: the tube is the key (a second, different result is a ResultConflict)
    tube_fk: Mapped[int] = mapped_column(ForeignKey("tube.id"), primary_key=True, autoincrement=False)
    result: Mapped[str] = mapped_column(String(16))
    ct_orf1ab: Mapped[float | None] = mapped_column(Float)
    ct_n: Mapped[float | None] = mapped_column(Float)
    #: lab.id, checked by the import (an unknown lab is a row error; labs are never deleted). No foreign key:
    #: a per-row check doubles the cost of a million-row COPY on PostgreSQL (bench/lab_import.py)
    lab_fk: Mapped[int | None] = mapped_column(Integer)
    #: 采送检报: the sample time is the tube's; these are the other three stages
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))


class EnvironmentalSample(Base):
    __tablename__ = "environmental_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tube_fk: Mapped[int] = mapped_column(ForeignKey("tube.id"), unique=True)
    place_kind: Mapped[str] = mapped_column(String(20))
    place_ref: Mapped[str | None] = mapped_column(String(200))
    case_fk: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(500))

    tube = relationship("Tube", lazy="joined")


class RetestTask(Base):
    """A person to sample again: singly after a reactive pool, the re-check (复核), a repeat, a re-sample."""

    __tablename__ = "retest_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    origin_tube_fk: Mapped[int] = mapped_column(ForeignKey("tube.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    single: Mapped[bool] = mapped_column(Boolean, default=True)
    #: RetestStatus
    status: Mapped[str] = mapped_column(String(12), index=True, default=RetestStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_tube_fk: Mapped[int | None] = mapped_column(ForeignKey("tube.id"))
    result: Mapped[str | None] = mapped_column(String(16))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person = relationship("Person", lazy="joined")
    origin = relationship("Tube", foreign_keys=[origin_tube_fk], lazy="joined")


class ResultConflict(Base):
    """A tube reported with two different results: kept for review, the stored result is never overwritten."""

    __tablename__ = "result_conflict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tube_fk: Mapped[int] = mapped_column(ForeignKey("tube.id"), index=True)
    stored_result: Mapped[str | None] = mapped_column(String(16))
    new_result: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(200))
    line: Mapped[int | None] = mapped_column(Integer)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ConflictStatus
    status: Mapped[str] = mapped_column(String(12), index=True, default=ConflictStatus.OPEN)
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tube = relationship("Tube", lazy="joined")


class RoundTally(Base):
    """A round's figures per sampling point (dim 'p') and per community of the sampled person (dim 'c'): the
    aggregates of progress.round_progress restricted to that point or community, kept by every write that
    changes them, in its own transaction (testing/tally.py). Distinct people and tubes are exact per row; the
    round's totals add them up (a person lives in one community, a tube is filled at one point)."""

    __tablename__ = "round_tally"

    round_fk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: 'p' (key: point_id) or 'c' (key: the person's community); '' for none
    dim: Mapped[str] = mapped_column(String(1), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sampled: Mapped[int] = mapped_column(Integer)
    tubes: Mapped[int] = mapped_column(Integer)
    results_in: Mapped[int] = mapped_column(Integer)
    reactive_tubes: Mapped[int] = mapped_column(Integer)
    reactive_people: Mapped[int] = mapped_column(Integer)


class RoundTurnaround(Base):
    """A round's turnaround per lab and stage (progress.turnaround), counted again by every write that adds a
    result to the round (testing/tally.py)."""

    __tablename__ = "round_turnaround"

    round_fk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    figures: Mapped[list] = mapped_column(JSONType)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
