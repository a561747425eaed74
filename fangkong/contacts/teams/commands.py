"""`fangkong teams …`: register tracing teams, see their load, keep each case's investigation record, and compare
the trajectory a case declared with what the data shows (瞒报)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fangkong.cases import service
from fangkong.contacts import concealment
from fangkong.contacts.teams import service as teams
from fangkong.db.core import utcnow
from fangkong.kit.clikit import handle_errors, operator, out, unit_of_work
from fangkong.lake.queries import Lake
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings

app = typer.Typer(help="Tracing teams (流调队) and the investigation of each case.", no_args_is_help=True)


def _member(text: str) -> dict:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise typer.BadParameter(f"{text!r} is not NAME:ROLE[:PHONE], e.g. 张伟:cdc:13800000001",
                                 param_hint="--member")
    return {"name": parts[0], "role": parts[1], "phone": parts[2] if len(parts) == 3 else None}


@app.command("add")
@handle_errors
def add_cmd(team_id: str, name: Annotated[str, typer.Option(help="display name")],
            jurisdiction: Annotated[str, typer.Option(help="jurisdiction code the team serves, e.g. 140105")],
            member: Annotated[list[str], typer.Option(help="NAME:ROLE[:PHONE], role cdc, medical or police")],
            max_cases: Annotated[int, typer.Option(min=1, max=50, help="open cases it can carry")] = 2) -> None:
    """Register a team: at least 2 CDC/medical members and 1 police officer.

    Example: `fangkong teams add T01 --name 小店一队 --jurisdiction 140105 --member 张伟:cdc --member 李娜:medical
    --member 王强:police`
    """
    members = [_member(m) for m in member]
    with unit_of_work(actor=operator()) as session:
        team = teams.register_team(session, team_id, name=name, jurisdiction=jurisdiction, members=members,
                                   max_cases=max_cases, now=utcnow())
        out.print(team.team_id)


@app.command("list")
@handle_errors
def list_cmd() -> None:
    """Teams with their open cases. Example: `fangkong teams list`"""
    with unit_of_work() as session:
        table = Table(title="tracing teams")
        for col in ("team", "name", "jurisdiction", "members", "status", "open cases"):
            table.add_column(col)
        for tm, n in teams.list_teams(session):
            table.add_row(tm.team_id, tm.name, tm.jurisdiction, " ".join(f"{m['name']}({m['role']})" for m in tm.members),
                          tm.status, f"{n}/{tm.max_cases}")
    out.print(table)


@app.command("status")
@handle_errors
def status_cmd(team_id: str, status: Annotated[str, typer.Argument(help="on_duty or off_duty")]) -> None:
    """Take a team on or off duty. Example: `fangkong teams status T01 off_duty`"""
    with unit_of_work(actor=operator()) as session:
        teams.set_team_status(session, teams.get_team(session, team_id), status, now=utcnow())


@app.command("investigation")
@handle_errors
def investigation_cmd(
    case_id: str,
    status: Annotated[str | None, typer.Option(help="interviewing, trajectory_confirmed or closed")] = None,
    notes: Annotated[str | None, typer.Option(help="interview notes (replace the current notes)")] = None,
    trajectory: Annotated[str | None, typer.Option(help='declared trajectory as JSON: [{"place", "start", '
                                                        '"end", "note"}]')] = None,
    version: Annotated[int | None, typer.Option(help="the version you read (required to change anything)")] = None,
) -> None:
    """Show a case's investigation, or update it (give --version: a stale one is refused).

    Example: `fangkong teams investigation C000001 --status interviewing --notes "到家访谈" --version 2`
    """
    points = _trajectory(trajectory)
    with unit_of_work(actor=operator()) as session:
        inv = teams.get_investigation(session, service.get_case(session, case_id))
        if any(x is not None for x in (status, notes, points)):
            if version is None:
                raise typer.BadParameter("give --version (the version you read) to change the record",
                                         param_hint="--version")
            inv = teams.update_investigation(session, inv, version=version, now=utcnow(), status=status, notes=notes,
                                             declared_trajectory=points)
        out.print(json.dumps(teams.investigation_state(inv), ensure_ascii=False, indent=1))


def _trajectory(text: str | None) -> list[dict] | None:
    if text is None:
        return None
    try:
        points = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc.msg}", param_hint="--trajectory") from None
    if not isinstance(points, list) or not all(isinstance(p, dict) and isinstance(p.get("place"), str) for p in points):
        raise typer.BadParameter('a list of {"place": ..., "start": ..., "end": ...}', param_hint="--trajectory")
    return points


@app.command("diff")
@handle_errors
def diff(case_id: str, format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
         all_points: Annotated[bool, typer.Option("--all", help="list declared points too")] = False) -> None:
    """Data trajectory points (venue scans, carrier cells) missing from the case's declaration.

    Example: `fangkong teams diff C000001` (declare the trajectory first with
    `fangkong teams investigation C000001 --trajectory …` or PATCH /api/investigations/C000001).
    """
    s = get_settings()
    with unit_of_work() as session:
        case = service.get_case(session, case_id)
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
