"""The `fangkong` command: mounts each domain's commands and the cross-domain ones (import, trace, demo)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from fangkong.errors import InvalidInput
from fangkong.kit import clikit
from fangkong.kit.clikit import (
    at_or_now,
    err,
    handle_errors,
    operator,
    out,
    parse_date,
    progress,
    step_bars,
    unit_of_work,
)
from fangkong.kit.lazycli import Lazy, LazyGroup

# Each domain's commands are imported when typed (fangkong.kit.lazycli): `fangkong --help` and a light command
# start without SQLAlchemy's models, ibis, DuckDB or pyarrow (tests/test_startup.py). The helps are the
# commands' own first lines (the test keeps them equal). Imports of this module's own commands are in their bodies.
_LAZY = {
    "case": Lazy("fangkong.cases.commands:app", "Cases: declare a positive person a case."),
    "demo": Lazy("fangkong.demo:demo", "Generate a synthetic city, run an outbreak day through the whole flow, "
                 "print the bulletin, serve."),
    "worker": Lazy("fangkong.jobs.commands:worker", "Run the scheduled jobs in this process until stopped (SIGTERM "
                   "or Ctrl-C let the job under way finish). Several workers may run against one PostgreSQL store: "
                   "each due run is done by one of them."),
    "measures": Lazy("fangkong.measures.commands:app", "Measures: isolation and monitoring orders with their test "
                     "days."),
    "codes": Lazy("fangkong.codes.commands:app", "Health codes (red / yellow / green), derived from records."),
    "zones": Lazy("fangkong.zones.commands:app", "Zones: sealed / controlled / precaution (封控区/管控区/防范区) and "
                  "the risk-area list."),
    "assist": Lazy("fangkong.assist.commands:app", "Regional assistance requests (区域协查): in, out, outcomes."),
    "inputs": Lazy("fangkong.assist.inputs.commands:app", "Other inputs: key-area arrivals, inbound travellers "
                   "(境外输入), 四类药品 purchases, fever clinics, vaccinations."),
    "reports": Lazy("fangkong.reports.commands:app", "Reports: the daily bulletin (通报)."),
    "sim": Lazy("fangkong.sim.commands:app", "Synthetic cities for demos, tests and benchmarks."),
    "testing": Lazy("fangkong.testing.commands:app", "Mass testing and the lab: rounds, pooled tubes, labs, results, "
                    "re-tests."),
    "teams": Lazy("fangkong.contacts.teams.commands:app", "Tracing teams (流调队) and the investigation of each case."),
    "tasks": Lazy("fangkong.tasks.commands:app", "Tasks against the clock (DOMAIN.md §3): who must do what by when."),
    "verification": Lazy("fangkong.measures.verification.commands:app", "Community verification (落地核查): find each "
                         "risk person at the door, record the outcome."),
    "boundaries": Lazy("fangkong.people.boundaries.commands:app", "Jurisdiction boundaries (GeoJSON) drawn on the map."),
    "people": Lazy("fangkong.people.commands:app", "People: one record per person across sources (keys, phones, "
                   "match reviews, merges)."),
    "sites": Lazy("fangkong.measures.sites.commands:app", "Isolation sites (集中隔离点): rooms, staff, occupancy, "
                  "reserve, room assignment."),
    "checkins": Lazy("fangkong.measures.checkins.commands:app", "Daily health check-ins by people under a measure "
                     "(temperature, symptoms)."),
    "hospitals": Lazy("fangkong.measures.hospitals.commands:app", "Designated hospitals (定点医院): beds, admissions, "
                      "escalation plan."),
    "users": Lazy("fangkong.auth.users.commands:app", "Users: roles, jurisdictions, passwords, API tokens "
                  "(docs/security.md)."),
    "audit": Lazy("fangkong.auth.audit.commands:app", "The audit log: every write, who, when, before/after."),
    "devices": Lazy("fangkong.auth.devices.commands:devices_app", "Device tokens of venue scanners and checkpoint "
                    "readers (docs/security.md)."),
    "citizens": Lazy("fangkong.codes.citizens.commands:app", "Citizens: sign-in codes sent to registered phones "
                     "(docs/security.md)."),
    "jobs": Lazy("fangkong.jobs.commands:app", "Scheduled jobs (docs/operations.md): their state; run one now."),
}


class _Root(LazyGroup):
    lazy = _LAZY
    # `fangkong report` was the group's name before it took its folder's (issue 24): old scripts still run
    aliases = {"report": "reports"}
    order = ("demo", "worker", "import", "trace", "serve", "db", "lake", "case")


#: when a command's event happened; default the clock's now (FANGKONG_NOW in a drill, docs/cli.md)
AtOpt = Annotated[str | None, typer.Option("--at", help="when it happened (default: now by the clock)")]

app = typer.Typer(
    help="防控 fangkong — trace every case within hours, manage risk persons, publish the daily bulletin.\n\n"
         "Quick start: `fangkong demo` generates a city, runs an outbreak day and serves the web app.",
    no_args_is_help=True, rich_markup_mode="markdown", pretty_exceptions_enable=False, cls=_Root)
db_app = typer.Typer(help="The record store (SQLite or PostgreSQL, FANGKONG_DATABASE_URL).", no_args_is_help=True)
lake_app = typer.Typer(help="The location lake (FANGKONG_LAKE): venue visits and carrier dwells by day.",
                       no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(lake_app, name="lake")


def _registry() -> None:
    # the models registry (every table, the jurisdiction rules; the mappers' relationships name each other), and
    # every command's session recolours the codes its status changes touched, before it commits
    import fangkong.models  # noqa: F401
    from fangkong.codes.recolour import install_recolour

    install_recolour()


@app.callback()
def _start(ctx: typer.Context) -> None:
    # before any command (not for `fangkong --help`); the `codes` group's commands ask for it themselves (its
    # callback, or `codes show` only when it takes the ORM path: issue 27, a start under 0.5 s), and any
    # unit_of_work does before its first session
    clikit.setup_with(_registry)
    if ctx.invoked_subcommand != "codes":
        clikit.setup()


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create or migrate every table (Alembic). Example: `fangkong db upgrade`"""
    from fangkong.db.migrate import upgrade
    from fangkong.settings import get_settings

    upgrade(get_settings().database_url)
    err.print(f"database at head: {get_settings().database_url}")


@lake_app.command("purge")
@handle_errors
def lake_purge(
    before: Annotated[str | None, typer.Option("--before", help="delete the days before this date")] = None,
    retention_days: Annotated[int | None, typer.Option("--retention-days", help="keep this many days "
                                                       "(default FANGKONG_RETENTION_DAYS, 21)")] = None,
    today: Annotated[str | None, typer.Option("--today", help="the day retention counts from (default today)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would go, delete nothing")] = False,
) -> None:
    """Delete raw location data past retention: day partitions of venue_visits and cell_dwells, and old scans
    in the journal (DOMAIN.md §11). Run it on schedule (docs/operations.md); imports never purge.

    Example: `fangkong lake purge` (keeps 21 days); `fangkong lake purge --before 2022-03-01`
    """
    from rich.table import Table

    from fangkong.db.core import utcnow
    from fangkong.lake import retention
    from fangkong.settings import get_settings

    settings = get_settings()
    if before is not None and retention_days is not None:
        raise InvalidInput("give --before or --retention-days, not both")
    if before is not None:
        cutoff = parse_date(before, "--before")
    else:
        day = parse_date(today, "--today") or utcnow().astimezone(settings.zone).date()
        cutoff = retention.cutoff_for(day, settings.retention_days if retention_days is None else retention_days)
    gone = retention.purge(settings.lake, cutoff, tz=settings.tz, dry_run=dry_run)
    if gone and not dry_run:   # the proof: the Delta version that no longer holds the days, files and rows removed
        from fangkong.db.audit import audit

        with unit_of_work() as session:
            audit(session, "cli", "lake.purge", "lake", cutoff.isoformat(), after=retention.proof(gone))
    table = Table(title=f"{'would purge' if dry_run else 'purged'}: days before {cutoff.isoformat()}")
    for col in ("table", "day", "files", "rows"):
        table.add_column(col, justify="right" if col in ("files", "rows") else "left")
    for p in gone:
        what = p.day.isoformat() if p.day else "(unflushed scans)" if p.table == ".journal" else "(killed imports)"
        table.add_row(p.table, what, f"{p.files:,}", f"{p.rows:,}")
    out.print(table)
    out.print(f"{sum(p.rows for p in gone):,} rows in {sum(1 for p in gone if p.day):,} day partitions "
              f"{'would be ' if dry_run else ''}removed", highlight=False)


@lake_app.command("compact")
@handle_errors
def lake_compact(
    day: Annotated[list[str] | None, typer.Option("--day", help="compact only this day (repeatable)")] = None,
    rewrite_all: Annotated[bool, typer.Option("--all", help="rewrite days of one write too")] = False,
    grace: Annotated[int, typer.Option("--grace", min=0, help="seconds a retired file is kept for traces "
                                       "that listed it before the swap")] = 3600,  # lake.compact.GRACE_S (tests/test_startup.py)
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be rewritten, change nothing")] = False,
) -> None:
    """Rewrite each day's lake files (one write per import, one per scan flush) as one write sorted by place
    and time, one Delta commit a day. Traces read every small file of the days they touch, and each costs a fixed
    few milliseconds: run it nightly on a lake that takes live scans. Readers see the old files or the new ones;
    the files replaced are deleted (vacuum) once --grace has passed (docs/lake.md).

    Example: `fangkong lake compact`; `fangkong lake compact --day 2022-03-12 --dry-run`
    """
    from rich.table import Table

    from fangkong.lake import compact
    from fangkong.settings import get_settings

    settings = get_settings()
    days = {parse_date(d, "--day") for d in day} if day else None
    with progress() as bar:
        done = compact.compact(settings.lake, days=days, rewrite_single=rewrite_all, grace_s=grace,
                               dry_run=dry_run, progress=step_bars(bar, lambda table: f"{table} days"))
    table = Table(title="would compact" if dry_run else "compacted")
    for col in ("table", "day", "files before", "rows", "old files deleted"):
        table.add_column(col, justify="left" if col in ("table", "day") else "right")
    for c in done:
        table.add_row(c.table, c.day.isoformat(), f"{c.files_before:,}", f"{c.rows:,}", f"{c.deleted:,}")
    out.print(table)
    n = sum(1 for c in done if c.rows)
    out.print(f"{n:,} day files {'would be ' if dry_run else ''}rewritten, "
              f"{sum(c.deleted for c in done):,} retired files deleted", highlight=False)


@lake_app.command("migrate")
@handle_errors
def lake_migrate() -> None:
    """Convert a lake written before 2026-12-07 (day folders of shards, index files, twins, markers) into Delta
    tables in place, day by day; run it again after an interruption, it goes on where it stopped (docs/lake.md).

    Example: `fangkong lake migrate`
    """
    from fangkong.lake import migrate
    from fangkong.settings import get_settings

    with progress() as bar:
        done = migrate.migrate(get_settings().lake, progress=step_bars(bar, lambda table: f"{table} days"))
    out.print(f"{sum(1 for m in done if m.rows):,} days converted ({sum(m.rows for m in done):,} rows), "
              f"{len(done):,} day folders cleaned", highlight=False)


@lake_app.command("history")
@handle_errors
def lake_history(
    table: Annotated[str | None, typer.Argument(help="venue_visits or cell_dwells (default: both)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="the last N versions of each table")] = 50,
    lang: Annotated[str, typer.Option(help="zh (default) or en")] = "zh",
) -> None:
    """The versions of the lake's tables from their Delta logs: each commit's version, time, operation, writer,
    the days it touched and the rows it added and removed. A version is what `fangkong trace --as-of-version`
    reads again (docs/lake.md, "Time travel").

    Example: `fangkong lake history venue_visits --limit 20 --lang en`
    """
    from rich.table import Table

    from fangkong.kit.i18n import t
    from fangkong.lake import versions
    from fangkong.settings import get_settings

    if lang not in ("zh", "en"):
        raise InvalidInput("--lang must be zh or en")
    if table is not None and table not in versions.TABLES:
        raise InvalidInput(f"unknown lake table {table!r}: use {' or '.join(versions.TABLES)}", key="err_lake_table",
                           params={"table": table})
    settings = get_settings()
    for name in [table] if table else versions.TABLES:
        commits = versions.history(settings.lake, name)[-limit:]
        view = Table(title=t("lake_history_title", lang).format(table=name))
        for col in ("version", "time", "operation", "writer", "days", "added", "removed"):
            view.add_column(t(f"lake_h_{col}", lang), justify="right" if col in ("version", "added", "removed")
                            else "left")
        for c in reversed(commits):
            when = c.at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M:%S") if c.at else "?"
            op = t(f"lake_op_{c.operation}", lang)
            view.add_row(str(c.version), when, op if not op.startswith("lake_op_") else c.operation.lower(),
                         c.writer or "", _days_text(c.days), f"{c.rows_added:,}", f"{c.rows_removed:,}")
        out.print(view)


def _days_text(days: tuple) -> str:
    """The days a commit touched: each of a few, else the first and last and how many."""
    if len(days) <= 3:
        return ", ".join(d.isoformat() for d in days)
    return f"{days[0].isoformat()} … {days[-1].isoformat()} ({len(days)})"


@app.command("import")
@handle_errors
def import_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder with persons, venues, venue_visits, cell_dwells "
                                                "(.csv or .parquet), see docs/formats.md")],
    strict: Annotated[bool, typer.Option(help="Commit nothing from a file that has any bad row.")] = False,
    source: Annotated[str | None, typer.Option(help="Name of the source system the person_ids come from "
                                                        "(e.g. venue_codes); see docs/people.md.")] = None,
) -> None:
    """Import every table found in FOLDER; bad rows are listed with file and line.

    Example: `fangkong import ./data/city` — re-running it changes nothing.
    """
    from rich.table import Table

    from fangkong import importer
    from fangkong.settings import get_settings

    settings = get_settings()
    with progress() as bar:
        task = bar.add_task("import", total=None)

        def on_file(table: str, path: Path) -> None:
            bar.update(task, description=f"import {path.name}")

        # a lake table is validated in one pass, then written one day partition at a time
        results = importer.import_folder(partial(unit_of_work, actor=operator()), settings, folder, strict=strict,
                                         on_file=on_file, source=source,
                                         progress=step_bars(bar, lambda table: f"{table} days"))
        bar.update(task, total=len(results), completed=len(results), description="import")
    table = Table(title="import")
    for col in ("file", "rows", "new", "unchanged", "rejected", "committed"):
        table.add_column(col, justify="right" if col in ("rows", "new", "unchanged", "rejected") else "left")
    for r in results:
        table.add_row(r.file, f"{r.rows:,}", f"{r.inserted:,}", f"{r.unchanged:,}", f"{r.rejected:,}",
                      "yes" if r.committed else "no (--strict)")
    err.print(table)
    bad = [e for r in results for e in (r.errors or [])]
    for r in results:
        for w in r.warnings or []:
            err.print(f"[yellow]warning:[/] {w}", highlight=False)
    for e in bad[:200]:
        err.print(f"[red]error:[/] {e}", highlight=False, soft_wrap=True)
    if len(bad) > 200:
        err.print(f"… and {len(bad) - 200} more rejected rows", highlight=False)
    _lab_follow_ups(settings, results)
    if bad:
        raise typer.Exit(1)


def _lab_follow_ups(settings, results) -> None:
    """What new lab results set in motion; a case declared by its re-check is traced at once (the main flow)."""
    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.db.core import utcnow
    from fangkong.kit.i18n import t

    for r in results:
        outcome = getattr(r, "outcome", None)
        if outcome is None:
            continue
        err.print(f"{r.file}: {outcome.summary()}", highlight=False)
        for case_no in outcome.declared:
            with unit_of_work() as session:
                response = flows.respond(session, settings, case_service.get_case(session, case_no), now=utcnow())
                counts = response.trace.counts()
            err.print(f"traced {case_no}: " + ", ".join(f"{t(k, 'en')} {n:,}" for k, n in counts.items()),
                      highlight=False)


@app.command("trace")
@handle_errors
def trace_cmd(
    case_id: Annotated[str | None, typer.Argument(help="case id printed by `fangkong case declare`")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json (FORMATS.md shape)")] = "table",
    all_new: Annotated[bool, typer.Option("--all-new", help="trace every case declared on --day together")] = False,
    day: Annotated[str | None, typer.Option(help="with --all-new: the day (default today)")] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    at: AtOpt = None,
    as_of_version: Annotated[str | None, typer.Option(
        "--as-of-version", help="re-trace from the lake at these versions, e.g. venue_visits=12,cell_dwells=7 (as "
        "`fangkong case show` prints them; a table not named: as it stood then); stores nothing")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="re-trace from the lake as it stood at this instant (ISO 8601; the last commit of each "
        "table at or before it); stores nothing")] = None,
) -> None:
    """Trace a case: close and secondary contacts, space-time companions, trajectory overlaps.

    Every risk person found is stored with its evidence, placed under the edition's measure, and
    their health code recomputed; the lake's version of each table read is stored with the case. Examples:
    `fangkong trace C000001 --format json`; `fangkong trace --all-new --day 2022-03-14` (a bad day's cases in one
    pass; JSON: one object per line); `fangkong trace C000001 --as-of-version venue_visits=12,cell_dwells=7`
    (the case traced again from the lake as its last trace read it: nothing stored, nothing placed).
    """
    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.kit.i18n import t
    from fangkong.settings import get_settings

    if format not in ("table", "json"):
        raise InvalidInput("--format must be table or json")
    if (case_id is None) == (not all_new):
        raise InvalidInput("give a CASE_ID or --all-new, not both")
    settings = get_settings()
    now = at_or_now(at)
    if as_of_version is not None or as_of is not None:
        if all_new:
            raise InvalidInput("--as-of and --as-of-version re-trace one CASE_ID, not --all-new")
        return _retrace(case_id, format, lang, now, as_of_version, as_of)
    with unit_of_work() as session:
        if all_new:
            the_day = parse_date(day, "--day") or now.astimezone(settings.zone).date()
            cases = case_service.declared_on(session, the_day, tz=settings.zone)
        else:
            cases = [case_service.get_case(session, case_id)]
        with progress() as bar:
            task = bar.add_task(f"trace {len(cases)} case(s)", total=1)
            responses = flows.respond_many(session, settings, cases, now=now, keep_evidence=format == "json") \
                if cases else []
            bar.advance(task)
        done = [(r.trace, r.trace.counts(), r.measures, r.codes) for r in responses]
        warnings = [w for r in responses for w in r.zones.warnings]
        lake_used = responses[0].trace.case.lake_versions if responses else None
    for w in warnings:  # a derived step skipped (zones drawing): the trace itself is stored
        err.print(f"warning: {w}", highlight=False, markup=False, soft_wrap=True)
    if lake_used:   # the same versions for every case traced together (contacts.service.trace_many)
        err.print(f"{t('lake_versions', lang)}: {clikit.lake_versions_line(lake_used, settings.zone, lang)}",
                  highlight=False, markup=False, soft_wrap=True)
    if format == "json":  # one case at a time: a bad day's risk persons are never all Python objects at once
        for trace, *_ in done:
            print(json.dumps(trace.as_json(), ensure_ascii=False))
        return
    if not done:
        out.print("no case declared that day")
    for trace, counts, m, codes in done:
        out.print(_counts_table(trace, counts, lang))
        out.print(f"measures: {m.created} new, {m.kept} kept (stricter already), {m.replaced} replaced, "
                  f"{m.expired} not placed (period over since the last exposure)"
                  + (f", {m.served} already served" if m.served else "")
                  + (f", {m.withdrawn} withdrawn (wrong person)" if m.withdrawn else "") + "; "
                  f"{m.phone_only} phone-only companions to verify; codes changed: {codes['changed']}")


def _counts_table(trace, counts: dict, lang: str):
    """A trace's risk persons per category, as the terminal's table (the trace and its as-of re-trace)."""
    from rich.table import Table

    from fangkong.kit.i18n import t

    window = trace.window_json()
    table = Table(title=f"{trace.case_no}  {window['start']} → {window['end']}")
    table.add_column("category" if lang == "en" else "类别")
    table.add_column("people" if lang == "en" else "人数", justify="right")
    for cat, n in counts.items():
        table.add_row(t(cat, lang), f"{n:,}")
    return table


def _retrace(case_id: str, format: str, lang: str, now, as_of_version: str | None, as_of: str | None) -> None:
    """`trace --as-of-version / --as-of`: the case traced from an earlier lake, printed, not stored."""
    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.kit.i18n import t
    from fangkong.lake import versions
    from fangkong.settings import get_settings

    settings = get_settings()
    pinned = versions.resolve(settings.lake, versions=_table_versions(as_of_version),
                              at=_instant(as_of, settings.zone))
    with unit_of_work() as session:
        case = case_service.get_case(session, case_id)
        result, used = flows.retrace_case(session, settings, case, now=now, versions=pinned)
        counts = result.counts()
    err.print(f"{t('lake_retrace_note', lang)}: {clikit.lake_versions_line(used, settings.zone, lang)}",
              highlight=False, markup=False, soft_wrap=True)
    if format == "json":
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return
    out.print(_counts_table(result, counts, lang))


def _table_versions(text: str | None) -> dict[str, int] | None:
    """`venue_visits=12,cell_dwells=7` → {table: version}."""
    if text is None:
        return None
    got = {}
    for part in text.split(","):
        table, sep, v = part.strip().partition("=")
        if not sep or not v.strip().isdigit():
            raise typer.BadParameter(f"{part!r}: give TABLE=VERSION, e.g. venue_visits=12,cell_dwells=7",
                                     param_hint="--as-of-version")
        got[table.strip()] = int(v)
    return got


def _instant(text: str | None, zone):
    """An instant of the lake's log (its commits' wall clock, not the drill clock): ISO 8601, naive = local."""
    if text is None:
        return None
    from datetime import datetime

    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time, e.g. 2026-12-08T09:30",
                                 param_hint="--as-of") from None
    return at if at.tzinfo else at.replace(tzinfo=zone)


@app.command("serve")
@handle_errors
def serve(host: str = "127.0.0.1", port: int = 8000,
          public_port: Annotated[int | None, typer.Option(
              help="serve the citizens' and devices' routes on this port, from a process of their own (default "
                   "FANGKONG_PUBLIC_PORT; 0 = one port for everything)")] = None,
          public_host: Annotated[str | None, typer.Option(
              help="the public port's address (default FANGKONG_PUBLIC_HOST, else --host)")] = None,
          listener: Annotated[str, typer.Option(hidden=True, help="all | public (the public process itself)")]
          = "all") -> None:
    """Serve the web app and the API (OpenAPI docs at /docs). Example: `fangkong serve --port 8000`

    With --public-port 8001 (or FANGKONG_PUBLIC_PORT), the citizens' and devices' routes (scans, codes,
    two-code checks, check-ins, citizen sign-in) are also served on 8001 by a process of their own at a
    lower priority, which answers 404 to everything else: open 8001 to the public, keep 8000 for the office,
    and a flood of the public port does not slow the staff (docs/operations.md).

    Behind a reverse proxy, set FANGKONG_TRUSTED_PROXIES to its address: the client (rate limit, audit)
    is then read from X-Forwarded-For, which is believed from no one else.
    """
    import uvicorn

    from fangkong.jobs import registry as jobs_registry
    from fangkong.jobs.runner import Scheduler
    from fangkong.kit.ratelimit import proxy_options
    from fangkong.serving import PublicProcess, lower_priority, public_command
    from fangkong.settings import get_settings, unsafe_secret

    settings = get_settings()
    if reason := unsafe_secret(settings):
        err.print(f"refusing to start: {reason}", highlight=False, markup=False)
        raise typer.Exit(2)
    options = {"log_level": "info", **proxy_options(settings.trusted_proxies)}
    if listener == "public":
        lower_priority(settings.public_nice)
        workers = settings.public_workers
        uvicorn.run("fangkong.api:public_app", host=host, port=port, workers=workers if workers > 1 else None,
                    **options)
        return
    if listener != "all":
        raise InvalidInput("--listener must be all or public")
    public_port = settings.public_port if public_port is None else public_port
    if public_port == port:
        raise InvalidInput("--public-port must differ from --port")
    # the scheduled jobs in a thread of this process (FANGKONG_JOBS=0: only in `fangkong worker` processes)
    scheduler = Scheduler(jobs_registry.scheduled(settings), settings) if settings.jobs else None
    public = PublicProcess(public_command(public_host or settings.public_host or host, public_port)) \
        if public_port else None
    if public:
        public.start()
    if scheduler:
        scheduler.prepare()   # migrate and make the job rows here, before the app's start-up migrates too
        scheduler.start()
    try:
        uvicorn.run("fangkong.api:app", host=host, port=port, **options)
    finally:
        if scheduler:
            scheduler.stop()
        if public:
            public.stop()


def main() -> None:
    app()


if __name__ == "__main__":   # the public listener's process: python -m fangkong.cli serve --listener public
    main()
