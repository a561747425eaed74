"""`fangkong case …`: declare a case, record a first positive, its re-check (the CLI group `case` is named in
FORMATS.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from fangkong.cases import service as case_service
from fangkong.errors import InvalidInput
from fangkong.kit.clikit import (
    at_or_now,
    err,
    handle_errors,
    lake_versions_line,
    out,
    parse_date,
    parse_time,
    unit_of_work,
)

app = typer.Typer(help="Cases: declare a positive person a case.", no_args_is_help=True)

#: when a command's event happened; default the clock's now (FANGKONG_NOW in a drill, docs/cli.md)
AtOpt = Annotated[str | None, typer.Option("--at", help="when it happened (default: now by the clock)")]


@app.command("declare")
@handle_errors
def case_declare(
    person_id: Annotated[str, typer.Argument(help="person_id of the positive person")],
    sampled_at: Annotated[str, typer.Option("--sampled-at", help="time of the first positive sample (ISO 8601)")],
    onset_date: Annotated[str | None, typer.Option("--onset-date", help="symptom onset date; none = asymptomatic")] = None,
    isolated_at: Annotated[str | None, typer.Option("--isolated-at", help="when the case was isolated")] = None,
    last_negative_at: Annotated[str | None, typer.Option(
        "--last-negative-at", help="last negative sample, for a case found by serial screening")] = None,
    severity: Annotated[str | None, typer.Option(help="轻型 mild / 普通型 moderate / 重型 severe / 危重型 critical")] = None,
    imported: Annotated[bool, typer.Option("--imported", help="an imported case (境外输入), e.g. found at the port")] = False,
    at: AtOpt = None,
) -> None:
    """Declare a case and print its id (a confirmed case when an onset date is given, else asymptomatic).

    Example: `fangkong case declare P0000042 --sampled-at 2022-03-14T08:30 --isolated-at 2022-03-14T20:00`
    """
    with unit_of_work() as session:
        case = case_service.declare_case(
            session, person_id, sampled_at=parse_time(sampled_at, "--sampled-at"),
            onset_date=parse_date(onset_date, "--onset-date"), isolated_at=parse_time(isolated_at, "--isolated-at"),
            last_negative_at=parse_time(last_negative_at, "--last-negative-at"), severity=severity,
            imported=imported, now=at_or_now(at))
        case_no = case.case_no
    print(case_no)


@app.command("positive")
@handle_errors
def case_positive(
    person_id: Annotated[str, typer.Argument(help="person_id of the person whose sample tested positive")],
    sampled_at: Annotated[str, typer.Option("--sampled-at", help="time of the positive sample (ISO 8601)")],
    at: AtOpt = None,
) -> None:
    """A first positive result: record a suspected case (可疑阳性) awaiting its re-check; prints its id.

    Example: `fangkong case positive P0000042 --sampled-at 2022-03-14T08:30`
    """
    with unit_of_work() as session:
        case = case_service.report_positive(session, person_id, sampled_at=parse_time(sampled_at, "--sampled-at"),
                                            now=at_or_now(at))
        case_no = case.case_no
    print(case_no)


@app.command("recheck")
@handle_errors
def case_recheck(
    case_id: Annotated[str, typer.Argument(help="the suspected case")],
    result: Annotated[str, typer.Option(help="positive (declare the case) or negative (rule it out)")],
    onset_date: Annotated[str | None, typer.Option("--onset-date", help="symptom onset; none = asymptomatic")] = None,
    isolated_at: Annotated[str | None, typer.Option("--isolated-at", help="when the case was isolated")] = None,
    at: AtOpt = None,
) -> None:
    """The re-check (复核) of a suspected case. Example: `fangkong case recheck C000001 --result positive`"""
    if result not in ("positive", "negative"):
        raise InvalidInput("--result must be positive or negative")
    with unit_of_work() as session:
        case = case_service.get_case(session, case_id)
        case_service.recheck(session, case, positive=result == "positive",
                             onset_date=parse_date(onset_date, "--onset-date"),
                             isolated_at=parse_time(isolated_at, "--isolated-at"), now=at_or_now(at))
        status = case.status
    err.print(f"{case_id}: {status}")


@app.command("rule-out")
@handle_errors
def case_rule_out(
    case_id: Annotated[str, typer.Argument(help="the declared case")],
    reason: Annotated[str, typer.Option("--reason", help="why: a false positive found by re-check, the wrong person…")],
    at: AtOpt = None,
) -> None:
    """Rule out a declared case, as of now (or --at): its hospital stay and the obligations that came only from it
    end (`source_ruled_out`), those they had taken over are in force again; prints how many persons' obligations
    ended (docs/rules.md, "A case ruled out after declaration").

    Example: `fangkong case rule-out C000002 --reason "re-check negative: a contaminated sample"`
    """
    with unit_of_work() as session:
        case = case_service.get_case(session, case_id)
        case_service.rule_out(session, case, reason=reason, now=at_or_now(at))
        case_no = case.case_no
    with unit_of_work() as session:
        effect = case_service.rule_out_effect(session, case_no)
    err.print(f"{case_no}: ruled out; obligations of {effect.get('persons', 0)} person(s) ended "
              f"(source_ruled_out), {len(effect.get('restored', []))} in force again", soft_wrap=True)


@app.command("show")
@handle_errors
def case_show(
    case_id: Annotated[str, typer.Argument(help="the case")],
    format: Annotated[str, typer.Option("--format", help="table or json (the API's shape, GET /api/cases/ID)")]
    = "table",
    lang: Annotated[str, typer.Option(help="zh (default) or en")] = "zh",
) -> None:
    """A case's record: status, times, its last trace's window and the lake version of each table it read
    (湖版本), with the `fangkong trace --as-of-version` that reads the lake as that trace did.

    Example: `fangkong case show C000001`; `fangkong case show C000001 --format json`
    """
    from fangkong.cases.schemas import CaseRead
    from fangkong.kit.i18n import t
    from fangkong.settings import get_settings

    if format not in ("table", "json"):
        raise InvalidInput("--format must be table or json")
    if lang not in ("zh", "en"):
        raise InvalidInput("--lang must be zh or en")
    with unit_of_work() as session:
        read = CaseRead.of(case_service.get_case(session, case_id))
    if format == "json":
        print(read.model_dump_json())
        return
    zone = get_settings().zone

    def when(v) -> str:
        return v.astimezone(zone).strftime("%Y-%m-%d %H:%M") if v else "–"

    rows = [("case_id", read.case_id), ("person", read.person_id), ("status", t(read.status, lang)),
            ("sampled_at", when(read.sampled_at)), ("declared_at", when(read.declared_at)),
            ("traced_at", when(read.traced_at)),
            ("window", f"{when(read.window_start)} → {when(read.window_end)}" if read.window_start else "–")]
    for key, value in rows:
        out.print(f"{t(key, lang)}: {value}", highlight=False, markup=False)
    stated = {k: v.model_dump(mode="json") for k, v in (read.lake_versions or {}).items()}
    out.print(f"{t('lake_versions', lang)}: {lake_versions_line(stated, zone, lang)}", highlight=False,
              markup=False, soft_wrap=True)
    pinned = [f"{k}={v['version']}" for k, v in stated.items() if v["version"] is not None]
    if pinned:
        out.print(f"{t('lake_retrace_hint', lang)}: fangkong trace {read.case_id} --as-of-version {','.join(pinned)}",
                  highlight=False, markup=False, soft_wrap=True)
