"""`fangkong measures …`: list measures; escalate, extend, release them; record a scheduled test's result."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import utcnow
from fangkong.kit.clikit import err, handle_errors, operator, out, parse_time, unit_of_work
from fangkong.kit.i18n import t
from fangkong.measures import lifecycle, service
from fangkong.protocol.edition import load_edition
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


def _when(at: str | None):
    return parse_time(at, "--at") or utcnow()


AtOpt = Annotated[str | None, typer.Option(help="when (default now), e.g. 2022-03-18T00:00")]


@app.command("escalate")
@handle_errors
def escalate_cmd(measure_id: int, reason: Annotated[str, typer.Option(help="why (audited)")], at: AtOpt = None) -> None:
    """Home → centralized isolation for the rest of the period. Example: `fangkong measures escalate 12 --reason 家中无独立房间`"""
    with unit_of_work(actor=operator()) as session:
        m = lifecycle.escalate(session, service.get_measure(session, measure_id), now=_when(at), reason=reason)
        out.print(f"measure {m.id}: {m.kind}")


@app.command("extend")
@handle_errors
def extend_cmd(measure_id: int, exposure_at: Annotated[str, typer.Option(help="the new exposure")],
               reason: Annotated[str, typer.Option(help="why (audited)")], at: AtOpt = None) -> None:
    """A new exposure restarts the clock. Example: `fangkong measures extend 12 --exposure-at 2022-03-13T09:00 --reason 同楼层阳性`"""
    settings = get_settings()
    with unit_of_work(actor=operator()) as session:
        m = lifecycle.extend(session, service.get_measure(session, measure_id),
                             exposure_at=parse_time(exposure_at, "--exposure-at"), edition=load_edition(settings.edition),
                             tz=settings.zone, now=_when(at), reason=reason)
        out.print(f"measure {m.id}: until {m.end_at.astimezone(settings.zone):%Y-%m-%d %H:%M}")


@app.command("release")
@handle_errors
def release_cmd(measure_id: int, at: AtOpt = None) -> None:
    """Release (or step down to home monitoring) after the full period with every test negative.

    Example: `fangkong measures release 12`
    """
    settings = get_settings()
    with unit_of_work(actor=operator()) as session:
        d, m = lifecycle.release(session, service.get_measure(session, measure_id),
                                 edition=load_edition(settings.edition), tz=settings.zone, now=_when(at))
        out.print(f"measure {m.id}: {d.action} ({d.reason})")


@app.command("release-due")
@handle_errors
def release_due_cmd(at: AtOpt = None) -> None:
    """Apply the release rules to every measure whose period is over; list who may not leave yet and why.

    Example: `fangkong measures release-due --at 2022-03-18T00:00`
    """
    settings = get_settings()
    with unit_of_work(actor=operator()) as session:
        r = lifecycle.release_due(session, edition=load_edition(settings.edition), tz=settings.zone, now=_when(at))
    out.print(f"released {r.released}, stepped down {r.stepped_down}, upgraded {r.upgraded}, blocked {len(r.blocked)}")
    for measure_id, person_id, reason in r.blocked:
        err.print(f"measure {measure_id} ({person_id}): {reason}", highlight=False)


@app.command("result")
@handle_errors
def result_cmd(test_id: int, result: Annotated[str, typer.Argument(help="negative, positive, suspected, invalid")],
               at: AtOpt = None) -> None:
    """A scheduled test's result; positive opens a suspected case. Example: `fangkong measures result 31 negative`"""
    settings = get_settings()
    with unit_of_work(actor=operator()) as session:
        case = lifecycle.record_result(session, lifecycle.get_test(session, test_id), result, at=_when(at),
                                       edition=load_edition(settings.edition), tz=settings.zone)
        out.print(f"test {test_id}: {result}" + (f"; case {case.case_no} awaits its re-check" if case else ""))
