"""`fangkong codes …`: a person's health code with its reasons."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from fangkong.kit.clikit import handle_errors, out, parse_time, setup, unit_of_work
from fangkong.kit.i18n import t
from fangkong.protocol.edition import load_edition
from fangkong.protocol.obligations import reasons_json

app = typer.Typer(help="Health codes (red / yellow / green), derived from records.", no_args_is_help=True)


@app.callback()
def _start(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand != "show":   # `show` reads plainly, without the models registry (issue 27)
        setup()


@app.command("show")
@handle_errors
def show(person_id: str, format: Annotated[str, typer.Option("--format")] = "text", lang: str = "zh") -> None:
    """A person's colour now, why, and when it next changes. Example: `fangkong codes show P0000042`"""
    # issue 27: read plainly (no ORM, no pydantic-settings: a start under 0.5 s), by the same rules; the ORM path
    # when the plain read leaves it (a drill clock, a store to migrate, an obligation waiting on its results)
    from fangkong.codes.plain import person_code

    plain = person_code(person_id)
    if plain is not None:
        shown, colour, changes_at, tz = plain.person_id, plain.code.colour, plain.code.changes_at, plain.tz
        reasons = reasons_json(plain.code.reasons, tz)
    else:
        from fangkong.codes import service
        from fangkong.db.core import utcnow
        from fangkong.settings import get_settings

        s = get_settings()
        with unit_of_work() as session:
            code = service.person_code(session, person_id, edition=load_edition(s.edition), now=utcnow(), tz=s.zone)
        shown, colour, changes_at, tz, reasons = code.person_id, code.colour, code.changes_at, s.zone, code.reasons
    if format == "json":
        print(json.dumps({"person_id": shown, "colour": colour, "reasons": reasons,
                          "changes_at": changes_at.astimezone(tz).isoformat() if changes_at else None},
                         ensure_ascii=False))
        return
    text = ", ".join(t(r["label"], lang) for r in reasons) or "-"
    out.print(f"{shown}: [bold {colour}]{t(colour, lang)}[/] ({text})"
              + (f" until {changes_at.astimezone(tz):%Y-%m-%d %H:%M}" if changes_at else ""))


@app.command("refresh")
@handle_errors
def refresh() -> None:
    """Recompute the stored codes that time has changed (a reason ended, a test became overdue).

    Example: `fangkong codes refresh` (the scheduled job codes.recolour runs it every minute: docs/operations.md)."""
    from fangkong.codes import service
    from fangkong.db.core import utcnow
    from fangkong.settings import get_settings

    s = get_settings()
    with unit_of_work() as session:
        counts = service.refresh(session, edition=load_edition(s.edition), now=utcnow(), tz=s.zone)
    out.print(f"codes refreshed: {counts['changed']} changed ({counts['red']} red, {counts['yellow']} yellow, "
              f"{counts['green']} green)")


@app.command("check")
@handle_errors
def check(person_id: str, at: Annotated[str | None, typer.Option(help="check time (default now)")] = None,
          format: Annotated[str, typer.Option("--format")] = "text") -> None:
    """Two-code check (验双码): colour + travel card + negative test within 48 h; exit 0 pass, 2 fail.

    Example: `fangkong codes check P0000042 --format json`"""
    from fangkong.codes import twocode  # the lake (ibis, DuckDB): only this command reads it
    from fangkong.db.core import utcnow
    from fangkong.lake.queries import Lake
    from fangkong.settings import get_settings

    s = get_settings()
    when = parse_time(at, "--at")
    with unit_of_work() as session:
        r = twocode.two_code_check(session, Lake.from_settings(s, when), person_id, at=when, now=utcnow(),
                                   edition=load_edition(s.edition), tz=s.zone)
    if format == "json":
        print(json.dumps(vars(r), ensure_ascii=False, default=str))
    else:
        cities = "、".join(c["city"] + ("*" if c["risk_area"] else "") for c in r.travel_card) or "-"
        out.print(f"{person_id}: {'PASS' if r.passed else 'FAIL'} — {r.colour}; travel card {cities}; "
                  f"negative test {r.negative_test_at or 'none'}" + (f"; {', '.join(r.reasons)}" if r.reasons else ""),
                  highlight=False)
    if not r.passed:
        raise typer.Exit(2)
