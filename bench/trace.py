"""Benchmark: trace one case of a generated city; baseline = the same close/secondary joins in pandas
over one unpartitioned visits table (a first attempt), answers compared.

    .venv/bin/python bench/trace.py [--persons 100000] [--days 14] [--seed 7]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, machine, peak_rss_mb, point_settings, timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    folder = OUT / f"trace-{args.persons}-{args.days}-{args.seed}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    point_settings(folder)

    import pyarrow.parquet as pq

    from fangkong import flows, importer
    from fangkong.cases import service as case_service
    from fangkong.clikit import unit_of_work
    from fangkong.db.migrate import upgrade
    from fangkong.protocol.edition import load_edition
    from fangkong.settings import get_settings
    from fangkong.sim.city import generate_city

    t: dict[str, float] = {}
    settings = get_settings()
    with timed(t, "generate"):
        s = generate_city(folder / "city", persons=args.persons, days=args.days, seed=args.seed)
    upgrade(settings.database_url)
    with timed(t, "import"):
        importer.import_folder(unit_of_work, settings, folder / "city")
    sampled = s.index_sampled_at
    with unit_of_work() as session:
        case = case_service.declare_case(session, s.index_person_id, sampled_at=sampled,
                                         isolated_at=sampled + timedelta(hours=6), now=sampled + timedelta(hours=7))
        case_no = case.case_no
    now = sampled + timedelta(hours=8)
    runs = []
    for _ in range(3):
        with unit_of_work() as session:
            case = case_service.get_case(session, case_no)
            with timed(t, "trace"):
                result = flows.trace_case(session, settings, case, now=now)
            runs.append(t["trace"])
    counts = result.counts()
    close_ours = {f.person_id for f in result.found if f.category == "close" and
                  any(e["kind"] == "venue" for e in f.evidence)}

    # baseline: what a first attempt does — the whole visits table in pandas, the close-contact merge,
    # then the same merge again for every close contact (secondary); answers compared with ours
    import pandas as pd

    edition = load_edition(settings.edition)
    kinds = _venue_kinds(folder / "city" / "venues.csv")
    with timed(t, "baseline_load"):
        df = pq.read_table(folder / "city" / "venue_visits.parquet").to_pandas()
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        df["s"] = (df["enter_at"] - epoch) // pd.Timedelta(seconds=1)
        dwell = df["venue_id"].map(lambda v: edition.dwell_for(kinds[v]) * 60)
        df["e"] = ((df["leave_at"] - epoch) // pd.Timedelta(seconds=1)).fillna(df["s"] + dwell).astype("int64")
        df = df[["person_id", "venue_id", "s", "e"]]
    ws, we = int(result.window.start.timestamp()), int(result.window.end.timestamp())

    def exposed(pid, lo, hi):
        mine = df[df.person_id == pid]
        m = mine.merge(df, on="venue_id", suffixes=("_c", ""))
        m = m[m.person_id != pid]
        ov = m[["e_c", "e"]].min(axis=1).clip(upper=hi) - m[["s_c", "s"]].max(axis=1).clip(lower=lo)
        return m.loc[ov >= 900]

    with timed(t, "baseline"):
        close_rows = exposed(s.index_person_id, ws, we)
        close_base = set(close_rows.person_id)
        first = close_rows.assign(f=close_rows[["s_c", "s"]].max(axis=1).clip(lower=ws)).groupby("person_id").f.min()
        secondary = set()
        for pid, f in first.items():
            secondary |= set(exposed(pid, int(f), int(now.timestamp())).person_id)
    same = close_base == close_ours
    print(f"machine: {machine()}")
    print(f"city: {s.persons:,} persons, {s.visits:,} visits, {s.dwells:,} dwells over {args.days} days")
    print(f"generate {t['generate']:.1f} s, import {t['import']:.1f} s "
          f"({(s.visits + s.dwells) / t['import']:,.0f} lake rows/s)")
    print(f"trace (DuckDB via Ibis, full: close, secondary, companions, overlaps): "
          f"best {min(runs) * 1000:.0f} ms of {len(runs)}, first {runs[0] * 1000:.0f} ms")
    print(f"  found: {counts}")
    print(f"baseline (pandas over one unpartitioned table, close + secondary venue merges only): "
          f"{t['baseline'] * 1000:.0f} ms (+ {t['baseline_load']:.1f} s to load, not counted)")
    print(f"ratio baseline / ours: {t['baseline'] / min(runs):.1f}x; close contacts by venue equal: {same} "
          f"({len(close_base)} vs {len(close_ours)})")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    if not same:
        sys.exit("answers differ")


def _venue_kinds(path: Path) -> dict[str, str]:
    import csv

    with path.open(encoding="utf-8") as fh:
        return {r["venue_id"]: r["kind"] for r in csv.DictReader(fh)}


if __name__ == "__main__":
    main()
