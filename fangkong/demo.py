"""`fangkong demo`: generate a city, import it, run an outbreak day end to end, print the bulletin, serve."""

from __future__ import annotations

import math
import os
import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import typer
from rich.table import Table

from fangkong import flows, importer
from fangkong.assist import service as assist_service
from fangkong.auth import service as auth_service
from fangkong.auth.devices import service as devices
from fangkong.cases import service as case_service
from fangkong.codes import service as code_service
from fangkong.contacts.models import RiskCategory
from fangkong.db.migrate import upgrade
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import err, handle_errors, out, progress, unit_of_work
from fangkong.kit.i18n import t
from fangkong.measures import service as measure_service
from fangkong.people import review as review_service
from fangkong.people import service as people_service
from fangkong.protocol.edition import load_edition
from fangkong.protocol.idnumber import mask_phone
from fangkong.protocol.pooling import assign_tubes, testing_rule
from fangkong.reports import service as report_service
from fangkong.reports.text import render
from fangkong.settings import get_settings
from fangkong.sim import standby
from fangkong.sim.commands import run_with_bars
from fangkong.sim.sources import second_source
from fangkong.testing import service as testing_service
from fangkong.zones import service as zone_service

__all__ = ["demo", "run_outbreak_day"]


def _point_settings_at(folder: Path) -> None:
    """The demo keeps its own database and lake under one folder, so it never touches real data."""
    os.environ["FANGKONG_DATABASE_URL"] = f"sqlite:///{(folder / 'fangkong.db').resolve()}"
    os.environ["FANGKONG_LAKE"] = str((folder / "lake").resolve())
    os.environ["FANGKONG_DEMO"] = "1"   # its server may run with the demo secret (a real one refuses it)
    from fangkong.db.core import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()


def _set_clock(summary) -> datetime:
    """The demo's clock (FANGKONG_NOW) stands at 23:30 of the outbreak day and runs on from there, so its
    pages and overdue lists read as of that day, not as of the machine's date (docs/cli.md)."""
    zone = get_settings().zone
    day = summary.index_sampled_at.astimezone(zone).date()
    now = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(hours=23, minutes=30)
    os.environ["FANGKONG_NOW"] = now.isoformat()
    get_settings.cache_clear()
    return now


def _write(path: Path, rows: dict[str, list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(pa.table(rows), path)
    return path


def _import(session, settings, folder: Path, samples: dict[str, list], results: dict[str, list]):
    """One batch of swabs and their results, through the FORMATS.md files a lab system would send."""
    for table, rows in (("samples", samples), ("lab_results", results)):
        r = importer.import_table(session, settings, table, _write(folder / f"{table}.csv", rows), strict=True)
        if r.errors:
            raise RuntimeError(f"demo data rejected: {r.errors[0]}")
    return r.outcome


def _stamp(t: datetime, hours: float) -> str:
    return (t + timedelta(hours=hours)).isoformat()


def _lab(tubes: list[str], results: list[str], t: datetime, start_h: float) -> dict[str, list]:
    """Results of tubes swabbed at `t + start_h`: received 1 h, tested 2 h, reported 2.5 h later (采送检报)."""
    n = len(tubes)
    return {"tube_id": tubes, "result": results, "lab_id": ["LAB-A"] * n,
            "received_at": [_stamp(t, start_h + 1)] * n, "tested_at": [_stamp(t, start_h + 2)] * n,
            "reported_at": [_stamp(t, start_h + 2.5)] * n}


def _pooled_round(session, settings, summary, folder: Path, timings: dict):
    """全员核酸 of the whole city in 10:1 pools: the index person's pool is positive, its members are held
    in place and re-tested singly (单采), the index's single tube is positive (suspected), the re-check (复核)
    is positive: the declared case. Returns that case."""
    t = summary.index_sampled_at
    rule = testing_rule(load_edition(settings.edition))
    testing_service.add_lab(session, "LAB-A", daily_capacity=48_000, name="方舱实验室 (seed 000)")
    testing_service.add_lab(session, "LAB-B", daily_capacity=80_000, kind="contracted")
    people = testing_service.people_in_area(session, [])
    points = [testing_service.add_point(session, f"PT-{j + 1:03d}", tables=4).point_id
              for j in range(max(1, math.ceil(len(people) / rule.people_per_point)))]
    day = t.astimezone(settings.zone).date()
    testing_service.create_round(session, "R1", rule=rule, name="全员核酸第一轮", kind="mass", start_date=day,
                                 end_date=day, point_ids=points, pool_size=10)
    at_point = np.arange(len(people)) % len(points)
    tube_no = assign_tubes(at_point, np.zeros(len(people), dtype=bool), 10)
    tubes = [f"R1-{n:06d}" for n in tube_no]
    mine = tubes[people.index(summary.index_person_id)]
    _import(session, settings, folder / "round", {
        "tube_id": tubes, "person_id": people, "sampled_at": [t.isoformat()] * len(people),
        "point_id": [points[i] for i in at_point], "round_id": ["R1"] * len(people)},
        _lab(sorted(set(tubes)), ["positive" if x == mine else "negative" for x in sorted(set(tubes))], t, 0))
    members = [p for p, x in zip(people, tubes, strict=True) if x == mine]
    singles = [f"S-{p}" for p in members]
    _import(session, settings, folder / "retest", {
        "tube_id": singles, "person_id": members, "sampled_at": [_stamp(t, 3)] * len(members)},
        _lab(singles, ["positive" if p == summary.index_person_id else "negative" for p in members], t, 3))
    outcome = _import(session, settings, folder / "recheck", {
        "tube_id": ["RC-1"], "person_id": [summary.index_person_id], "sampled_at": [_stamp(t, 5.5)]},
        _lab(["RC-1"], ["positive"], t, 5.5))
    timings.update(round_people=len(people), round_tubes=len(set(tubes)), round_retests=len(members))
    return case_service.get_case(session, outcome.declared[0])


def run_outbreak_day(settings, summary, timings: dict) -> tuple[date, list]:
    """A pooled round finds the index person: positive pool → single re-tests → suspected → re-check → case →
    trace → measures → codes; the close contacts' first tests come back, one positive: a second case, found
    under control."""
    sampled = summary.index_sampled_at
    # the swab is taken 08:00–10:00, so the whole day below ends before 21:00 and fits one bulletin
    t0 = time.perf_counter()
    with unit_of_work() as session:
        case = _pooled_round(session, settings, summary, settings.lake.parent / "testing", timings)
        timings["round"] = time.perf_counter() - t0
        first = flows.respond(session, settings, case, now=case.declared_at + timedelta(minutes=30))
        cases = [first]
        close = {f.person.id for f in first.trace.found if f.category == RiskCategory.CLOSE
                 and f.person is not None}
        tests = measure_service.tests_due(session, sampled.astimezone(settings.zone).date())
        # the close contacts' first single-tube tests of the day: one comes back positive
        positive = next((task for task in tests if task.person_fk in close), None)
        at = sampled + timedelta(hours=9)
        for i, task in enumerate(tests):
            if task is positive:
                measure_service.record_test_result(session, task, "positive", at=at)
            elif i % 10 != 9:  # one in ten is still at the lab at the end of the day
                measure_service.record_test_result(session, task, "negative", at=at)
        if positive is not None:
            pid = positive.measure.person.person_id
            # swabbed at the isolation site just after being placed (the first case's trace + 10 min): found
            # under control because the measure was in force when the sample was taken (issue 23)
            swabbed = case.declared_at + timedelta(minutes=40)
            second = case_service.report_positive(session, pid, sampled_at=min(swabbed, at), now=at)
            case_service.recheck(session, second, positive=True, isolated_at=at, now=at + timedelta(hours=1),
                                 onset_date=sampled.astimezone(settings.zone).date())
            cases.append(flows.respond(session, settings, second, now=at + timedelta(hours=1, minutes=30)))
        timings["assist_requests"], timings["assist_persons"] = _contain(session, settings, cases,
                                                                         now=at + timedelta(hours=2))
        # the teams' reports through the day: door checks, arrivals at the rooms, admissions (issue 6)
        standby.field_work(session, [r.trace.case for r in cases], now=_day_end(settings, sampled))
    timings["trace"] = time.perf_counter() - t0
    return sampled.astimezone(settings.zone).date(), cases


def _second_source(settings, summary, folder: Path, seed: int) -> str:
    """Deliberate duplicates (docs/people.md): a venue-code system's own keys for three residents, with scans
    under them, and a phone that changed owner; the analyst merges the one grey-band match."""
    src = second_source(folder / "city", folder / "venue_codes", index_person_id=summary.index_person_id,
                        start=summary.start, seed=seed)
    results = importer.import_folder(unit_of_work, settings, src.folder, source="venue_codes")
    if any(r.errors for r in results):
        raise RuntimeError(f"demo data rejected: {next(e for r in results for e in r.errors)}")
    outcome = next(r.outcome for r in results if r.table == "persons")
    with unit_of_work(actor="demo analyst") as session:
        reviews = review_service.list_reviews(session, status="open")
        for r in reviews:
            review_service.decide_review(session, r, "merge", reason="电话核实为同一人",
                                         now=summary.index_sampled_at - timedelta(days=1))
    return (f"identity (second source venue_codes): {outcome.by_id_number} linked by ID number, {outcome.by_score} "
            f"by match score, {len(reviews)} reviewed → merged, {outcome.new} new; phone {mask_phone(src.phone)} "
            f"moved {src.phone_from} → {src.phone_to} on {src.phone_moved_on}")


def _day_end(settings, t: datetime) -> datetime:
    return datetime.combine(t.astimezone(settings.zone).date() + timedelta(days=1), datetime.min.time(),
                            tzinfo=settings.zone)


def _contain(session, settings, cases, *, now: datetime) -> tuple[int, int]:
    """The commander approves the zones the cases' places drew (sealed residents placed, the risk-area list
    published) and the risk persons who live elsewhere are pushed out as assistance requests (协查)."""
    edition = load_edition(settings.edition)
    # without FANGKONG_JURISDICTION the demo acts for the first case's district: people of the other
    # districts are that district's to find (区县间协查)
    home = settings.jurisdiction or (cases[0].trace.case.person.community or "")[:6]
    requests = persons = 0
    for r in cases:
        for zone in r.zones.created:
            with acting_as(session, "指挥部"):
                zone_service.approve(session, zone, edition=edition, tz=settings.zone, now=now)
        with acting_as(session, "demo"):
            pushed = assist_service.outbound_for_case(session, r.trace.case, home=home, now=now)
        requests += len(pushed)
        persons += sum(len(req.persons) for req in pushed)
    return requests, persons


@handle_errors
def demo(
    persons: Annotated[int, typer.Option(min=100, help="people in the demo city")] = 100_000,
    days: Annotated[int, typer.Option(min=3, max=30, help="days of scans and carrier data")] = 14,
    seed: Annotated[int, typer.Option(help="same seed, same city and outbreak")] = 7,
    folder: Annotated[Path, typer.Option("--dir", help="where the demo keeps its data (wiped first)")] = Path("data/demo"),
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the web app when done")] = True,
    port: int = 8000,
    lang: Annotated[str, typer.Option(help="bulletin language, zh or en")] = "zh",
) -> None:
    """Generate a synthetic city, run an outbreak day through the whole flow, print the bulletin, serve.

    Example: `fangkong demo --persons 20000 --no-serve`
    """
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _point_settings_at(folder)
    settings = get_settings()
    t0 = time.perf_counter()
    summary = run_with_bars(folder / "city", persons=persons, days=days, seed=seed)
    timings["generate"] = time.perf_counter() - t0
    clock = _set_clock(summary)
    settings = get_settings()
    err.print(f"clock: FANGKONG_NOW={clock.isoformat()} (the end of the outbreak day; runs on from there)",
              highlight=False)
    t0 = time.perf_counter()
    upgrade(settings.database_url)
    with progress() as bar:
        task = bar.add_task("import", total=len(importer.ORDER))
        results = importer.import_folder(unit_of_work, settings, folder / "city",
                                         on_file=lambda tb, p: bar.update(task, description=f"import {p.name}"))
        bar.update(task, completed=len(results), description="import")
    timings["import"] = time.perf_counter() - t0
    err.print(_second_source(settings, summary, folder, seed), highlight=False)
    with unit_of_work() as session:  # tracing teams, isolation sites, a designated hospital stand ready
        standby.prepare_city(session, per_10k=settings.rooms_per_10k, now=summary.index_sampled_at - timedelta(days=1))
    day, cases = run_outbreak_day(settings, summary, timings)
    with unit_of_work() as session:
        b = report_service.bulletin(session, day, tz=settings.zone)
        response = standby.rows(standby.figures(session, at=_day_end(settings, summary.index_sampled_at),
                                                per_10k=settings.rooms_per_10k))
        codes = code_service.colour_counts(session)
    with unit_of_work(actor="demo") as session:
        logins = demo_users(session, district=cases[0].trace.case.person.community[:6] if cases else "",
                            citizen=summary.index_person_id)
        gates = demo_devices(session)
    timings["total"] = time.perf_counter() - t_all
    _print_summary(summary, results, cases, timings, response, codes)
    out.rule("通报" if lang == "zh" else "Bulletin")
    out.print(render(b, lang=lang), highlight=False)
    _print_risk_areas(lang)
    out.rule()
    url = f"http://127.0.0.1:{port}"
    out.print(f"web app: {url}/   API docs: {url}/docs")
    out.print(f"demo accounts (password [bold]{DEMO_PASSWORD}[/]): " + ", ".join(logins), highlight=False)
    out.print(f"log in at {url}/login; API: curl -X POST {url}/api/auth/token -H 'content-type: application/json' "
              f"-d '{{\"username\": \"commander\", \"password\": \"{DEMO_PASSWORD}\"}}'", highlight=False)
    out.print("demo devices (docs/security.md; a device sends the code token of GET /api/me/code-token): "
              + "; ".join(gates), highlight=False, soft_wrap=True)
    out.print(f"data: {folder}  (use it with FANGKONG_DEMO=1 FANGKONG_DATABASE_URL={os.environ['FANGKONG_DATABASE_URL']} "
              f"FANGKONG_LAKE={settings.lake} FANGKONG_NOW={os.environ['FANGKONG_NOW']})", highlight=False)
    if serve:
        import uvicorn

        uvicorn.run("fangkong.api:app", host="127.0.0.1", port=port, log_level="warning")


DEMO_PASSWORD = "fangkong-demo"


def demo_users(session, *, district: str, citizen: str) -> list[str]:
    """One demo account per role (docs/security.md): the whole city for most, one district for the verifier
    (it sees that district's people only); the citizen is the person `citizen` and sees only themselves."""
    made = []
    for role in ("commander", "epidemiologist", "analyst", "verifier", "lab", "isolation", "admin", "citizen"):
        where = district if role == "verifier" else ""
        auth_service.create_user(session, role, role=role, password=DEMO_PASSWORD, jurisdiction=where,
                                 person_id=citizen if role == "citizen" else None)
        made.append(f"{role}" + (f" ({where})" if where else "") + (f" (= {citizen})" if role == "citizen" else ""))
    return made


def demo_devices(session) -> list[str]:
    """A venue's scanner at the city's first venue and a checkpoint's reader, with their tokens (demo only:
    a real office hands each token to its device once)."""
    venue = min(people_service.venue_ids(session))
    lines = []
    for kind, where in (("venue", venue), ("checkpoint", None)):
        device, raw = devices.issue_device(session, kind=kind, venue_id=where, label="demo")
        lines.append(f"{kind} {device.device_id}{' at ' + where if where else ''}: {raw}")
    return lines


def _print_risk_areas(lang: str) -> None:
    """The published risk-area list (高/中/低风险区), as `fangkong zones risk-areas` prints it."""
    with unit_of_work() as session:
        areas = zone_service.risk_areas(session)
    out.rule("风险区域" if lang == "zh" else "Risk areas")
    for a in areas:
        names = [p["name"] or p["ref"] for p in a["places"]]
        more = f" … (+{len(names) - 6})" if len(names) > 6 else ""
        out.print(f"{t(a['risk'] + '_risk', lang)}  {a['name']}: {'、'.join(names[:6])}{more}", highlight=False)


def _print_summary(summary, results, cases, timings, response=(), codes=None) -> None:
    table = Table(title="demo")
    table.add_column("step")
    table.add_column("figures")
    table.add_column("seconds", justify="right")
    table.add_row("generate", f"{summary.persons:,} persons, {summary.venues:,} venues, {summary.visits:,} visits, "
                              f"{summary.dwells:,} dwells", f"{timings['generate']:.1f}")
    table.add_row("import", ", ".join(f"{r.table} {r.inserted:,}" for r in results), f"{timings['import']:.1f}")
    if "round_people" in timings:
        table.add_row("pooled round R1", f"{timings['round_people']:,.0f} swabbed in {timings['round_tubes']:,.0f} "
                                         f"tubes (10:1); 1 positive pool → {timings['round_retests']:,.0f} held and "
                                         "re-tested singly → 1 positive → re-check (复核) → declared",
                      f"{timings['round']:.1f}")
    for r in cases:
        c = r.trace.counts()
        table.add_row(f"trace {r.trace.case.case_no}",
                      f"close {c['close']:,}, secondary {c['secondary']:,}, companions {c['companion']:,}, "
                      f"overlaps {c['overlap']:,}; measures {r.measures.created:,} new", "")
    table.add_row("outbreak day", f"{len(cases)} cases traced, measures assigned, codes recomputed",
                  f"{timings['trace']:.1f}")
    if "assist_requests" in timings:
        table.add_row("assistance out (协查)", f"{timings['assist_requests']:,.0f} requests to other districts, "
                                              f"{timings['assist_persons']:,.0f} persons", "")
    if codes:
        table.add_row("health codes", ", ".join(f"{c} {n:,}" for c, n in sorted(codes.items())), "")
    for step, figures in response:
        table.add_row(step, figures, "")
    table.add_row("total", "", f"{timings['total']:.1f}")
    err.print(table)
