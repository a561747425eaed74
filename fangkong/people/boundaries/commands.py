"""`fangkong boundaries …`: import jurisdiction boundaries (GeoJSON) for the map; list what is there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fangkong.kit.clikit import err, handle_errors, operator, out, unit_of_work
from fangkong.people.boundaries import service

app = typer.Typer(help="Jurisdiction boundaries (GeoJSON) drawn on the map.", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_cmd(file: Path,
               replace: Annotated[bool, typer.Option("--replace", help="redraw known codes with the file's shape")] = False,
               strict: Annotated[bool, typer.Option("--strict", help="commit nothing when any feature is bad")] = False,
               ) -> None:
    """Import a GeoJSON FeatureCollection of jurisdictions (docs/formats.md, boundaries.geojson); each bad feature
    is reported with its line and number, the others are kept. The same file again changes nothing.

    Example: `fangkong boundaries import data/city/boundaries.geojson`"""
    with unit_of_work(actor=operator()) as session:
        r = service.import_boundaries(session, file, replace=replace, strict=strict)
    err.print(f"{r.file}: {r.rows} features, {r.inserted} new, {r.unchanged} unchanged, {r.rejected} rejected"
              + ("" if r.committed else " (--strict: nothing imported)"))
    for e in r.errors or []:
        err.print(f"[red]error:[/] {e}", highlight=False, soft_wrap=True)
    if r.errors:
        raise typer.Exit(1)


@app.command("list")
@handle_errors
def list_cmd() -> None:
    """Count the boundaries of each level. Example: `fangkong boundaries list`"""
    with unit_of_work() as session:
        rows = service.boundaries(session)
    counts: dict[str, int] = {}
    for b in rows:
        counts[b.level] = counts.get(b.level, 0) + 1
    for level, n in counts.items():
        out.print(f"{level}\t{n}")
