"""`fangkong tasks …`: open and overdue tasks against the clock, with their owners."""

from __future__ import annotations

from typing import Annotated

import typer

from fangkong.db.core import utcnow
from fangkong.kit.clikit import handle_errors, out, parse_time, task_table, unit_of_work
from fangkong.kit.i18n import t
from fangkong.tasks import service
from fangkong.tasks.models import TASK_KINDS

app = typer.Typer(help="Tasks against the clock (DOMAIN.md §3): who must do what by when.", no_args_is_help=True)

KindOpt = Annotated[str | None, typer.Option(help=", ".join(TASK_KINDS))]


def _kind(kind: str | None) -> str | None:
    if kind is not None and kind not in TASK_KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(TASK_KINDS)}", param_hint="--kind")
    return kind


@app.command("overdue")
@handle_errors
def overdue_cmd(kind: KindOpt = None, owner: Annotated[str | None, typer.Option(help="team, site, community …")] = None,
                jurisdiction: Annotated[str | None, typer.Option(help="jurisdiction code prefix")] = None,
                at: Annotated[str | None, typer.Option(help="evaluate at this time (default now)")] = None,
                limit: int = 100, offset: int = 0, lang: str = "zh") -> None:
    """Open tasks past their deadline, most overdue first, with who owns them.

    Example: `fangkong tasks overdue --kind transfer --at 2022-03-14T20:00`
    """
    now = parse_time(at, "--at", planned=True) or utcnow()
    with unit_of_work() as session:
        rows = service.list_tasks(session, now=now, overdue=True, kind=_kind(kind), owner=owner,
                                  jurisdiction=jurisdiction, limit=limit, offset=offset)
        counts = service.overdue_counts(session, now=now)
        title = " · ".join(f"{t(k, lang)} {n:,}" for k, n in sorted(counts.items())) or t("no_overdue", lang)
        out.print(task_table(rows, now, lang, f"{t('overdue_tasks', lang)}: {title}"))


@app.command("list")
@handle_errors
def list_cmd(kind: KindOpt = None, status: Annotated[str, typer.Option(help="open, done, forwarded, …")] = "open",
             owner: str | None = None, jurisdiction: str | None = None, limit: int = 100, offset: int = 0,
             lang: str = "zh") -> None:
    """Tasks by status, most urgent first. Example: `fangkong tasks list --kind verification --owner 140105001001`"""
    now = utcnow()
    with unit_of_work() as session:
        rows = service.list_tasks(session, now=now, status=status, kind=_kind(kind), owner=owner,
                                  jurisdiction=jurisdiction, limit=limit, offset=offset)
        out.print(task_table(rows, now, lang, t("tasks", lang), status=True))
