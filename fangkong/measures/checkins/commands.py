"""`fangkong checkins …`: personal check-in links, the day's non-reporters and symptom alerts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import utcnow
from fangkong.kit.clikit import handle_errors, out, parse_date, parse_time, unit_of_work
from fangkong.measures.checkins import service as checkins
from fangkong.settings import get_settings

app = typer.Typer(help="Daily health check-ins by people under a measure (temperature, symptoms).",
                  no_args_is_help=True)


@app.command("links")
@handle_errors
def links_cmd(base_url: Annotated[str, typer.Option(help="where the web app is served")] = "http://127.0.0.1:8000",
              limit: int = 100, offset: int = 0) -> None:
    """Each person's personal link to send by SMS. Example: `fangkong checkins links --limit 20`"""
    settings = get_settings()
    with unit_of_work() as session:
        for m, path in checkins.links(session, secret=settings.secret_key, limit=limit, offset=offset):
            out.print(f"{m.person.person_id}\t{base_url.rstrip('/')}{path}", highlight=False, soft_wrap=True)


@app.command("missing")
@handle_errors
def missing_cmd(day: Annotated[str | None, typer.Option(help="the day (default today)")] = None,
                by_hour: Annotated[int | None, typer.Option(min=0, max=23, help="cut-off hour (default "
                                                                                "FANGKONG_CHECKIN_BY_HOUR, 14)")] = None,
                jurisdiction: str | None = None, limit: int = 100, offset: int = 0) -> None:
    """People who had not reported by the cut-off hour. Example: `fangkong checkins missing --day 2022-03-14`"""
    settings = get_settings()
    the_day = parse_date(day, "--day") or utcnow().astimezone(settings.zone).date()
    hour = settings.checkin_by_hour if by_hour is None else by_hour
    with unit_of_work() as session:
        rows = checkins.non_reporters(session, day=the_day, by_hour=hour, tz=settings.zone,
                                      jurisdiction=jurisdiction, limit=limit, offset=offset)
        table = Table(title=f"not reported by {the_day} {hour:02d}:00")
        for col in ("measure", "person", "community", "measure kind"):
            table.add_column(col)
        for m in rows:
            table.add_row(str(m.id), m.person.person_id, m.person.community or "", m.kind)
    out.print(table)


@app.command("alerts")
@handle_errors
def alerts_cmd(day: Annotated[str | None, typer.Option(help="the day (default today)")] = None) -> None:
    """The day's reports with symptoms or fever. Example: `fangkong checkins alerts`"""
    settings = get_settings()
    the_day = parse_date(day, "--day") or utcnow().astimezone(settings.zone).date()
    with unit_of_work() as session:
        table = Table(title=f"symptom alerts {the_day}")
        for col in ("time", "person", "temperature", "symptoms"):
            table.add_column(col)
        for c in checkins.alerts(session, day=the_day, limit=1000):
            table.add_row(c.at.astimezone(settings.zone).strftime("%H:%M"), c.measure.person.person_id,
                          f"{c.temperature:.1f}" if c.temperature is not None else "", ", ".join(c.symptoms))
    out.print(table)


@app.command("report")
@handle_errors
def report_cmd(token: Annotated[str, typer.Argument(help="the token of the personal link")],
               temperature: Annotated[float | None, typer.Option(min=34, max=43)] = None,
               symptom: Annotated[list[str] | None, typer.Option(help="fever, cough, sore_throat, …")] = None,
               at: Annotated[str | None, typer.Option(help="when (default now)")] = None) -> None:
    """A report taken by phone or at the door for a person without a smartphone.

    Example: `fangkong checkins report 12.AbC… --temperature 37.8 --symptom cough`
    """
    settings = get_settings()
    with unit_of_work() as session:
        m = checkins.measure_for_link(session, token, settings.secret_key)
        c = checkins.record(session, m, temperature=temperature, symptoms=list(symptom or []),
                            at=parse_time(at, "--at") or utcnow(), tz=settings.zone)
        out.print("alert raised" if c.alert else "reported")
