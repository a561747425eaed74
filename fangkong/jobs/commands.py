"""`fangkong worker` and `fangkong jobs …`: run the scheduled jobs, list their state, run one now."""

from __future__ import annotations

import json
import signal
from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import session_scope, utcnow
from fangkong.jobs import registry, service
from fangkong.jobs.models import ScheduledJob
from fangkong.jobs.runner import Scheduler, owner_id, run_job
from fangkong.kit.clikit import handle_errors, out, unit_of_work
from fangkong.settings import get_settings

app = typer.Typer(help="Scheduled jobs (docs/operations.md): their state; run one now.", no_args_is_help=True)

JobsOpt = Annotated[list[str] | None, typer.Option("--job", help="only this job (repeatable)")]


@handle_errors
def worker(job: JobsOpt = None,
           tick: Annotated[float | None, typer.Option(help="seconds between looks (default FANGKONG_JOBS_TICK)")]
           = None) -> None:
    """Run the scheduled jobs in this process until stopped (SIGTERM or Ctrl-C let the job under way finish).
    Several workers may run against one PostgreSQL store: each due run is done by one of them.

    Example: `fangkong worker` (beside `FANGKONG_JOBS=0 fangkong serve`, or a second machine)"""
    scheduler = Scheduler(registry.scheduled(get_settings(), registry.by_name(job)), tick=tick)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.stop(0))
    try:
        scheduler.run_forever()
    except KeyboardInterrupt:
        scheduler.stop(0)


@app.command("list")
@handle_errors
def list_cmd(format: Annotated[str, typer.Option("--format", help="table or json")] = "table") -> None:
    """Each job: its schedule, last run, next run, duration, failures. Example: `fangkong jobs list`"""
    s = get_settings()
    with unit_of_work() as session:
        views = service.job_views(session, registry.scheduled(s), now=utcnow())
    if format == "json":
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False))
        return
    local = lambda t: t.astimezone(s.zone).strftime("%Y-%m-%d %H:%M:%S") if t else "-"  # noqa: E731
    table = Table(title="scheduled jobs")
    for col in ("job", "schedule", "last run", "status", "duration", "next run", "failures"):
        table.add_column(col)
    for v in views:
        table.add_row(v.name, v.schedule, local(v.last_started_at), v.running_by and "running" or v.last_status or "-",
                      f"{v.last_duration_s:.2f} s" if v.last_duration_s is not None else "-", local(v.next_run_at),
                      f"{v.failures}" + (f" ({v.failing_since} in a row)" if v.failing_since else ""))
    out.print(table)


@app.command("run")
@handle_errors
def run_cmd(name: str) -> None:
    """Run one job now (it is made due; a worker holding it now is not disturbed). Example:
    `fangkong jobs run lake.compact`"""
    s = get_settings()
    (job,) = registry.scheduled(s, registry.by_name([name]))
    scheduler = Scheduler([job], s)
    scheduler.prepare()
    with session_scope() as session:
        row = session.get(ScheduledJob, name)
        row.next_run_at = min(row.next_run_at, utcnow())
    status = run_job(job, owner=owner_id(), settings=s)
    with unit_of_work() as session:
        (view,) = service.job_views(session, [job], now=utcnow())
    if status is None:
        out.print(f"{name}: not run (another worker holds it: {view.running_by})")
        raise typer.Exit(1)
    out.print(f"{name}: {status} in {view.last_duration_s:.2f} s {json.dumps(view.last_summary or {}, ensure_ascii=False)}"
              + (f"\n{view.last_error}" if view.last_error else ""), highlight=False, markup=False)
    if status != "ok":
        raise typer.Exit(1)
