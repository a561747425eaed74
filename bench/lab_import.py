"""Lab results into PostgreSQL (bulk path vs ORM row by row), and planning a 10 000 000-person round.

    .venv/bin/python bench/lab_import.py [--rows 1000000] [--baseline-rows 20000] [--persons 10000000]

Needs a PostgreSQL server (FANGKONG_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test);
a throw-away database is created and dropped. The ORM baseline runs on a subset and is scaled linearly (it
is linear: one look-up and one INSERT per row).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, machine, peak_rss_mb, timed  # noqa: E402

PG = os.environ.get("FANGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2022, 3, 14, 0, 0, tzinfo=UTC)


def _iso(seconds: np.ndarray) -> pa.Array:
    ts = pa.array((T0.timestamp() + seconds).astype("int64") * 1_000_000, pa.timestamp("us", tz="UTC"))
    return pa.compute.strftime(ts, format="%Y-%m-%dT%H:%M:%S+00:00")


def write_inputs(folder: Path, n: int, seed: int = 4) -> None:
    """n persons, each swabbed into a single tube, and one lab result per tube (a few reactive and invalid)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = pa.array([f"P{i:08d}" for i in range(n)])
    tubes = pa.array([f"T{i:08d}" for i in range(n)])
    pacsv.write_csv(pa.table({"person_id": ids, "community": pa.array(["140105001001"] * n)}),
                    folder / "persons.csv")
    sampled = rng.integers(8 * 3600, 12 * 3600, n)
    pacsv.write_csv(pa.table({"tube_id": tubes, "person_id": ids, "sampled_at": _iso(sampled)}),
                    folder / "samples.csv")
    results = np.full(n, "negative", dtype=object)
    pick = rng.choice(n, 300, replace=False)
    results[pick[:100]], results[pick[100:150]], results[pick[150:]] = "positive", "suspected", "invalid"
    received = sampled + rng.integers(1800, 4 * 3600, n)
    tested = received + rng.integers(1800, 3 * 3600, n)
    reported = tested + rng.integers(600, 2 * 3600, n)
    ct = np.where(results == "positive", rng.uniform(18, 35, n).round(1), np.nan)
    pacsv.write_csv(pa.table({
        "tube_id": tubes, "result": pa.array(results.tolist()), "ct_orf1ab": pa.array(ct, from_pandas=True),
        "ct_n": pa.array(ct + 1, from_pandas=True), "lab_id": pa.array(np.where(rng.random(n) < 0.64, "LAB-OWN",
                                                                               "LAB-CONTRACT").tolist()),
        "received_at": _iso(received), "tested_at": _iso(tested), "reported_at": _iso(reported)}),
        folder / "lab_results.csv")


def create_db() -> tuple[str, object]:
    from sqlalchemy import create_engine, text

    name = f"fangkong_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return PG.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def drop_db(handle) -> None:
    from sqlalchemy import text

    admin, name = handle
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def orm_baseline(rows: list[dict], now: datetime) -> float:
    """The naive way: per row, look the tube up, check for a stored result, add the ORM object, flush."""
    from sqlalchemy import select

    from fangkong.kit.clikit import unit_of_work
    from fangkong.testing.models import Lab, LabResult, Tube

    t0 = time.perf_counter()
    with unit_of_work() as s:
        labs = {lab.lab_id: lab.id for lab in s.scalars(select(Lab))}
        for r in rows:
            tube = s.scalar(select(Tube).where(Tube.tube_id == r["tube_id"]))
            if tube is None or s.get(LabResult, tube.id) is not None:
                continue
            rep = datetime.fromisoformat(r["reported_at"])
            if rep < tube.sampled_at:
                continue
            s.add(LabResult(tube_fk=tube.id, result=r["result"], ct_orf1ab=r["ct_orf1ab"], ct_n=r["ct_n"],
                            lab_fk=labs.get(r["lab_id"]), received_at=datetime.fromisoformat(r["received_at"]),
                            tested_at=datetime.fromisoformat(r["tested_at"]), reported_at=rep, imported_at=now,
                            source="baseline"))
            s.flush()
        s.rollback()  # leave the store as the bulk path will find it
    return time.perf_counter() - t0


def bench_import(args, figures: dict) -> None:
    from fangkong import importer
    from fangkong.db.migrate import upgrade
    from fangkong.kit.clikit import unit_of_work
    from fangkong.settings import get_settings
    from fangkong.testing import service

    folder = OUT / f"lab-import-{args.rows}"
    with timed(figures, "write inputs"):
        write_inputs(folder, args.rows)
    url, handle = create_db()
    try:
        os.environ["FANGKONG_DATABASE_URL"] = url
        from fangkong.db.core import get_engine

        get_settings.cache_clear()
        get_engine.cache_clear()
        settings = get_settings()
        upgrade(url)
        with unit_of_work() as s:
            service.add_lab(s, "LAB-OWN", daily_capacity=143_000)
            service.add_lab(s, "LAB-CONTRACT", daily_capacity=80_000, kind="contracted")
        _load_people(settings, folder, figures)
        rows = pacsv.read_csv(folder / "lab_results.csv",
                              convert_options=pacsv.ConvertOptions(strings_can_be_null=True)).slice(
            0, args.baseline_rows).to_pylist()
        for r in rows:
            r["ct_orf1ab"] = None if r["ct_orf1ab"] != r["ct_orf1ab"] else r["ct_orf1ab"]
            r["ct_n"] = None if r["ct_n"] != r["ct_n"] else r["ct_n"]
            for k in ("received_at", "tested_at", "reported_at"):
                r[k] = str(r[k]) if not isinstance(r[k], str) else r[k]
        figures["baseline subset"] = orm_baseline(rows, datetime.now(UTC))
        for key in ("lab_results (bulk)", "lab_results again (all unchanged)"):
            with timed(figures, key), unit_of_work() as s:
                res = importer.import_table(s, settings, "lab_results", folder / "lab_results.csv")
                figures[key + " rows"] = (res.inserted, res.unchanged, res.rejected)
                if res.outcome is not None and "follow-ups" not in figures:
                    figures["follow-ups"] = res.outcome.summary()
        with timed(figures, "turnaround percentiles"), unit_of_work() as s:
            figures["turnaround rows"] = len(service.turnaround(s))
    finally:
        get_engine().dispose()
        drop_db(handle)


def _load_people(settings, folder: Path, figures: dict) -> None:
    from fangkong import importer
    from fangkong.kit.clikit import unit_of_work

    with timed(figures, "persons (setup)"), unit_of_work() as s:
        importer.import_table(s, settings, "persons", folder / "persons.csv")
    with timed(figures, "samples (bulk)"), unit_of_work() as s:
        r = importer.import_table(s, settings, "samples", folder / "samples.csv")
        figures["samples rows"] = (r.inserted, r.unchanged, r.rejected)


def python_tubes(point: np.ndarray, single: np.ndarray, k: int) -> list[int]:
    """Baseline planner: the obvious loop, person by person, filling each point's open tube."""
    open_tube: dict[int, tuple[int, int]] = {}
    out, next_tube = [], 0
    for p, s in zip(point.tolist(), single.tolist(), strict=True):
        if s:
            out.append(next_tube)
            next_tube += 1
            continue
        tube, filled = open_tube.get(p, (-1, k))
        if filled == k:
            tube, filled = next_tube, 0
            next_tube += 1
        out.append(tube)
        open_tube[p] = (tube, filled + 1)
    return out


def bench_plan(args, figures: dict) -> None:
    from fangkong.protocol.edition import load_edition
    from fangkong.protocol.pooling import assign_tubes, plan_round, split_by_capacity, testing_rule

    rule = testing_rule(load_edition("9"))
    n, points = args.persons, max(1, args.persons // rule.people_per_point)
    rng = np.random.default_rng(9)
    point = rng.integers(0, points, n)
    single = rng.random(n) < 0.01          # 1 % key groups in single tubes
    t0 = time.perf_counter()
    plan = plan_round(rule, persons=n, prevalence=0.001, points=points, labs={"own": 143_000, "contract": 80_000},
                      single_tube_persons=int(single.sum()))
    tube = assign_tubes(point, single, plan.pool_size)
    n_tubes = int(tube.max()) + 1
    per_lab = split_by_capacity(n_tubes, [143_000, 80_000])
    lab_of_tube = np.repeat(np.arange(2), per_lab)
    figures["plan 10M"] = time.perf_counter() - t0
    figures["plan tubes"] = (n_tubes, plan.pool_size, len(lab_of_tube))
    sub = args.persons // 50
    t0 = time.perf_counter()
    python_tubes(point[:sub], single[:sub], plan.pool_size)
    figures["plan baseline subset"] = time.perf_counter() - t0
    figures["plan baseline scale"] = n / sub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--baseline-rows", type=int, default=20_000)
    ap.add_argument("--persons", type=int, default=10_000_000)
    args = ap.parse_args()
    figures: dict = {}
    bench_import(args, figures)
    bench_plan(args, figures)
    scale = args.rows / args.baseline_rows
    base = figures["baseline subset"] * scale
    bulk = figures["lab_results (bulk)"]
    pbase = figures["plan baseline subset"] * figures["plan baseline scale"]
    print(f"machine: {machine()}; PostgreSQL records")
    for k in ("write inputs", "persons (setup)", "samples (bulk)", "lab_results (bulk)",
              "lab_results again (all unchanged)", "turnaround percentiles", "plan 10M"):
        print(f"  {k:38s} {figures[k]:8.2f} s")
    print(f"  samples rows (new, unchanged, rejected)  {figures['samples rows']}")
    print(f"  lab_results rows (new, unchanged, rejected)  {figures['lab_results (bulk) rows']}")
    print(f"  again: {figures['lab_results again (all unchanged) rows']}")
    print(f"  follow-ups: {figures.get('follow-ups')}")
    print(f"  lab results/s (bulk): {args.rows / bulk:,.0f}")
    print(f"  ORM row by row: {figures['baseline subset']:.2f} s for {args.baseline_rows:,} rows → "
          f"{base:.1f} s for {args.rows:,} (scaled ×{scale:g})")
    print(f"  ratio ORM / bulk: {base / bulk:.1f}×")
    print(f"  plan {args.persons:,} persons: tubes, pool size, labs → {figures['plan tubes']}")
    print(f"  plan baseline (Python loop): {figures['plan baseline subset']:.2f} s on 1/50 → {pbase:.1f} s; "
          f"ratio {pbase / figures['plan 10M']:.1f}×")
    print(f"  peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
