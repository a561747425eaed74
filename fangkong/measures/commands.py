"""`fangkong measures …`: list the measures people are under."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.clikit import handle_errors, out, unit_of_work
from fangkong.i18n import t
from fangkong.measures import service
from fangkong.protocol.idnumber import mask
from fangkong.settings import get_settings

app = typer.Typer(help="Measures: isolation and monitoring orders with their test days.", no_args_is_help=True)


@app.command("list")
@handle_errors
def list_cmd(
    kind: Annotated[str | None, typer.Option(help="centralized_isolation, home_isolation, home_monitoring, "
                                                  "health_monitoring")] = None,
    status: Annotated[str, typer.Option(help="active, replaced or released")] = "active",
    limit: int = 50, offset: int = 0, lang: str = "zh",
) -> None:
    """Measures, newest last. Example: `fangkong measures list --kind centralized_isolation --limit 20`"""
    tz = get_settings().zone
    with unit_of_work() as session:
        rows = service.list_measures(session, status=status, kind=kind, limit=limit, offset=offset)
        counts = service.count_by_kind(session)
        table = Table(title=" · ".join(f"{t(k, lang)} {n:,}" for k, n in counts.items()) or "measures")
        for col in ("id", "person", "id number", "category", "measure", "until", "tests"):
            table.add_column(col)
        for m in rows:
            table.add_row(str(m.id), m.person.person_id, mask(m.person.id_number) or "", t(m.category, lang),
                          t(m.kind, lang), m.end_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                          " ".join(f"{x.due_date:%m-%d}:{x.result[0]}" for x in m.tests))
    out.print(table)
