"""`fangkong audit list`: the local operator reads the audit log (every write, who, when, before/after)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fangkong.auth import service
from fangkong.kit.clikit import handle_errors, out, parse_time, unit_of_work

__all__ = ["app"]

app = typer.Typer(help="The audit log: every write, who, when, before/after.", no_args_is_help=True)


@app.command("list")
@handle_errors
def audit_list(actor: Annotated[str | None, typer.Option("--actor")] = None,
               entity: Annotated[str | None, typer.Option("--entity", help="e.g. risk_person, zone, user")] = None,
               entity_id: Annotated[str | None, typer.Option("--id")] = None,
               action: Annotated[str | None, typer.Option("--action", help="a prefix, e.g. zone.")] = None,
               since: Annotated[str | None, typer.Option("--since", help="ISO time")] = None,
               limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
               as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False) -> None:
    """The audit log, newest first. Example: `fangkong audit list --action pii.unmask`"""
    with unit_of_work() as session:
        rows = service.audit_entries(session, actor=actor, entity=entity, entity_id=entity_id, action=action,
                                     since=parse_time(since, "--since"), limit=limit)
        if as_json:
            for r in rows:
                out.print(json.dumps({"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action,
                                      "entity": r.entity, "entity_id": r.entity_id, "before": r.before,
                                      "after": r.after}, ensure_ascii=False, default=str), highlight=False,
                          soft_wrap=True)
            return
        table = Table("id", "at", "actor", "action", "entity", "before → after")
        for r in rows:
            change = f"{json.dumps(r.before, ensure_ascii=False, default=str) if r.before else ''} → " \
                     f"{json.dumps(r.after, ensure_ascii=False, default=str) if r.after else ''}"
            table.add_row(str(r.id), r.at.isoformat(timespec="seconds"), r.actor, r.action,
                          f"{r.entity} {r.entity_id}", change[:200])
        out.print(table)
