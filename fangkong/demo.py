"""`fangkong demo`: generate a city, import it, run an outbreak day end to end, print the bulletin, serve."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fangkong import flows, importer
from fangkong.cases import service as case_service
from fangkong.clikit import err, handle_errors, out, progress, unit_of_work
from fangkong.db.migrate import upgrade
from fangkong.measures import service as measure_service
from fangkong.reports import service as report_service
from fangkong.reports.text import render
from fangkong.settings import get_settings
from fangkong.sim.commands import run_with_bars

__all__ = ["demo", "run_outbreak_day"]


def _point_settings_at(folder: Path) -> None:
    """The demo keeps its own database and lake under one folder, so it never touches real data."""
    os.environ["FANGKONG_DATABASE_URL"] = f"sqlite:///{(folder / 'fangkong.db').resolve()}"
    os.environ["FANGKONG_LAKE"] = str((folder / "lake").resolve())
    from fangkong.db.core import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()


def run_outbreak_day(settings, summary, timings: dict) -> tuple[date, list]:
    """A routine round finds the index person positive → re-check → case → trace → measures → codes;
    the close contacts' first tests come back, one positive: a second case, found under control."""
    sampled = summary.index_sampled_at
    # the sample is taken 08:00–10:00, so the whole day below ends before 21:00 and fits one bulletin
    reported = sampled + timedelta(hours=4)
    declared = sampled + timedelta(hours=5)
    t0 = time.perf_counter()
    with unit_of_work() as session:
        case = case_service.report_positive(session, summary.index_person_id, sampled_at=sampled, now=reported)
        case_service.recheck(session, case, positive=True, isolated_at=reported, now=declared)
        first = flows.respond(session, settings, case, now=declared + timedelta(minutes=30))
        cases = [first]
        close = {f.person.id for f in first.trace.found if f.category == "close" and f.person is not None}
        tests = measure_service.tests_due(session, sampled.astimezone(settings.zone).date())
        # the close contacts' first single-tube tests of the day: one comes back positive
        positive = next((task for task in tests if task.person_fk in close), None)
        at = sampled + timedelta(hours=9)
        for i, task in enumerate(tests):
            if task is positive:
                measure_service.record_test_result(session, task, "positive", at=at)
            elif i % 10 != 9:  # one in ten is still at the lab at the end of the day
                measure_service.record_test_result(session, task, "negative", at=at)
        if positive is not None:
            pid = positive.measure.person.person_id
            second = case_service.report_positive(session, pid, sampled_at=sampled + timedelta(hours=1), now=at)
            case_service.recheck(session, second, positive=True, isolated_at=at, now=at + timedelta(hours=1),
                                 onset_date=sampled.astimezone(settings.zone).date())
            cases.append(flows.respond(session, settings, second, now=at + timedelta(hours=1, minutes=30)))
    timings["trace"] = time.perf_counter() - t0
    return sampled.astimezone(settings.zone).date(), cases


@handle_errors
def demo(
    persons: Annotated[int, typer.Option(min=100, help="people in the demo city")] = 100_000,
    days: Annotated[int, typer.Option(min=3, max=30, help="days of scans and carrier data")] = 14,
    seed: Annotated[int, typer.Option(help="same seed, same city and outbreak")] = 7,
    folder: Annotated[Path, typer.Option("--dir", help="where the demo keeps its data (wiped first)")] = Path("data/demo"),
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the web app when done")] = True,
    port: int = 8000,
    lang: Annotated[str, typer.Option(help="bulletin language, zh or en")] = "zh",
) -> None:
    """Generate a synthetic city, run an outbreak day through the whole flow, print the bulletin, serve.

    Example: `fangkong demo --persons 20000 --no-serve`
    """
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _point_settings_at(folder)
    settings = get_settings()
    t0 = time.perf_counter()
    summary = run_with_bars(folder / "city", persons=persons, days=days, seed=seed)
    timings["generate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    upgrade(settings.database_url)
    with progress() as bar:
        task = bar.add_task("import", total=len(importer.ORDER))
        results = importer.import_folder(unit_of_work, settings, folder / "city",
                                         on_file=lambda tb, p: bar.update(task, description=f"import {p.name}"))
        bar.update(task, completed=len(results), description="import")
    timings["import"] = time.perf_counter() - t0
    day, cases = run_outbreak_day(settings, summary, timings)
    with unit_of_work() as session:
        b = report_service.bulletin(session, day, tz=settings.zone)
    timings["total"] = time.perf_counter() - t_all
    _print_summary(summary, results, cases, timings)
    out.rule("通报" if lang == "zh" else "Bulletin")
    out.print(render(b, lang=lang), highlight=False)
    out.rule()
    url = f"http://127.0.0.1:{port}"
    out.print(f"web app: {url}/   API docs: {url}/docs")
    out.print(f"data: {folder}  (use it with FANGKONG_DATABASE_URL={os.environ['FANGKONG_DATABASE_URL']} "
              f"FANGKONG_LAKE={settings.lake})", highlight=False)
    if serve:
        import uvicorn

        uvicorn.run("fangkong.api:app", host="127.0.0.1", port=port, log_level="warning")


def _print_summary(summary, results, cases, timings) -> None:
    table = Table(title="demo")
    table.add_column("step")
    table.add_column("figures")
    table.add_column("seconds", justify="right")
    table.add_row("generate", f"{summary.persons:,} persons, {summary.venues:,} venues, {summary.visits:,} visits, "
                              f"{summary.dwells:,} dwells", f"{timings['generate']:.1f}")
    table.add_row("import", ", ".join(f"{r.table} {r.inserted:,}" for r in results), f"{timings['import']:.1f}")
    for r in cases:
        c = r.trace.counts()
        table.add_row(f"trace {r.trace.case.case_no}",
                      f"close {c['close']:,}, secondary {c['secondary']:,}, companions {c['companion']:,}, "
                      f"overlaps {c['overlap']:,}; measures {r.measures.created:,} new", "")
    table.add_row("outbreak day", f"{len(cases)} cases traced, measures assigned, codes recomputed",
                  f"{timings['trace']:.1f}")
    table.add_row("total", "", f"{timings['total']:.1f}")
    err.print(table)
