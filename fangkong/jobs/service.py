"""Reading the jobs' state for the jobs page, the API and `fangkong jobs list`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.jobs.models import JobRun, RunStatus, ScheduledJob
from fangkong.jobs.runner import Job

__all__ = ["JobView", "job_views", "recent_failures"]


@dataclass
class JobView:
    name: str
    label: str
    schedule: str
    next_run_at: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_duration_s: float | None
    last_status: str | None
    last_error: str | None
    last_summary: dict | None
    runs: int
    failures: int
    failing_since: int
    running_by: str | None

    def as_json(self) -> dict:
        iso = lambda t: t.isoformat() if t else None  # noqa: E731
        return {"name": self.name, "schedule": self.schedule, "next_run_at": iso(self.next_run_at),
                "last_started_at": iso(self.last_started_at), "last_finished_at": iso(self.last_finished_at),
                "last_duration_s": self.last_duration_s, "last_status": self.last_status,
                "last_error": self.last_error, "last_summary": self.last_summary, "runs": self.runs,
                "failures": self.failures, "failing_since": self.failing_since, "running_by": self.running_by}


def job_views(session: Session, jobs: list[Job], *, now: datetime) -> list[JobView]:
    """Every job known to this version, with its row (a job never run yet has none until a worker starts)."""
    rows = {r.name: r for r in session.scalars(select(ScheduledJob))}
    out = []
    for job in jobs:
        r = rows.get(job.name)
        running = r.lease_owner if r is not None and r.lease_until is not None and r.lease_until > now else None
        out.append(JobView(job.name, job.label, job.spec.describe(), r and r.next_run_at, r and r.last_started_at,
                           r and r.last_finished_at, r and r.last_duration_s, r and r.last_status,
                           r and r.last_error, r and r.last_summary, r.runs if r else 0, r.failures if r else 0,
                           r.failing_since if r else 0, running))
    return out


def recent_failures(session: Session, *, limit: int = 20) -> list[JobRun]:
    """The latest failed runs, newest first."""
    return list(session.scalars(select(JobRun).where(JobRun.status == RunStatus.FAILED)
                                .order_by(JobRun.started_at.desc()).limit(limit)))
