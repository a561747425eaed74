"""`fangkong sim …`: generate a synthetic city in the FORMATS.md files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from fangkong.kit.clikit import err, handle_errors, progress, step_bars

app = typer.Typer(help="Synthetic cities for demos, tests and benchmarks.", no_args_is_help=True)


def run_with_bars(out: Path, **kwargs):
    """generate_city with one Rich progress bar per step."""
    from fangkong.sim.city import generate_city

    with progress() as bar:
        return generate_city(out, progress=step_bars(bar, lambda step: f"generate {step}"), **kwargs)


@app.command("city")
@handle_errors
def city(
    out: Annotated[Path, typer.Argument(help="folder to write persons.csv, venues.csv, venue_visits.parquet, "
                                             "cell_dwells.parquet")],
    persons: Annotated[int, typer.Option(min=10, help="people in the city")] = 100_000,
    days: Annotated[int, typer.Option(min=1, max=60, help="days of scans and carrier dwells")] = 14,
    seed: Annotated[int, typer.Option(help="same seed, same city")] = 7,
    start: Annotated[str, typer.Option(help="first simulated day")] = "2022-03-01",
) -> None:
    """Generate a city. Example: `fangkong sim city ./data/city --persons 20000 --days 14 --seed 1`"""
    summary = run_with_bars(out, persons=persons, days=days, seed=seed, start=date.fromisoformat(start))
    err.print(f"{summary.persons:,} persons in {summary.households:,} households, {summary.venues:,} venues, "
              f"{summary.visits:,} venue visits, {summary.dwells:,} carrier dwells → {out}")
    err.print(f"index person for an outbreak: {summary.index_person_id}, sampled {summary.index_sampled_at:%Y-%m-%d %H:%M}")
