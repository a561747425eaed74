"""Tables of the scheduler: one row per job (its next run and the claim of whoever runs it), one per run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime

__all__ = ["InboxFile", "JobRun", "RunStatus", "ScheduledJob"]


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class ScheduledJob(Base):
    """A job's schedule and its claim. A worker runs a job only after one UPDATE moved `lease_until` from the
    past (or NULL) to the future with `next_run_at` past: on PostgreSQL the row is picked FOR UPDATE SKIP
    LOCKED and the UPDATE re-checks the row after any concurrent one; SQLite has one writer at a time. Either
    way one worker wins a due run."""

    __tablename__ = "scheduled_job"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who runs it now (host:pid:token) and until when the claim holds without a heartbeat
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_duration_s: Mapped[float | None] = mapped_column(Float)
    last_status: Mapped[str | None] = mapped_column(String(10))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_summary: Mapped[dict | None] = mapped_column(JSONType)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: failures in a row (0 after a success): the jobs page shows them in red
    failing_since: Mapped[int] = mapped_column(Integer, default=0)


class JobRun(Base):
    """One run of a job: who ran it, the scheduled instant it stood for, how it ended. One row per (job,
    scheduled instant): a run taken over after its worker died (its claim expired) is the same row, re-owned."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_name_started_at", "name", "started_at"),
                      UniqueConstraint("name", "scheduled_for", name="uq_job_run_name_scheduled_for"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    #: the next_run_at this run was claimed for (two workers never hold the same one)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    owner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.RUNNING)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict | None] = mapped_column(JSONType)


class InboxFile(Base):
    """One file taken from an inbox folder: what it held and what its import did."""

    __tablename__ = "inbox_file"
    __table_args__ = (UniqueConstraint("feed", "sha256", name="uq_inbox_file_feed_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: the file as a whole was refused (a missing column, not UTF-8 …)
    error: Mapped[str | None] = mapped_column(Text)
    archived_as: Mapped[str] = mapped_column(String(500))
