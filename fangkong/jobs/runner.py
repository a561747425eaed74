"""Claiming, running and recording scheduled jobs, and the loop that does it in `fangkong serve` and `fangkong worker`.

Why our own claim row and not a scheduler library: APScheduler 3.x keeps its jobs in SQLAlchemy but says itself that
a job store shared by several schedulers is not supported (two may fire the same job), APScheduler 4 is not
released, procrastinate needs PostgreSQL and dramatiq a broker (Redis, RabbitMQ). A due job here is claimed by
one UPDATE of its row (`scheduled_job`): `next_run_at <= now AND (lease_until IS NULL OR lease_until < now)`.
On PostgreSQL the row is picked `FOR UPDATE SKIP LOCKED` (a worker never waits on another's claim) and the UPDATE
re-checks the condition after any concurrent one (READ COMMITTED); SQLite has one writer at a time. One worker
wins each due run; the claim holds `lease` seconds and is renewed by a heartbeat while the job runs, so a worker
killed mid-job loses it and the job runs again (jobs are idempotent). A job past due when a worker starts (the
office was down at 03:30) runs at once, once: missed runs are coalesced (protocol.schedule.next_run).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fangkong.db.core import session_scope, utcnow
from fangkong.db.migrate import ensure_current
from fangkong.jobs.models import JobRun, RunStatus, ScheduledJob
from fangkong.protocol.schedule import Every, Spec, next_run
from fangkong.settings import Settings, get_settings

__all__ = ["Job", "Scheduler", "claim", "ensure_jobs", "owner_id", "run_due", "run_job"]

log = logging.getLogger("fangkong.jobs")

#: a failed run is tried again after this long at most (a night job does not wait for the next night)
RETRY_S = 300.0


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name (the row's key), when it runs, and what it does (returns a summary)."""

    name: str
    spec: Spec
    run: Callable[[Settings, datetime], dict] = field(compare=False)
    #: i18n key of its label on the jobs page
    label: str = ""


def owner_id() -> str:
    """This process, as written into the claims it holds (host:pid:random)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def ensure_jobs(session: Session, jobs: list[Job], *, now: datetime, settings: Settings) -> None:
    """A row per job, made once: an interval job is due at once, a night job at its next time. Two workers
    starting together may both try: the row is inserted with ON CONFLICT DO NOTHING."""
    have = set(session.scalars(select(ScheduledJob.name)))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for job in jobs:
        if job.name in have:
            continue
        first = now if isinstance(job.spec, Every) else next_run(job.spec, now, settings.zone)
        session.execute(insert(ScheduledJob).values(name=job.name, next_run_at=first, runs=0, failures=0,
                                                    failing_since=0).on_conflict_do_nothing())


def _due(name: str, now: datetime):
    return and_(ScheduledJob.name == name, ScheduledJob.next_run_at <= now,
                or_(ScheduledJob.lease_until.is_(None), ScheduledJob.lease_until < now))


def claim(session: Session, name: str, *, owner: str, now: datetime, lease_s: float) -> datetime | None:
    """Claim the job's due run for `owner`: the scheduled instant it stands for, or None (not due, or held)."""
    cond = _due(name, now)
    if session.get_bind().dialect.name == "postgresql":
        picked = select(ScheduledJob.name).where(cond).with_for_update(skip_locked=True).scalar_subquery()
        cond = and_(cond, ScheduledJob.name.in_(picked))
    row = session.execute(update(ScheduledJob).where(cond)
                          .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s),
                                  last_started_at=now)
                          .returning(ScheduledJob.next_run_at)
                          .execution_options(synchronize_session=False)).first()
    if row is None:
        return None
    scheduled_for = row[0]
    run = session.scalar(select(JobRun).where(JobRun.name == name, JobRun.scheduled_for == scheduled_for))
    if run is None:
        session.add(JobRun(name=name, scheduled_for=scheduled_for, owner=owner, started_at=now,
                           status=RunStatus.RUNNING))
    else:   # its worker died mid-run (the claim expired): this worker runs it again, as the same run
        run.error = f"taken over from {run.owner} (its claim expired)"
        run.owner, run.started_at, run.status, run.finished_at = owner, now, RunStatus.RUNNING, None
    return scheduled_for


def _renew(name: str, owner: str, lease_s: float, stop: threading.Event) -> None:
    """Heartbeat: keep the claim while the job runs (a third of the lease at a time)."""
    while not stop.wait(lease_s / 3):
        try:
            with session_scope() as session:
                session.execute(update(ScheduledJob)
                                .where(ScheduledJob.name == name, ScheduledJob.lease_owner == owner)
                                .values(lease_until=utcnow() + timedelta(seconds=lease_s))
                                .execution_options(synchronize_session=False))
        except Exception:  # noqa: BLE001 - a missed beat only shortens the claim; the job goes on
            log.exception("job %s: could not renew its claim", name)


def _finish(job: Job, *, owner: str, scheduled_for: datetime, started: float, status: str, error: str | None,
            summary: dict | None, settings: Settings) -> None:
    end = utcnow()
    nxt = next_run(job.spec, end, settings.zone)
    if status == RunStatus.FAILED:
        nxt = min(nxt, end + timedelta(seconds=RETRY_S))
    duration = time.monotonic() - started
    with session_scope() as session:
        state = session.get(ScheduledJob, job.name)
        if state is not None and state.lease_owner == owner:
            state.lease_owner = state.lease_until = None
            state.next_run_at = nxt
        if state is not None:
            state.last_finished_at, state.last_duration_s = end, duration
            state.last_status, state.last_error, state.last_summary = status, error, summary
            state.runs += 1
            state.failures += status == RunStatus.FAILED
            state.failing_since = state.failing_since + 1 if status == RunStatus.FAILED else 0
        run = session.scalar(select(JobRun).where(JobRun.name == job.name, JobRun.scheduled_for == scheduled_for))
        if run is not None and run.owner == owner:
            run.finished_at, run.status, run.summary = end, status, summary
            run.error = error if error is not None else run.error


def run_job(job: Job, *, owner: str, settings: Settings, lease_s: float | None = None) -> str | None:
    """Run the job if it is due and this worker wins its claim; its status, or None when not run."""
    lease_s = lease_s or settings.jobs_lease
    with session_scope() as session:
        scheduled_for = claim(session, job.name, owner=owner, now=utcnow(), lease_s=lease_s)
    if scheduled_for is None:
        return None
    stop = threading.Event()
    beat = threading.Thread(target=_renew, args=(job.name, owner, lease_s, stop), daemon=True,
                            name=f"fangkong-job-{job.name}-lease")
    beat.start()
    started = time.monotonic()
    status, error, summary = RunStatus.OK, None, None
    try:
        summary = job.run(settings, utcnow()) or {}
    except Exception as exc:  # noqa: BLE001 - a failed job is recorded and tried again; the loop goes on
        status = RunStatus.FAILED
        error = "".join(traceback.format_exception_only(exc)).strip()[-2000:]
        log.exception("job %s failed", job.name)
    finally:
        stop.set()
        beat.join()
    _finish(job, owner=owner, scheduled_for=scheduled_for, started=started, status=status, error=error,
            summary=summary, settings=settings)
    log.info("job %s: %s in %.2f s %s", job.name, status, time.monotonic() - started, summary or error or "")
    return status


def run_due(jobs: list[Job], *, owner: str, settings: Settings, stopping: threading.Event | None = None
            ) -> dict[str, str]:
    """One pass: every due job this worker can claim, one after the other. {name: status} of those run."""
    done = {}
    for job in jobs:
        if stopping is not None and stopping.is_set():
            break
        status = run_job(job, owner=owner, settings=settings)
        if status is not None:
            done[job.name] = status
    return done


class Scheduler:
    """The loop: every `tick` seconds, run what is due. In a thread of `fangkong serve`, or in the foreground of
    `fangkong worker`; `stop()` lets the job under way finish."""

    def __init__(self, jobs: list[Job], settings: Settings | None = None, *, tick: float | None = None) -> None:
        self.jobs = jobs
        self.settings = settings or get_settings()
        self.tick = tick or self.settings.jobs_tick
        self.owner = owner_id()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def prepare(self) -> None:
        ensure_current(self.settings.database_url)
        with session_scope() as session:
            ensure_jobs(session, self.jobs, now=utcnow(), settings=self.settings)

    def run_forever(self) -> None:
        self.prepare()
        log.info("scheduler %s: %d jobs, a look every %.1f s", self.owner, len(self.jobs), self.tick)
        while not self._stopping.is_set():
            try:
                run_due(self.jobs, owner=self.owner, settings=self.settings, stopping=self._stopping)
            except Exception:  # noqa: BLE001 - the store went away for a moment: look again at the next tick
                log.exception("scheduler: a pass failed")
            self._stopping.wait(self.tick)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="fangkong-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
