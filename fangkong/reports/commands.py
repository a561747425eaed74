"""`fangkong report …`: the daily bulletin."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from fangkong.clikit import handle_errors, parse_date, today, unit_of_work
from fangkong.errors import InvalidInput
from fangkong.reports import service
from fangkong.reports.text import render
from fangkong.settings import get_settings

app = typer.Typer(help="Reports: the daily bulletin (通报).", no_args_is_help=True)


@app.command("bulletin")
@handle_errors
def bulletin_cmd(
    date: Annotated[str | None, typer.Option("--date", help="the day, e.g. 2022-03-14 (default: today by the "
                                                            "clock, FANGKONG_NOW in a drill)")] = None,
    lang: Annotated[str, typer.Option(help="zh (default) or en")] = "zh",
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """The day's bulletin, every figure counted from the records.

    Example: `fangkong report bulletin --date 2022-03-14 --lang en`
    """
    if lang not in ("zh", "en"):
        raise InvalidInput("--lang must be zh or en")
    day = parse_date(date, "--date", planned=True) or today()
    with unit_of_work() as session:
        b = service.bulletin(session, day, tz=get_settings().zone)
    if format == "json":
        print(json.dumps(b.as_dict(), ensure_ascii=False))
    else:
        print(render(b, lang=lang))
