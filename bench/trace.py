"""Benchmark: trace cases of a generated city, cold and warm, one case and a bad day's cases together;
baselines measured in the same run over one unpartitioned file per table (what a first attempt does),
answers compared.

    .venv/bin/python bench/trace.py --persons 1000000 --work /work/bigdata/trace-1m [--cases 100]

Each phase is kept in --work and skipped when already done (generate, import, declare), so the trace can be
re-measured without regenerating a large city; --fresh starts over. The cold run is a new process after the
lake's files (and the record store) are evicted from the OS page cache (posix_fadvise DONTNEED).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, machine, peak_rss_mb, point_settings, timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _evict(*paths: Path) -> int:
    """Drop the files (and the files under the folders) from the OS page cache: the next read is from disk."""
    n = 0
    for path in paths:
        for p in [path] if path.is_file() else path.rglob("*"):
            if p.is_file():
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    n += 1
                finally:
                    os.close(fd)
    return n


def _generate(work: Path, args) -> dict:
    done = work / "city" / "summary.json"
    if done.is_file():
        return json.loads(done.read_text())
    from fangkong.sim.city import generate_city

    t0 = time.perf_counter()
    s = generate_city(work / "city", persons=args.persons, days=args.days, seed=args.seed)
    info = {"persons": s.persons, "visits": s.visits, "dwells": s.dwells, "venues": s.venues,
            "index_person_id": s.index_person_id, "index_sampled_at": s.index_sampled_at.isoformat(),
            "generate_s": time.perf_counter() - t0, "generate_rss_mb": peak_rss_mb()}
    done.write_text(json.dumps(info))
    return info


def _import(work: Path, city: dict) -> dict:
    """`fangkong import` in its own process: its time and peak RSS are its own."""
    done = work / "imported.json"
    if done.is_file():
        return json.loads(done.read_text())
    from fangkong.db.migrate import upgrade
    from fangkong.settings import get_settings

    upgrade(get_settings().database_url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/fangkong"), "import", str(work / "city")], check=True, env=os.environ)
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    info = {"import_s": secs, "rows_per_s": (city["visits"] + city["dwells"]) / secs,
            "import_rss_mb": max(rss, before) / 1024}
    done.write_text(json.dumps(info))
    return info


def _declare(work: Path, city: dict, n: int) -> dict:
    """The index case, and n - 1 more cases declared the same day (a bad day)."""
    done = work / f"cases-{n}.json"
    for f in sorted(work.glob("cases-*.json"), key=lambda f: int(f.stem[6:])):
        if int(f.stem[6:]) >= n:   # the first n of a larger bad day already declared
            info = json.loads(f.read_text())
            return {**info, "cases": info["cases"][:n]}
    from fangkong.cases import service as case_service
    from fangkong.kit.clikit import unit_of_work

    sampled = datetime.fromisoformat(city["index_sampled_at"])
    rng = random.Random(n)
    others = rng.sample(range(1, city["persons"] + 1), min(n - 1, city["persons"] - 1))
    width = max(7, len(str(city["persons"])))
    pids = [city["index_person_id"]] + [f"P{i:0{width}d}" for i in others if f"P{i:0{width}d}" !=
                                        city["index_person_id"]][: n - 1]
    declared = sampled + timedelta(hours=7)
    nos = []
    from sqlalchemy import select

    from fangkong.cases.models import Case
    from fangkong.people.models import Person

    with unit_of_work() as session:
        for k, pid in enumerate(pids):
            known = session.scalar(select(Case.case_no).join(Person, Person.id == Case.person_fk)
                                   .where(Person.person_id == pid))  # declared by a smaller bad day before
            if known is None:
                at = sampled + timedelta(minutes=k)
                known = case_service.declare_case(session, pid, sampled_at=at, isolated_at=at + timedelta(hours=6),
                                                  now=declared).case_no
            nos.append(known)
    info = {"cases": nos, "now": (sampled + timedelta(hours=8)).isoformat()}
    done.write_text(json.dumps(info))
    return info


def _trace(case_nos: list[str], now: datetime, *, keep_evidence: bool = True):
    """trace_many as `fangkong trace` runs it: the configured lake, the edition, one transaction (rolled back
    so every run starts from the same records)."""
    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.contacts import service as contact_service
    from fangkong.db.core import session_scope
    from fangkong.protocol.edition import load_edition
    from fangkong.settings import get_settings

    settings = get_settings()
    with session_scope() as session:
        cases = [case_service.get_case(session, c) for c in case_nos]
        t0 = time.perf_counter()
        lake = flows.lake_for(settings, min(c.sampled_at for c in cases))
        results = contact_service.trace_many(session, cases, lake=lake, edition=load_edition(settings.edition),
                                             tz=settings.zone, now=now,
                                             companion_min_cell_hours=settings.companion_min_cell_hours,
                                             keep_evidence=keep_evidence)
        session.flush()
        secs = time.perf_counter() - t0
        met = _cases_met(session, cases)
        session.rollback()  # the results' rows are Arrow columns: readable after the rollback
    for r in results:
        r.cases_met = met.get(r.case_no, [])
    return secs, results


def _cases_met(session, cases) -> dict[str, list[tuple[str, str, set[str]]]]:
    """Per case traced: the declared cases its trace met, (category, person_id, evidence kinds) as the risk
    persons' light rows; a case met is a chain edge, never a risk person (DOMAIN.md §5, docs/rules.md)."""
    from sqlalchemy import select

    from fangkong.cases.models import Case
    from fangkong.contacts.models import ChainEdge
    from fangkong.people.models import Person

    rows = session.execute(select(Case.case_no, ChainEdge.category, Person.person_id, ChainEdge.evidence)
                           .join(Case, Case.id == ChainEdge.case_fk).join(Person, Person.id == ChainEdge.person_fk)
                           .where(ChainEdge.case_fk.in_([c.id for c in cases])))
    out: dict[str, list[tuple[str, str, set[str]]]] = {}
    for case_no, category, pid, evidence in rows:
        out.setdefault(case_no, []).append((category, pid, {e["kind"] for e in evidence}))
    return out


def _cold(work: Path, case_nos: list[str], now: datetime, *, warm_imports: bool = True) -> float:
    """A new process, the lake and the records evicted from the page cache first. warm_imports: the libraries
    are imported before the clock starts (a running server has them; DuckDB's first Arrow scan imports
    pandas, ~1 s), so the time is that of reading the data from disk; else the first trace of a new CLI
    process, imports and all."""
    _evict(work / "lake", *work.glob("fangkong.db*"))
    out = subprocess.run([sys.executable, __file__, "--_cold", str(work), "--_now", now.isoformat(),
                          *(["--_warm-imports"] if warm_imports else []), *case_nos],
                         check=True, capture_output=True, text=True, env=os.environ)
    return float(out.stdout.strip().splitlines()[-1])


def _duckdb_baseline(city_dir: Path, case_pid: str, ws: int, we: int, until: int, dwell: dict, households,
                     cases: set[str], min_s: int = 900):
    """A first attempt in DuckDB: SQL over the one generated file per table, a query for the case, then one
    query per close contact (venue co-presence only). `cases`: every key of the declared cases' persons; a case
    met is found like anyone (the caller sets it apart: a chain edge) but exposes nobody through this trace."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.register("dwell", pa.table({"venue_id": list(dwell), "dwell_s": list(dwell.values())}))
    con.execute(f"""CREATE VIEW v AS SELECT person_id, x.venue_id, epoch(enter_at)::BIGINT AS s,
        coalesce(epoch(leave_at)::BIGINT, epoch(enter_at)::BIGINT + dwell_s) AS e
        FROM read_parquet('{city_dir / "venue_visits.parquet"}') x JOIN dwell d USING (venue_id)""")
    q = """SELECT o.person_id, greatest(m.s, o.s, ?) AS f FROM v m JOIN v o ON o.venue_id = m.venue_id
           WHERE m.person_id = ? AND o.person_id <> ? AND least(m.e, o.e, ?) - greatest(m.s, o.s, ?) >= ?"""
    first: dict[str, int] = {}
    for pid, f in con.execute(q, [ws, case_pid, case_pid, we, ws, min_s]).fetchall():
        first[pid] = min(f, first.get(pid, f))
    close_venue = set(first)
    for pid in households.get(case_pid, []):
        if pid != case_pid:
            first[pid] = ws   # a household member is exposed from the window's start
    secondary = set()
    for pid, f in sorted(first.items()):
        if pid not in cases:
            secondary |= {r[0] for r in con.execute(q, [f, pid, pid, until, f, min_s]).fetchall()}
    return close_venue, secondary - set(first) - {case_pid}


def _duckdb_companions(city_dir: Path, case_pid: str, ws: int, we: int, min_s: int = 600,
                       min_cell_hours: float = 0.0) -> set[str]:
    """A first attempt at the companions in DuckDB: the case's phone's cells in its window from the one dwells
    file, then everyone's dwells in those cells overlapping them by ≥ min_s, each phone named by the person who
    gives it in persons.csv (else the phone itself). min_cell_hours > 0: the noise filter (either phone that
    many hours in the cell over the 14 days up to the window's end)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""CREATE VIEW c AS SELECT phone, grid_id, epoch(start_at)::BIGINT AS s, epoch(end_at)::BIGINT AS e
                    FROM read_parquet('{city_dir / "cell_dwells.parquet"}')""")
    con.execute(f"CREATE VIEW p AS SELECT person_id, phone FROM read_csv('{city_dir / 'persons.csv'}', all_varchar=true)")
    phone = con.execute("SELECT phone FROM p WHERE person_id = ?", [case_pid]).fetchone()[0]
    lo = we - 14 * 86_400
    con.execute("""CREATE TEMP TABLE me AS SELECT grid_id, greatest(s, ?) AS s, least(e, ?) AS e FROM c
                   WHERE phone = ? AND e >= ? AND s <= ?""", [ws, we, phone, ws, we])
    con.execute("""CREATE TEMP TABLE pairs AS SELECT DISTINCT o.phone, o.grid_id FROM c o JOIN me m USING (grid_id)
                   WHERE least(o.e, m.e) - greatest(o.s, m.s) >= ? AND o.phone <> ?""", [min_s, phone])
    if min_cell_hours > 0:
        con.execute("""CREATE TEMP TABLE h AS SELECT phone, grid_id, sum(least(e, ?) - greatest(s, ?)) / 3600.0 AS hours
                       FROM c WHERE e > ? AND s < ? AND grid_id IN (SELECT grid_id FROM me) GROUP BY ALL""",
                    [we, lo, lo, we])
        con.execute("""CREATE TEMP TABLE kept AS SELECT DISTINCT x.phone FROM pairs x
                       LEFT JOIN h h1 ON h1.phone = x.phone AND h1.grid_id = x.grid_id
                       LEFT JOIN h h2 ON h2.phone = ? AND h2.grid_id = x.grid_id
                       WHERE greatest(coalesce(h1.hours, 0), coalesce(h2.hours, 0)) >= ?""", [phone, min_cell_hours])
    else:
        con.execute("CREATE TEMP TABLE kept AS SELECT DISTINCT phone FROM pairs")
    rows = con.execute("SELECT coalesce(p.person_id, k.phone) FROM kept k LEFT JOIN p USING (phone)").fetchall()
    return {r[0] for r in rows} - {case_pid}


def _pandas_baseline(city_dir: Path, case_pid: str, ws: int, we: int, until: int, dwell: dict, households,
                     cases: set[str], t: dict):
    """A first attempt in pandas: the whole visits table in memory, a merge for the case and one per contact
    (`cases`: as in _duckdb_baseline)."""
    import pandas as pd
    import pyarrow.parquet as pq

    with timed(t, "pandas_load"):
        df = pq.read_table(city_dir / "venue_visits.parquet").to_pandas()
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        df["s"] = (df["enter_at"] - epoch) // pd.Timedelta(seconds=1)
        df["e"] = ((df["leave_at"] - epoch) // pd.Timedelta(seconds=1)).fillna(
            df["s"] + df["venue_id"].map(dwell)).astype("int64")
        df = df[["person_id", "venue_id", "s", "e"]]

    def exposed(pid, lo, hi):
        mine = df[df.person_id == pid]
        m = mine.merge(df, on="venue_id", suffixes=("_c", ""))
        m = m[m.person_id != pid]
        start = m[["s_c", "s"]].max(axis=1).clip(lower=lo)
        ov = m[["e_c", "e"]].min(axis=1).clip(upper=hi) - start
        return m.loc[ov >= 900].assign(f=start[ov >= 900])

    with timed(t, "pandas"):
        rows = exposed(case_pid, ws, we)
        first = rows.groupby("person_id").f.min().to_dict()
        close_venue = set(first)
        for pid in households.get(case_pid, []):
            if pid != case_pid:
                first[pid] = ws   # a household member is exposed from the window's start
        secondary = set()
        for pid, f in sorted(first.items()):
            if pid not in cases:
                secondary |= set(exposed(pid, int(f), until).person_id)
    return close_venue, secondary - set(first) - {case_pid}


def _households(city_dir: Path, wanted: set[str]) -> dict[str, list[str]]:
    """Household members of the given persons, from persons.csv (the baselines' household step)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW p AS SELECT person_id, household_id FROM read_csv('{city_dir / 'persons.csv'}', "
                "all_varchar=true)")
    ids = ", ".join(f"'{w}'" for w in wanted)
    rows = con.execute(f"SELECT a.person_id, b.person_id FROM p a JOIN p b USING (household_id) "
                       f"WHERE a.person_id IN ({ids})").fetchall()
    out: dict[str, list[str]] = {}
    for a, b in rows:
        out.setdefault(a, []).append(b)
    return out


def _resolved(close: set[str], secondary: set[str]) -> tuple[set[str], set[str]]:
    """The baselines' answers in resolved identities: a scan made under a further source key of a person (the
    city has persons known to two sources) names that person, as fangkong's trace does (issue 9)."""
    from fangkong.db.core import session_scope
    from fangkong.people import service as people_service

    with session_scope() as session:
        persons = people_service.persons_by_ids(session, close | secondary, light=True)
    name = {k: p.person_id for k, p in persons.items()}
    close = {name.get(k, k) for k in close}
    return close, {name.get(k, k) for k in secondary} - close


def _declared(now: datetime) -> tuple[set[str], set[str]]:
    """The persons of the cases declared by `now` (a bad day's): their person_ids, and every source key of theirs
    (the lake's scans may name a person by a further key). The trace stores a case it meets as a chain edge, not
    as a risk person, and traces nobody through him (DOMAIN.md §5, docs/rules.md "Cases are never risk persons"):
    the baselines, which know nothing of cases, are compared with that."""
    from sqlalchemy import select

    from fangkong.cases.models import DECLARED, Case
    from fangkong.db.core import session_scope
    from fangkong.people import service as people_service

    with session_scope() as session:
        persons = [c.person for c in session.scalars(select(Case).where(Case.status.in_(DECLARED),
                                                                        Case.declared_at <= now))]
        keys = people_service.source_keys(session, persons)
        return {p.person_id for p in persons}, {k for ks in keys.values() for k in ks}


def _resolved_keys(keys: set[str]) -> set[str]:
    """Source keys named by their resolved person (see _resolved); phones with no person stay phones."""
    return _resolved(keys, set())[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cases", type=int, default=1,
                    help="also trace this many cases of a bad day together (--all-new), e.g. 100; 1 = skip")
    ap.add_argument("--runs", type=int, default=5, help="warm runs of the one-case trace")
    ap.add_argument("--work", type=Path, help="folder for the city, lake and records (default bench/out/…)")
    ap.add_argument("--fresh", action="store_true", help="start over: regenerate and re-import")
    ap.add_argument("--no-pandas", action="store_true", help="skip the (slow) pandas baseline")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip both baselines and the answer check (repeat runs of a city already checked)")
    ap.add_argument("--min-cell-hours", type=float, default=0.0,
                    help="the deployment's companion noise filter (FANGKONG_COMPANION_MIN_CELL_HOURS, e.g. 30); "
                         "the baseline applies it too")
    ap.add_argument("--_cold", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_now", help=argparse.SUPPRESS)
    ap.add_argument("--_warm-imports", dest="_warm_imports", action="store_true", help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args()
    if args.min_cell_hours:  # the traces (and the cold processes) read it from the settings
        os.environ["FANGKONG_COMPANION_MIN_CELL_HOURS"] = repr(args.min_cell_hours)
    if args._cold:
        point_settings(args._cold)
        if args._warm_imports:  # what a running server has loaded: the cold run measures the data, not imports
            import duckdb
            import pandas  # noqa: F401 - DuckDB's Python binding imports it on the first Arrow scan

            import fangkong.flows  # noqa: F401

            duckdb.connect().from_arrow(__import__("pyarrow").table({"x": [1]}))
        print(_trace(rest, datetime.fromisoformat(args._now), keep_evidence=False)[0])  # as the CLI's table
        return
    work = args.work or OUT / f"trace-{args.persons}-{args.days}-{args.seed}"
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    point_settings(work)
    t: dict[str, float] = {}
    city = _generate(work, args)
    imp = _import(work, city)
    cases = _declare(work, city, args.cases)
    now = datetime.fromisoformat(cases["now"])
    one = cases["cases"][:1]

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    print(f"city: {city['persons']:,} persons, {city['venues']:,} venues, {city['visits']:,} visits, "
          f"{city['dwells']:,} dwells over {args.days} days")
    print(f"generate {city['generate_s']:.0f} s (peak RSS {city.get('generate_rss_mb', 0):,.0f} MB), import "
          f"{imp['import_s']:.0f} s = {imp['rows_per_s']:,.0f} lake rows/s (peak RSS {imp['import_rss_mb']:,.0f} MB)",
          flush=True)
    # a deployment has traced before: its compiled queries are on disk (queries._sql_cache_dir); the first trace
    # after an install or a query change compiles them (~0.35 s each), which is not what "cold" measures here
    _trace(one, now)
    t["cold"] = _cold(work, one, now)
    t["cold_process"] = _cold(work, one, now, warm_imports=False)
    runs = []
    for _ in range(args.runs):
        secs, results = _trace(one, now)
        runs.append(secs)
    result = results[0]
    best, med = min(runs), statistics.median(runs)
    counts = result.counts()
    noise = f", companion noise filter {args.min_cell_hours:g} h" if args.min_cell_hours else ""
    print(f"one case, full trace (close, secondary, companions, overlaps, risk persons written{noise}): "
          f"cold {t['cold'] * 1000:.0f} ms (a new CLI process, imports included: {t['cold_process'] * 1000:.0f} ms), "
          f"warm best {best * 1000:.0f} ms / median {med * 1000:.0f} ms of {len(runs)}")
    print(f"  found: {counts}; peak RSS so far {peak_rss_mb():,.0f} MB", flush=True)
    result.light = [(f.category, f.person.person_id if f.person else None, {e["kind"] for e in f.evidence})
                    for f in result.found]
    result.phones = [f.phone for f in result.found]
    if args.cases > 1:
        n = len(cases["cases"])
        t["many_cold"] = _cold(work, cases["cases"], now)
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{n} cases together (--all-new): cold {t['many_cold']:.2f} s (peak RSS of the cold processes "
              f"{child_rss:,.0f} MB)", flush=True)
        many_runs, many = [], None
        for _ in range(2):
            many = None  # the previous run's rows (gigabytes of evidence) are not kept while the next one runs
            secs, many = _trace(cases["cases"], now, keep_evidence=False)  # as the CLI's table
            many_runs.append(secs)
            print(f"  warm {secs:.2f} s", flush=True)
        total = {k: sum(r.counts()[k] for r in many) for k in counts}
        print(f"{n} cases together: warm best {min(many_runs):.2f} s; found (sum over cases): {total}; "
              f"peak RSS so far {peak_rss_mb():,.0f} MB", flush=True)
    rss = peak_rss_mb()
    if args.no_baseline:
        print(f"peak RSS of the tracing process: {rss:,.0f} MB; baselines skipped (--no-baseline)")
        return

    from fangkong.db.core import session_scope
    from fangkong.people import service as people_service
    from fangkong.protocol.edition import load_edition
    from fangkong.settings import get_settings

    edition = load_edition(get_settings().edition)
    with session_scope() as session:
        dwell = {v: edition.dwell_for(k) * 60 for v, k in people_service.venue_kinds(session).items()}
    ws, we = int(result.window.start.timestamp()), int(result.window.end.timestamp())
    case_pid, until = city["index_person_id"], max(int(now.timestamp()), we)
    close_ours = {pid for cat, pid, kinds in result.light if cat == "close" and "venue" in kinds}
    close_all = {pid for cat, pid, kinds in result.light if cat == "close"}
    sec_ours = {pid for cat, pid, kinds in result.light if cat == "secondary" and "venue" in kinds}
    households = _households(work / "city", {case_pid} | close_all)
    case_pids, case_keys = _declared(now)
    with timed(t, "duckdb_naive"):
        close_d, sec_d = _duckdb_baseline(work / "city", case_pid, ws, we, until, dwell, households, case_keys)
    with timed(t, "duckdb_companions"):
        comp_d = _duckdb_companions(work / "city", case_pid, ws, we, edition.grid_overlap_min * 60,
                                    get_settings().companion_min_cell_hours)
    close_d, sec_d = _resolved(close_d, sec_d)
    comp_d = _resolved_keys(comp_d)
    # a companion is a phone met in the case's cells that is nobody closer (its holder's highest category)
    closer = {pid for cat, pid, _ in result.light + result.cases_met if cat in ("close", "secondary")}
    comp_d -= closer
    comp_ours = {pid if pid is not None else ph for (cat, pid, _), ph in zip(result.light, result.phones, strict=False)
                 if cat == "companion"}
    # the other declared cases met (a bad day's) are chain edges, not risk persons: compared with those
    met_d = {("close", p) for p in close_d & case_pids} | {("secondary", p) for p in sec_d & case_pids} | \
        {("companion", p) for p in comp_d & case_pids}
    met_ours = {(cat, pid) for cat, pid, kinds in result.cases_met
                if cat == "companion" or (cat in ("close", "secondary") and "venue" in kinds)}
    close_d, sec_d, comp_d = close_d - case_pids, sec_d - case_pids, comp_d - case_pids
    same_d = close_d == close_ours and sec_d == sec_ours and comp_d == comp_ours and met_d == met_ours
    t["duckdb_all"] = t["duckdb_naive"] + t["duckdb_companions"]
    if not args.no_pandas:
        close_p, sec_p = _pandas_baseline(work / "city", case_pid, ws, we, until, dwell, households, case_keys, t)
        close_p, sec_p = _resolved(close_p, sec_p)
        same_p = close_p - case_pids == close_ours and sec_p - case_pids == sec_ours

    print(f"baseline DuckDB, one file per table, a query per contact (close + secondary by venue) and one for the "
          f"companions: {t['duckdb_all'] * 1000:.0f} ms ({t['duckdb_naive'] * 1000:.0f} + "
          f"{t['duckdb_companions'] * 1000:.0f}) = {t['duckdb_all'] / best:.1f}x our warm, "
          f"{t['duckdb_all'] / t['cold']:.1f}x our cold; answers equal: {same_d} "
          f"(close {len(close_d)} vs {len(close_ours)}, secondary {len(sec_d)} vs {len(sec_ours)}, "
          f"companions {len(comp_d)} vs {len(comp_ours)}, other cases met {len(met_d)} vs {len(met_ours)}: "
          f"{sorted(met_d)[:5]})")
    if not args.no_pandas:
        print(f"baseline pandas, one table in memory, a merge per contact: {t['pandas']:.1f} s "
              f"(+ {t['pandas_load']:.1f} s to load, not counted) = {t['pandas'] / best:.0f}x our warm, "
              f"{t['pandas'] / t['cold']:.0f}x our cold; answers equal: {same_p}")
    print(f"peak RSS of the tracing process: {rss:,.0f} MB")
    if not same_d:
        print(f"  DuckDB baseline only: close {sorted(close_d - close_ours)[:10]}, secondary "
              f"{sorted(sec_d - sec_ours)[:10]}; ours only: close {sorted(close_ours - close_d)[:10]}, "
              f"secondary {sorted(sec_ours - sec_d)[:10]}; companions baseline only {sorted(comp_d - comp_ours)[:5]}, "
              f"ours only {sorted(comp_ours - comp_d)[:5]}; cases met baseline only {sorted(met_d - met_ours)[:5]}, "
              f"ours only {sorted(met_ours - met_d)[:5]}")
    if not same_d or (not args.no_pandas and not same_p):
        sys.exit("answers differ")
    print("answers agree")


if __name__ == "__main__":
    main()
