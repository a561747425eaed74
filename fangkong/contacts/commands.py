"""`fangkong investigation …`: compare the trajectory a case declared with what the data shows (瞒报)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fangkong.cases import service as case_service
from fangkong.contacts import concealment
from fangkong.kit.clikit import handle_errors, out, unit_of_work
from fangkong.lake.queries import Lake
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings

app = typer.Typer(help="Investigations: declared trajectory versus the data.", no_args_is_help=True)


@app.command("diff")
@handle_errors
def diff(case_id: str, format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
         all_points: Annotated[bool, typer.Option("--all", help="list declared points too")] = False) -> None:
    """Data trajectory points (venue scans, carrier cells) missing from the case's declaration.

    Example: `fangkong investigation diff C000001` (declare the trajectory first with
    `fangkong teams investigation C000001 --trajectory …` or PATCH /api/investigations/C000001).
    """
    s = get_settings()
    with unit_of_work() as session:
        case = case_service.get_case(session, case_id)
        points = concealment.undeclared(session, case, lake=Lake.from_settings(s, case.sampled_at),
                                        edition=load_edition(case.edition or s.edition), tz=s.zone)
    shown = [p for p in points if all_points or not p.declared]
    if format == "json":
        print(json.dumps([{"source": p.source, "place": p.place, "name": p.name, "start": p.start.isoformat(),
                           "end": p.end.isoformat(), "declared": p.declared} for p in shown], ensure_ascii=False))
        return
    table = Table(title=f"{case_id}: {sum(not p.declared for p in points)} undeclared of {len(points)} data points")
    for col in ("time", "source", "place", "declared"):
        table.add_column(col)
    for p in shown:
        table.add_row(f"{p.start:%m-%d %H:%M}–{p.end:%H:%M}", p.source, f"{p.name or ''} {p.place}".strip(),
                      "yes" if p.declared else "[bold red]NO[/]")
    out.print(table)
