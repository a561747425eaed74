"""What every CLI command shares: consoles, time parsing, one-line errors, the unit of work."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from fangkong.errors import FangkongError

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table
    from sqlalchemy.orm import Session

# Everything heavier than typer and rich's console (SQLAlchemy, the settings, the migrations) is imported by the
# function that uses it: every command imports this kit, `fangkong --help` too (tests/test_startup.py).

__all__ = ["out", "err", "parse_time", "parse_date", "handle_errors", "unit_of_work", "progress", "step_bars",
           "operator", "at_or_now", "today", "task_table", "lake_versions_line"]

out = Console()
err = Console(stderr=True)


def operator() -> str:
    """Who a command writes as: the local operator (admin rights, no login), `cli:<login>` in the audit."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def parse_time(text: str | None, name: str, *, planned: bool = False) -> datetime | None:
    """ISO 8601; a time without offset is in the deployment's zone (FORMATS.md). It must be plausible
    (fangkong.protocol.times): from 2019-12-01 to now + 1 day, or to now + 1 year for a `planned` time."""
    if text is None:
        return None
    from fangkong.db.core import utcnow
    from fangkong.protocol.times import check_time
    from fangkong.settings import get_settings

    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time, e.g. 2022-03-14T09:30", param_hint=name) from None
    try:
        check_time(t, now=utcnow(), planned=planned)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None
    return t if t.tzinfo else t.replace(tzinfo=get_settings().zone)


def at_or_now(text: str | None, name: str = "--at") -> datetime:
    """A command's `--at` time, else the clock's now (FANGKONG_NOW in a drill, docs/cli.md)."""
    from fangkong.db.core import utcnow

    return parse_time(text, name) or utcnow()


def today() -> date:
    """The office's day by the clock (FANGKONG_NOW in a drill), in the deployment's zone."""
    from fangkong.db.core import utcnow
    from fangkong.settings import get_settings

    return utcnow().astimezone(get_settings().zone).date()


def parse_date(text: str | None, name: str, *, planned: bool = False) -> date | None:
    """An ISO date, plausible like parse_time's times (a day that happened, or a `planned` day)."""
    if text is None:
        return None
    from fangkong.db.core import utcnow
    from fangkong.protocol.times import check_date

    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO date, e.g. 2022-03-14", param_hint=name) from None
    try:
        # the latest local day anywhere is at most one day past UTC's
        return check_date(d, today=utcnow().date() + timedelta(days=1), planned=planned)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


def handle_errors(fn: Callable) -> Callable:
    """Domain errors become one line on stderr and exit code 1."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FangkongError as exc:
            err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


_setup: list[Callable[[], None]] = []


def setup_with(fn: Callable[[], None]) -> None:
    """What every command needs before its first session (fangkong.cli: the models registry, the recolouring)."""
    _setup[:] = [fn]


def setup() -> None:
    """Run it once (a command that reads without the ORM, `codes show`, may never need it)."""
    while _setup:
        _setup.pop()()


@contextmanager
def unit_of_work(actor: str | None = None) -> Iterator[Session]:
    """One transaction per command: committed at the end, rolled back on any error. `actor`: who the command
    writes as (its --by, else the local operator) for the services that read it from the session
    (fangkong.db.scope.acting).

    A new or older store is migrated first, so `fangkong import` works on a fresh machine.
    """
    from fangkong.db.core import session_scope
    from fangkong.db.migrate import ensure_current
    from fangkong.db.scope import bind
    from fangkong.settings import get_settings

    setup()
    ensure_current(get_settings().database_url)
    with session_scope() as session:
        if actor:
            bind(session, None, actor=actor)
        yield session


def progress(console: Console | None = None) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console or err)


def step_bars(bar: Progress, label: Callable[[str], str]) -> Callable[[str, int, int], None]:
    """A progress callback (step, done, total) that keeps one bar per step, titled label(step)."""
    from rich.progress import TaskID

    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(label(step), total=total)
        bar.update(tasks[step], completed=done, total=total)

    return report


def task_table(rows, now, lang: str, title: str, *, version: bool = False, status: bool = False) -> Table:
    """Tasks as a table: owner, subject, deadline and how late. Tasks are every domain's work against the clock
    (tasks, verification, ...), so their table is part of the CLI kit, not of one domain's commands."""
    from rich.table import Table

    from fangkong.kit import i18n
    from fangkong.settings import get_settings

    tz = get_settings().zone
    table = Table(title=title)
    cols = ["id", "task", "owner", "jurisdiction", "case", "person", "due", "late by"]
    if status:
        cols.insert(2, "status")
    for col in cols + (["version"] if version else []):
        table.add_column(col)
    for task in rows:
        late = int((now - task.due_at).total_seconds() // 60) if task.status == "open" else 0
        row = [str(task.id), i18n.t(task.kind, lang), task.owner_name or task.owner_ref, task.jurisdiction or "",
               task.case.case_no if task.case else "", task.person.person_id if task.person else "",
               task.due_at.astimezone(tz).strftime("%m-%d %H:%M"), f"{late // 60}h{late % 60:02d}m" if late > 0 else ""]
        if status:
            row.insert(2, task.status)
        table.add_row(*row, *((str(task.version),) if version else ()))
    return table


def lake_versions_line(stated: dict | None, zone, lang: str = "zh") -> str:
    """The lake's versions a trace or bulletin read (lake.versions.stated), in one line: each table's version
    and its commit time in the deployment's zone."""
    from fangkong.kit.i18n import t

    if not stated:
        return "–"
    parts = []
    for table, s in stated.items():
        if s.get("version") is None:
            parts.append(f"{t('lake_table_' + table, lang)} {table}: {t('lake_no_commit', lang)}")
            continue
        at = s.get("committed_at")
        when = datetime.fromisoformat(at).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if at else "?"
        parts.append(f"{t('lake_table_' + table, lang)} {table}: {t('lake_version_n', lang).format(version=s['version'])}"
                     f" ({t('lake_committed', lang)} {when})")
    return "; ".join(parts)
