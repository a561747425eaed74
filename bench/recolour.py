"""Benchmark: recolouring after a bad day. A city prepared by bench/trace.py (generated, imported, its bad day's
cases declared: cases-N.json) is copied, its cases traced and placed once (`flows.respond_many`, committed, as
`fangkong trace --all-new` does), then `codes.service.recompute` of every person with a measure or a case is timed
(rolled back each run) on the bad day and 11 days later, when most nominal ends have passed. Then the look-up a
positive result (or a case reported) of a close contact costs, for the secondary contacts found through him
(`measures.lifecycle.upgrade_secondaries_of`), for up to 100 close contacts of the bad day (rolled back).

    .venv/bin/python bench/trace.py --persons 50000 --cases 100 --work /work/bigdata/city-50k   # prepare
    .venv/bin/python bench/recolour.py --city /work/bigdata/city-50k --work /work/bigdata/recolour-50k-main

The store is the city's copied and migrated to this checkout's head, so two checkouts (before and after a change)
can be measured over the same records: run this script with each checkout's .venv/bin/python, alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mb, point_settings  # noqa: E402


def _respond(work: Path, case_nos: list[str], now: datetime) -> dict:
    done = work / "responded.json"
    if done.is_file():
        return json.loads(done.read_text())
    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.db.core import session_scope
    from fangkong.settings import get_settings

    t0 = time.perf_counter()
    with session_scope() as session:
        cases = [case_service.get_case(session, c) for c in case_nos]
        flows.respond_many(session, get_settings(), cases, now=now, keep_evidence=False)
        session.commit()
    info = {"respond_s": time.perf_counter() - t0, "rss_mb": peak_rss_mb()}
    done.write_text(json.dumps(info))
    return info


def _persons(session) -> list[int]:
    from sqlalchemy import select, union

    from fangkong.cases.models import Case
    from fangkong.measures.models import Measure

    return sorted(session.scalars(union(select(Measure.person_fk), select(Case.person_fk))))


def _recolour(at: datetime, runs: int) -> tuple[list[float], int, dict]:
    from fangkong.codes import service as code_service
    from fangkong.db.core import session_scope
    from fangkong.protocol.edition import load_edition
    from fangkong.settings import get_settings

    settings = get_settings()
    edition = load_edition(settings.edition)
    secs = []
    with session_scope() as session:
        fks = _persons(session)
        for _ in range(runs):
            t0 = time.perf_counter()
            counts = code_service.recompute(session, fks, edition=edition, now=at, tz=settings.zone)
            secs.append(time.perf_counter() - t0)
            session.rollback()
    return secs, len(fks), counts


def _upgrades(at: datetime, runs: int) -> tuple[list[float], int]:
    from sqlalchemy import select

    from fangkong.db.core import session_scope
    from fangkong.measures import lifecycle
    from fangkong.measures.models import Measure
    from fangkong.protocol.edition import load_edition
    from fangkong.settings import get_settings

    settings = get_settings()
    edition = load_edition(settings.edition)
    secs = []
    with session_scope() as session:
        close = list(session.scalars(select(Measure.person_fk).where(Measure.category == "close",
                                                                      Measure.ended_at.is_(None))
                                     .distinct().order_by(Measure.person_fk).limit(100)))
        for _ in range(runs):
            t0 = time.perf_counter()
            for fk in close:
                lifecycle.upgrade_secondaries_of(session, [(fk, at)], edition=edition, tz=settings.zone)
            secs.append(time.perf_counter() - t0)
            session.rollback()
    return secs, len(close)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--city", type=Path, required=True, help="a bench/trace.py work folder (its cases declared)")
    ap.add_argument("--work", type=Path, required=True, help="this checkout's copy of the store")
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--prepare", action="store_true", help="copy, migrate and place the bad day only (no timing)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if not (args.work / "fangkong.db").exists():
        # SQLite's backup API, not a file copy: the city's last writes (its declared cases) may still sit in
        # its -wal file, which a copy of fangkong.db alone leaves behind
        with sqlite3.connect(args.city / "fangkong.db") as src, sqlite3.connect(args.work / "fangkong.db") as dst:
            src.backup(dst)
        if not (args.work / "lake").exists():
            os.symlink((args.city / "lake").resolve(), args.work / "lake")
    point_settings(args.work)
    import fangkong
    from fangkong.db.migrate import upgrade
    from fangkong.settings import get_settings

    upgrade(get_settings().database_url)
    cases = json.loads((args.city / f"cases-{args.cases}.json").read_text())
    now = datetime.fromisoformat(cases["now"])
    print(f"{machine()}; fangkong from {Path(fangkong.__file__).parent.parent}; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    info = _respond(args.work, cases["cases"], now)
    print(f"bad day placed once: respond_many of {len(cases['cases'])} cases {info['respond_s']:.1f} s", flush=True)
    if args.prepare:
        return
    for label, at in (("bad day", now + timedelta(hours=1)), ("11 days later", now + timedelta(days=11))):
        secs, n, counts = _recolour(at, args.runs)
        print(f"recolour {label}: {n:,} persons, best {min(secs) * 1000:.0f} ms / median "
              f"{statistics.median(secs) * 1000:.0f} ms of {len(secs)} ({counts}); load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    from fangkong.measures.models import Measure

    if not hasattr(Measure, "ended_at"):  # a checkout from before obligations (the 'before' of bench/RESULTS.md)
        print("upgrade look-up: not in this checkout", flush=True)
        return
    secs, n = _upgrades(now + timedelta(hours=2), args.runs)
    print(f"upgrade look-up of {n} close contacts' positive results: best {min(secs) * 1000 / max(n, 1):.1f} ms each "
          f"/ median {statistics.median(secs) * 1000 / max(n, 1):.1f} ms; load average {os.getloadavg()[0]:.1f}",
          flush=True)


if __name__ == "__main__":
    main()
