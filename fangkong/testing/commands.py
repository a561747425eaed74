"""`fangkong testing …`: plan a round, register points, labs and rounds, follow progress, turnaround, re-tests."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.clikit import err, handle_errors, operator, out, parse_date, parse_time, unit_of_work
from fangkong.kit.i18n import t
from fangkong.protocol.edition import load_edition
from fangkong.protocol.idnumber import mask
from fangkong.protocol.pooling import RoundPlan, testing_rule
from fangkong.settings import get_settings
from fangkong.testing import service
from fangkong.testing.models import ENV_PLACES, ROUND_KINDS, ConflictStatus

app = typer.Typer(help="Mass testing and the lab: rounds, pooled tubes, labs, results, re-tests.",
                  no_args_is_help=True)
point_app = typer.Typer(help="Sampling points.", no_args_is_help=True)
lab_app = typer.Typer(help="Labs and their daily capacity.", no_args_is_help=True)
round_app = typer.Typer(help="Testing rounds (全员核酸, 三日三检, zone rounds).", no_args_is_help=True)
env_app = typer.Typer(help="Environmental samples (物表).", no_args_is_help=True)
app.add_typer(point_app, name="point")
app.add_typer(lab_app, name="lab")
app.add_typer(round_app, name="round")
app.add_typer(env_app, name="env")


def _rule():
    return testing_rule(load_edition(get_settings().edition))


def parse_labs(text: str) -> dict[str, int]:
    """"own:143000,contract:80000" or "143000,80000" → {lab: daily capacity}."""
    labs: dict[str, int] = {}
    for i, part in enumerate(p.strip() for p in text.split(",") if p.strip()):
        name, _, cap = part.rpartition(":")
        try:
            labs[name or f"lab{i + 1}"] = int(cap.replace("_", ""))
        except ValueError:
            raise InvalidInput(f"--labs: {part!r} is not LAB:CAPACITY (tubes per day)") from None
    if not labs:
        raise InvalidInput("--labs needs at least one lab, e.g. --labs own:143000,contract:80000")
    return labs


def _plan_table(p: RoundPlan, lang: str) -> Table:
    zh = lang != "en"
    table = Table(title="全员核酸检测规划" if zh else "Round plan")
    table.add_column("项目" if zh else "figure")
    table.add_column("数值" if zh else "value", justify="right")
    rows = [("persons", f"{p.persons:,}"), ("single-tube persons (key groups, 单人单管)", f"{p.single_tube_persons:,}"),
            ("prevalence", f"{p.prevalence:g}"),
            ("Dorfman optimum pool size (≤ validated max)", f"{p.optimal_k} → {p.optimal_tests_per_person:.3f} tests/person"),
            ("pool size used", f"{p.pool_size} → {p.tests_per_person:.3f} tests/person"),
            ("first-stage tubes", f"{p.first_tubes:,}"), ("expected single re-tests", f"{p.expected_retests:,.0f}"),
            ("expected tests", f"{p.expected_tests:,.0f}"), ("lab capacity / day", f"{p.capacity_per_day:,}"),
            ("lab-days", f"{p.lab_days:.2f}"), ("sampling points (guide)", f"{p.points:,} ({p.points_recommended:,})"),
            ("sampling hours", f"{p.sampling_hours:.1f}"),
            ("round takes (h)", f"{p.hours:.1f} vs {p.target_hours:g} h target: "
                                + ("met" if p.meets_target else "NOT met"))]
    for k, v in rows:
        table.add_row(k, v)
    for s in p.labs:
        table.add_row(f"lab {s.lab_id} ({s.capacity:,}/day)", f"{s.tubes:,} tubes, {s.hours:.1f} h")
    return table


@app.command("plan")
@handle_errors
def plan_cmd(
    persons: Annotated[int | None, typer.Option(min=1, max=10**9, help="people to test")] = None,
    prevalence: Annotated[float, typer.Option(help="expected share positive, strictly between 0 and 1")] = 0.001,
    points: Annotated[int | None, typer.Option(min=1, help="sampling points")] = None,
    labs: Annotated[str | None, typer.Option(help="LAB:CAPACITY,… tubes per day, e.g. own:143000,contract:80000")] = None,
    single: Annotated[int, typer.Option(min=0, help="people in key groups (single tubes)")] = 0,
    pool_size: Annotated[int | None, typer.Option(help="force a pool size (default: the best validated size)")] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="plan a stored round with the registered labs")] = None,
    lang: str = "zh",
) -> None:
    """Choose the pool size (Dorfman) and show tests, tubes, lab-days, sampling hours and duration.

    Example: `fangkong testing plan --persons 10000000 --prevalence 0.001 --points 4000 --labs own:143000,contract:80000`
    """
    if not 0 < prevalence < 1:
        raise InvalidInput(f"--prevalence must lie strictly between 0 and 1, got {prevalence}")
    if round_id:
        with unit_of_work() as session:
            p = service.plan_for_round(session, round_id, rule=_rule(), prevalence=prevalence)
    else:
        if persons is None or points is None or labs is None:
            raise InvalidInput("give --persons, --points and --labs (or --round)")
        p = service.plan(_rule(), persons=persons, prevalence=prevalence, points=points, labs=parse_labs(labs),
                         single_tube_persons=single, pool_size=pool_size)
    out.print(_plan_table(p, lang))
    for w in p.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)


@point_app.command("add")
@handle_errors
def point_add(point_id: str, community: Annotated[str | None, typer.Option(help="jurisdiction code")] = None,
              tables: Annotated[int, typer.Option(min=1, max=1000, help="sampling tables")] = 1,
              name: str | None = None) -> None:
    """Register a sampling point. Example: `fangkong testing point add PT001 --community 140105001001 --tables 4`"""
    with unit_of_work(actor=operator()) as session:
        service.add_point(session, point_id, name=name, community=community, tables=tables)
    err.print(f"point {point_id} registered")


@lab_app.command("add")
@handle_errors
def lab_add(lab_id: str, capacity: Annotated[int, typer.Option(min=1, help="tubes per day")],
            kind: Annotated[str, typer.Option(help="own or contracted")] = "own", name: str | None = None) -> None:
    """Register a lab. Example: `fangkong testing lab add LAB1 --capacity 48000 --kind own`"""
    with unit_of_work(actor=operator()) as session:
        service.add_lab(session, lab_id, daily_capacity=capacity, kind=kind, name=name)
    err.print(f"lab {lab_id} registered")


@lab_app.command("list")
@handle_errors
def lab_list() -> None:
    """Labs with their daily capacity. Example: `fangkong testing lab list`"""
    with unit_of_work() as session:
        table = Table(title="labs")
        for col in ("lab", "kind", "tubes/day"):
            table.add_column(col)
        for lab in service.list_labs(session):
            table.add_row(lab.lab_id, lab.kind, f"{lab.daily_capacity:,}")
    out.print(table)


@round_app.command("create")
@handle_errors
def round_create(
    round_id: str,
    start: Annotated[str, typer.Option(help="first day (ISO date)")],
    point: Annotated[list[str] | None, typer.Option(help="a sampling point (repeat the option for more)")] = None,
    end: Annotated[str | None, typer.Option(help="last day (default: the first)")] = None,
    name: Annotated[str | None, typer.Option(help="e.g. 第一轮全员核酸")] = None,
    kind: Annotated[str, typer.Option(help=", ".join(ROUND_KINDS))] = "mass",
    pool_size: Annotated[int, typer.Option(help="swabs per pooled tube: 1, 5, 10 or 20")] = 10,
    community: Annotated[list[str] | None, typer.Option(help="a community code of the area (none = everyone)")] = None,
) -> None:
    """Create a round. Example: `fangkong testing round create R1 --start 2022-03-14 --point PT001 --point PT002`"""
    first = parse_date(start, "--start", planned=True)
    with unit_of_work(actor=operator()) as session:
        service.create_round(session, round_id, rule=_rule(), name=name or round_id, kind=kind, start_date=first,
                             end_date=parse_date(end, "--end", planned=True) if end else first, point_ids=point or [],
                             pool_size=pool_size, communities=community or [])
    err.print(f"round {round_id} created")


@round_app.command("progress")
@handle_errors
def round_progress(round_id: str, missing: Annotated[int, typer.Option(help="list this many not yet sampled")] = 0,
                   lang: str = "zh") -> None:
    """Expected / sampled / results in / reactive, per point and community. Example: `fangkong testing round progress R1`"""
    with unit_of_work() as session:
        rnd = service.get_round(session, round_id)
        p = service.round_progress(session, rnd)
        left = service.not_sampled(session, rnd, limit=missing) if missing else []
        table = Table(title=f"{p['round_id']} {p['name']}: {p['sampled']:,} / {p['expected']:,} sampled, "
                            f"{p['not_sampled']:,} not yet (不漏一人)")
        for col in ("point / community", "expected", "sampled", "tubes", "results in", "reactive tubes", "people"):
            table.add_column(col, justify="left" if col.startswith("point") else "right")
        for row in p["points"]:
            table.add_row(f"point {row['point_id']}", "", *(f"{row[k]:,}" for k in
                          ("sampled", "tubes", "results_in", "reactive_tubes", "reactive_people")))
        for row in p["communities"]:
            table.add_row(f"community {row['community']}", f"{row['expected']:,}", *(f"{row[k]:,}" for k in
                          ("sampled", "tubes", "results_in", "reactive_tubes", "reactive_people")))
        names = [f"{x.person_id} {mask(x.id_number) or ''}" for x in left]
    out.print(table)
    for n in names:
        out.print(n, highlight=False)


@app.command("recount")
@handle_errors
def recount() -> None:
    """Count every round's figures (progress, turnaround) and the persons per community again, repairing any
    drift; the imports keep them, the scheduled job testing.recount checks them nightly.

    Example: `fangkong testing recount`
    """
    with unit_of_work(actor=operator()) as session:
        done = service.recount_figures(session)
    err.print(f"{done['rounds']} rounds counted again, {done['repaired']} rows repaired")


@app.command("turnaround")
@handle_errors
def turnaround_cmd(round_id: Annotated[str | None, typer.Option("--round")] = None) -> None:
    """Hours per stage (采→送 ship, 送→检 test, 检→报 report, total) per lab: p50, p90, p99.

    Example: `fangkong testing turnaround --round R1`
    """
    with unit_of_work() as session:
        rows = service.turnaround(session, round_id=round_id)
    table = Table(title="turnaround (hours)")
    for col in ("lab", "stage", "tubes", "p50", "p90", "p99", "max"):
        table.add_column(col, justify="left" if col in ("lab", "stage") else "right")
    for r in rows:
        table.add_row(r["lab_id"] or "-", r["stage"], f"{r['count']:,}", *(f"{r[k]:.2f}" for k in
                      ("p50_h", "p90_h", "p99_h", "max_h")))
    out.print(table)


@app.command("retests")
@handle_errors
def retests_cmd(status: str = "open", reason: str | None = None, limit: int = 50, offset: int = 0,
                lang: str = "zh") -> None:
    """Re-test tasks: singles after a reactive pool, re-checks (复核), repeats, re-samples.

    Example: `fangkong testing retests --reason pool_positive`
    """
    with unit_of_work() as session:
        table = Table(title="re-tests")
        for col in ("id", "person", "reason", "single", "from tube", "status", "result"):
            table.add_column(col)
        for r in service.list_retests(session, status=status or None, reason=reason, limit=limit, offset=offset):
            table.add_row(str(r.id), r.person.person_id, t(r.reason, lang), "yes" if r.single else "no",
                          r.origin.tube_id, r.status, r.result or "")
    out.print(table)


@app.command("conflicts")
@handle_errors
def conflicts_cmd(status: str = "open", limit: int = 50) -> None:
    """Tubes reported with two different results, kept for review. Example: `fangkong testing conflicts`"""
    with unit_of_work() as session:
        table = Table(title="result conflicts")
        for col in ("id", "tube", "stored", "new", "file:line", "status"):
            table.add_column(col)
        for c in service.list_conflicts(session, status=status or None, limit=limit):
            table.add_row(str(c.id), c.tube.tube_id, c.stored_result or "-", c.new_result, f"{c.source}:{c.line}",
                          c.status if c.status == ConflictStatus.OPEN else f"{c.status}: {c.resolution}")
    out.print(table)


@app.command("resolve")
@handle_errors
def resolve_cmd(conflict_id: int, result: Annotated[str, typer.Option(help="the result the reviewer decides")],
                reviewer: Annotated[str, typer.Option(help="who decides (audited)")] = "cli") -> None:
    """Decide a conflicting tube's result (audited). Example: `fangkong testing resolve 3 --result positive`"""
    s = get_settings()
    with unit_of_work(actor=reviewer) as session:
        _, outcome = service.resolve_conflict(session, conflict_id, result=result, rule=_rule(), edition=s.edition,
                                              tz=s.zone, now=utcnow())
    err.print(f"conflict {conflict_id}: {result}" + (f"; {outcome.summary()}" if outcome else ""), highlight=False)


@env_app.command("add")
@handle_errors
def env_add(tube_id: str, place_kind: Annotated[str, typer.Option(help=", ".join(ENV_PLACES))],
            sampled_at: Annotated[str, typer.Option(help="ISO 8601 time of the swab")],
            place: Annotated[str | None, typer.Option(help="venue id, room or address")] = None,
            case: Annotated[str | None, typer.Option(help="the case whose places these are")] = None,
            note: str | None = None) -> None:
    """Register an environmental swab; its result comes with `fangkong import` (lab_results).

    Example: `fangkong testing env add E0001 --place-kind case_home --case C000001 --sampled-at 2022-03-14T15:00`
    """
    with unit_of_work(actor=operator()) as session:
        service.register_environmental(session, tube_id, place_kind=place_kind,
                                       sampled_at=parse_time(sampled_at, "--sampled-at"), place_ref=place,
                                       case_ref=case, note=note)
    err.print(f"environmental sample {tube_id} registered")


@env_app.command("list")
@handle_errors
def env_list(limit: int = 50, offset: int = 0) -> None:
    """Environmental samples and their results. Example: `fangkong testing env list`"""
    tz = get_settings().zone
    with unit_of_work() as session:
        table = Table(title="environmental samples")
        for col in ("tube", "place", "sampled", "result"):
            table.add_column(col)
        for env, res in service.list_environmental(session, limit=limit, offset=offset):
            table.add_row(env.tube.tube_id, f"{env.place_kind} {env.place_ref or ''}".strip(),
                          env.tube.sampled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), res or "pending")
    out.print(table)
