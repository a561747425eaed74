"""`fangkong verification …`: a community's door-to-door checks (落地核查) and the verifier's outcomes."""

from __future__ import annotations

from typing import Annotated

import typer

from fangkong.db.core import utcnow
from fangkong.kit.clikit import handle_errors, operator, out, parse_time, task_table, unit_of_work
from fangkong.measures.verification import service as verification
from fangkong.tasks import service as task_service

app = typer.Typer(help="Community verification (落地核查): find each risk person at the door, record the outcome.",
                  no_args_is_help=True)


@app.command("list")
@handle_errors
def list_cmd(jurisdiction: Annotated[str | None, typer.Option(help="community or district code (prefix)")] = None,
             status: Annotated[str, typer.Option(help="open, done, forwarded, not_found, wrong_person")] = "open",
             overdue: bool = False, limit: int = 100, offset: int = 0, lang: str = "zh") -> None:
    """A community's verification tasks, most urgent first (the version column is what `record` needs).

    Example: `fangkong verification list --jurisdiction 140105001001`
    """
    now = utcnow()
    with unit_of_work() as session:
        rows = verification.list_verifications(session, now=now, jurisdiction=jurisdiction, status=status,
                                               overdue=overdue, limit=limit, offset=offset)
        out.print(task_table(rows, now, lang, "verification", version=True))


@app.command("record")
@handle_errors
def record_cmd(
    task_id: int,
    outcome: Annotated[str, typer.Option(help="found_placed, moved, not_found or wrong_person")],
    as_jurisdiction: Annotated[str, typer.Option("--as", help="your jurisdiction code (the task's community)")],
    version: Annotated[int, typer.Option(help="the task version you read (verify list)")],
    to: Annotated[str | None, typer.Option(help="for `moved`: the community code the person moved to")] = None,
    at: Annotated[str | None, typer.Option(help="when it was found (default now)")] = None,
    note: Annotated[str | None, typer.Option(help="what the verifier saw")] = None,
) -> None:
    """Record the outcome of a door-to-door check.

    Example: `fangkong verification record 42 --outcome found_placed --as 140105001001 --version 1`
    """
    when = parse_time(at, "--at") or utcnow()
    with unit_of_work(actor=operator()) as session:
        task = verification.record_outcome(session, task_service.get_task(session, task_id), outcome,
                                           jurisdiction=as_jurisdiction, version=version, at=when, to_community=to,
                                           note=note)
        out.print(f"task {task.id}: {task.status}")
