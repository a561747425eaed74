"""Benchmark: the overdue list (`fangkong tasks overdue`, GET /api/tasks?overdue=true) over a large task table;
baseline = load every open task and filter and sort in Python (a dashboard's first attempt), answers compared.

    .venv/bin/python bench/overdue.py [--tasks 500000] [--overdue 0.02] [--url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, machine, peak_rss_mb, point_settings  # noqa: E402


def _fill(session, n: int, overdue: float, now: datetime) -> None:
    from sqlalchemy import insert

    from fangkong.tasks.models import TASK_KINDS, Task

    rng = random.Random(7)
    rows = []
    for i in range(n):
        r = rng.random()
        status = "open" if r < 0.3 else "done"
        # open tasks: `overdue` of all tasks are past due, the other open ones due in the next hours
        due = now - timedelta(minutes=rng.randint(1, 600)) if r < overdue else now + timedelta(minutes=rng.randint(1, 600))
        rows.append(dict(kind=TASK_KINDS[i % len(TASK_KINDS)], step="verified", status=status,
                         jurisdiction=f"140105{i % 50:03d}001", owner_kind="community",
                         owner_ref=f"140105{i % 50:03d}001", owner_name=None, started_at=due - timedelta(hours=3),
                         due_at=due, created_at=now, version=1))
        if len(rows) == 20_000:
            session.execute(insert(Task), rows)
            rows = []
    if rows:
        session.execute(insert(Task), rows)


def _median(fn, runs: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=500_000)
    ap.add_argument("--overdue", type=float, default=0.02)
    ap.add_argument("--url", help="a PostgreSQL database to use instead of a SQLite file (it is filled)")
    args = ap.parse_args()
    folder = OUT / f"overdue-{args.tasks}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    point_settings(folder)
    if args.url:
        import os

        os.environ["FANGKONG_DATABASE_URL"] = args.url
        from fangkong.settings import get_settings

        get_settings.cache_clear()

    from sqlalchemy import select

    from fangkong.db.migrate import upgrade
    from fangkong.kit.clikit import unit_of_work
    from fangkong.settings import get_settings
    from fangkong.tasks import service
    from fangkong.tasks.models import Task

    upgrade(get_settings().database_url)
    now = datetime(2022, 3, 14, 12, tzinfo=UTC)
    t0 = time.perf_counter()
    with unit_of_work() as session:
        _fill(session, args.tasks, args.overdue, now)
    fill = time.perf_counter() - t0

    with unit_of_work() as session:
        ours, page = _median(lambda: [t.id for t in service.list_tasks(session, now=now, overdue=True, limit=100)])
        counts_t, counts = _median(lambda: service.overdue_counts(session, now=now))

        def naive():
            session.expunge_all()
            open_tasks = session.scalars(select(Task).where(Task.status == "open")).all()
            late = sorted((t for t in open_tasks if t.due_at < now), key=lambda t: (t.due_at, t.id))
            by_kind: dict[str, int] = {}
            for t in late:
                by_kind[t.kind] = by_kind.get(t.kind, 0) + 1
            return [t.id for t in late[:100]], by_kind

        base, (base_page, base_counts) = _median(naive, runs=3)
    same = page == base_page and counts == base_counts
    print(f"{args.tasks:,} tasks ({sum(counts.values()):,} overdue), {get_settings().database_url.split(':')[0]}, "
          f"{machine()}; filled in {fill:.1f} s")
    print(f"ours: first page of 100 overdue {ours * 1000:.1f} ms, counts per kind {counts_t * 1000:.1f} ms")
    print(f"baseline (load open tasks, filter and sort in Python): {base * 1000:.0f} ms")
    print(f"same answers: {same}")
    print(f"ratio baseline / ours (page + counts): {base / (ours + counts_t):.1f}x")
    print(f"peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
