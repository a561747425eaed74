"""The office's scheduled jobs: what each does, and when (docs/operations.md, "Scheduled jobs")."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fangkong.codes import service as codes_service
from fangkong.db.audit import audit
from fangkong.errors import InvalidInput
from fangkong.jobs import inbox, notify
from fangkong.jobs.backup import backup
from fangkong.jobs.runner import Job
from fangkong.kit.clikit import unit_of_work
from fangkong.lake import append, compact, retention
from fangkong.measures import lifecycle
from fangkong.protocol.edition import load_edition
from fangkong.protocol.schedule import DailyAt, Every
from fangkong.settings import Settings
from fangkong.tasks import service as task_service
from fangkong.testing import service as testing_service

__all__ = ["JOBS", "by_name", "scheduled"]


def recolour(settings: Settings, now: datetime) -> dict:
    """Codes whose time has come (a reason ended, a test became overdue): `fangkong codes refresh`."""
    with unit_of_work() as session:
        return codes_service.refresh(session, edition=load_edition(settings.edition), now=now, tz=settings.zone)


def flush_scans(settings: Settings, now: datetime) -> dict:
    """Scans acknowledged but not yet in the lake (this process's, and journals of servers that are gone)."""
    return {"published": append.flush_pending(settings.lake, settings.tz)}


def release_due(settings: Settings, now: datetime) -> dict:
    """`fangkong measures release-due`: every measure whose period is over."""
    with unit_of_work(actor="scheduler") as session:
        r = lifecycle.release_due(session, edition=load_edition(settings.edition), tz=settings.zone, now=now)
    return {"released": r.released, "stepped_down": r.stepped_down, "upgraded": r.upgraded, "blocked": len(r.blocked)}


def escalate_overdue(settings: Settings, now: datetime) -> dict:
    """Open tasks past their deadline: each escalated once (audited; the commander is told)."""
    with unit_of_work() as session:
        tasks = task_service.escalate_overdue(session, now=now)
    return {"escalated": len(tasks)}


def purge(settings: Settings, now: datetime) -> dict:
    """`fangkong lake purge`: raw location data past FANGKONG_RETENTION_DAYS."""
    cutoff = retention.cutoff_for(now.astimezone(settings.zone).date(), settings.retention_days)
    gone = retention.purge(settings.lake, cutoff, tz=settings.tz)
    if gone:   # the proof: the Delta version that no longer holds the days, files and rows removed
        with unit_of_work() as session:
            audit(session, "lake.purge", "lake.purge", "lake", cutoff.isoformat(), after=retention.proof(gone))
    return {"cutoff": cutoff.isoformat(), "days": sum(1 for p in gone if p.day), "rows": sum(p.rows for p in gone)}


def recount_testing(settings: Settings, now: datetime) -> dict:
    """`fangkong testing recount`: the rounds' kept figures and the persons per community counted again."""
    with unit_of_work(actor="scheduler") as session:
        return testing_service.recount_figures(session, now=now)


def compact_lake(settings: Settings, now: datetime) -> dict:
    """`fangkong lake compact`: each day of several writes as one."""
    done = compact.compact(settings.lake)
    return {"days": sum(1 for c in done if c.rows), "deleted": sum(c.deleted for c in done)}


def backup_store(settings: Settings, now: datetime) -> dict:
    return backup(settings, now)


#: in the order a worker looks at them on each pass
JOBS: list[Job] = [
    Job("inbox.scan", Every(10), inbox.scan, "job_inbox_scan"),
    Job("scans.flush", Every(30), flush_scans, "job_scans_flush"),
    Job("notify.collect", Every(30), notify.collect, "job_notify_collect"),
    Job("notify.send", Every(10), notify.send, "job_notify_send"),
    Job("codes.recolour", Every(60), recolour, "job_codes_recolour"),
    Job("tasks.escalate", Every(60), escalate_overdue, "job_tasks_escalate"),
    Job("measures.release_due", Every(900), release_due, "job_release_due"),
    Job("backup", DailyAt(2, 0), backup_store, "job_backup"),
    Job("lake.purge", DailyAt(3, 0), purge, "job_lake_purge"),
    Job("lake.compact", DailyAt(3, 30), compact_lake, "job_lake_compact"),
    Job("testing.recount", DailyAt(4, 0), recount_testing, "job_testing_recount"),
]


def by_name(names: list[str] | None = None) -> list[Job]:
    """The jobs named (all by default); an unknown name is an error."""
    if not names:
        return list(JOBS)
    known = {j.name: j for j in JOBS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput(f"unknown job(s) {', '.join(unknown)}; one of {', '.join(known)}")
    return [known[n] for n in names]


def scheduled(settings: Settings, jobs: list[Job] | None = None) -> list[Job]:
    """The jobs (all by default) with the deployment's own periods (FANGKONG_JOBS_EVERY: {name: seconds}) for
    interval jobs; a name that is not an interval job, or a period not above zero, is an error."""
    jobs = list(JOBS) if jobs is None else jobs
    every = settings.jobs_every
    interval = {j.name for j in JOBS if isinstance(j.spec, Every)}
    bad = sorted(n for n, s in every.items() if n not in interval or not s > 0)
    if bad:
        raise InvalidInput(f"FANGKONG_JOBS_EVERY: {', '.join(bad)}: not an interval job, or a period not above 0; "
                           f"one of {', '.join(sorted(interval))}", key="err_internal")
    return [replace(j, spec=Every(float(every[j.name]))) if j.name in every else j for j in jobs]
