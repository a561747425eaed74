"""Compaction: a day's files (one per import, one per scan flush: a busy venue-code service adds one every 5 s)
rewritten as one sorted write (shards sorted by place and their twins sorted by person, lake.ingest.write_sorted),
without a reader ever seeing a row twice or missing one.

A trace pays a fixed cost per file it reads (its footer, its row groups' statistics), so a day of live scans,
thousands of small files, makes every query slow; and files written before stop 18's importer hold interleaved
sorted runs (`--all` rewrites them too). The steps, under the lake's write lock (the one scan flushes and purges
take):

1. the day's live files are read and written sorted twice into staging (lake.ingest.write_sorted);
2. a marker `_replaced-<token>.json` names the new files and the old ones (store.REPLACED); it retires nothing
   until every new file is in place;
3. the new write's index, its twins, then its files are moved in (store.publish): none of its files is read until
   the last one is in place (store.INDEX), and from that rename on readers list the new files and not the old
   ones (store.live_names); the marker is then marked published;
4. old files retired more than `grace_s` ago (by this run or an earlier one) are deleted with their twins, and
   their marker with them: a trace that listed the files before step 3 can still read them meanwhile.

A crash before step 3 ends leaves an inactive marker (removed by the next run, with the new files that made it in)
and the old files in use; after it, the new files in use and the old ones retired. The rows are the same set
either way.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from fangkong.lake import store
from fangkong.lake.ingest import SORTED_COLUMNS, connect, sql_quote, write_sorted

__all__ = ["Compacted", "compact", "GRACE_S"]

#: retired files are kept this long for traces that listed them before the swap (a trace takes seconds)
GRACE_S = 3600

@dataclass
class Compacted:
    table: str
    day: date
    files_before: int
    rows: int
    deleted: int    # retired files (and twins) deleted by this run


def _sweep(d: Path, now: float, grace_s: float) -> int:
    """Delete what markers retired more than grace_s ago (files, twins, then the marker); drop inactive markers
    of runs that died before publishing."""
    deleted = 0
    for path, m in store.markers(d):
        old = float(m.get("at", 0)) <= now - grace_s
        if not store.marker_active(d, m):
            if old:  # its new file never arrived: the old files are still the day's rows
                path.unlink(missing_ok=True)
            continue
        if not old:
            continue
        for name in m.get("old", []):
            for f in (d / name, d / store.BY_PERSON / name):
                if f.is_file():
                    f.unlink()
                    deleted += 1
        path.unlink(missing_ok=True)
    return deleted + _sweep_indexes(d)


def _sweep_indexes(d: Path) -> int:
    """Under the write lock no write is being published, so an index whose files are not all in place is what a
    cut-off publish left (its files are never read: store.live_names): its files and twins are deleted; so is
    the index of files all gone (retired and deleted above)."""
    deleted = 0
    for index in store.read_indexes(d).values():
        files = [d / n for n in index["files"]] + [d / store.BY_PERSON / n for n in index["files"]]
        present = [f for f in files[:len(index["files"])] if f.is_file()]
        if len(present) < len(index["files"]):
            for f in files:
                if f.is_file():
                    f.unlink()
                    deleted += 1
            index["path"].unlink(missing_ok=True)
    return deleted


def compact(lake: Path, *, days: set[date] | None = None, rewrite_single: bool = False, grace_s: float = GRACE_S,
            dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None) -> list[Compacted]:
    """Compact every day (or `days`) of the lake's tables that has files of more than one write (`rewrite_single`:
    every day, to re-sort files written by an older importer). Returns what was (or, dry_run, would be) done."""
    lake = Path(lake)
    done: list[Compacted] = []
    with store.write_lock(lake):   # no import, scan flush or purge meanwhile
        for table in SORTED_COLUMNS:
            todo = sorted((day, d) for day, d in store.day_dirs(lake, table).items() if days is None or day in days)
            for i, (day, d) in enumerate(todo):
                now = time.time()
                live = store.live_names(d)
                rec = None
                if live and (len({store.token_of(n) for n in live}) > 1 or rewrite_single):
                    rec = Compacted(table, day, len(live), sum(pq.read_metadata(d / n).num_rows for n in live), 0)
                    if not dry_run:
                        _rewrite(lake, table, d, day, live, now)
                deleted = 0 if dry_run else _sweep(d, now, grace_s)
                if deleted:
                    rec = rec or Compacted(table, day, len(live), 0, 0)
                    rec.deleted = deleted
                if rec:
                    done.append(rec)
                if progress:
                    progress(table, i + 1, len(todo))
    return done


def _rewrite(lake: Path, table: str, d: Path, day: date, live: list[str], now: float) -> None:
    staged = store.staging_dir(lake)
    try:
        con = connect(staged / "spill")
        try:
            collist = ", ".join(SORTED_COLUMNS[table])
            files = ", ".join(sql_quote(d / n) for n in live)
            con.execute(f"CREATE TEMP TABLE day_rows AS SELECT {collist}, DATE '{day}' AS day "
                        f"FROM read_parquet([{files}], hive_partitioning = false)")
            out = staged / "out"
            token = write_sorted(con, "day_rows", out, table, prefix="compact")
        finally:
            con.close()
        new = [n for index in store.read_indexes(out / table / f"day={day}").values() for n in index["files"]]
        marker = {"new": new, "old": live, "published": False, "at": now}
        store.write_marker(d, token, marker)
        store.publish(out, lake, table)      # twin first, then the file: the rename that swaps the day's files
        store.write_marker(d, token, {**marker, "published": True})
    finally:
        shutil.rmtree(staged, ignore_errors=True)
