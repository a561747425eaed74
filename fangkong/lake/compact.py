"""Compaction: a day's files (a run per import, one per scan flush: a busy venue-code service adds one every 5 s)
rewritten as one sorted write, in one Delta commit that removes the old files and adds the new ones.

A trace pays a fixed cost per file it reads (its footer, its row groups' statistics), so a day of live scans makes
every query slow. The day's rows at one version are read, sorted by place and time and committed with
`mode="overwrite"` and the day as predicate (store.commit_day_rows: an append to the day committed meanwhile makes
the rewrite start again from it, so it never drops a row). A sorted rewrite, not delta-rs's
`optimize.z_order(place, time)`: the queries ask for a few places over whole days, and a file cut from the place
order holds a contiguous place range that the log's min/max picks or skips, where a Z-order curve interleaves
place with time. The replaced files stay on disk for `grace_s` (for a trace that listed them before the commit,
or a read of the older version), then delta-rs's `vacuum` deletes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fangkong.lake import store
from fangkong.lake.ingest import connect, sorted_rows, sql_quote
from fangkong.lake.schemas import SORTED_COLUMNS

__all__ = ["Compacted", "compact", "GRACE_S"]

#: retired files are kept this long for traces that listed them before the swap (a trace takes seconds)
GRACE_S = 3600


@dataclass
class Compacted:
    table: str
    day: date
    files_before: int
    rows: int
    deleted: int    # retired files deleted by this run's vacuum (counted on the table's first day listed)


def compact(lake: Path, *, days: set[date] | None = None, rewrite_single: bool = False, grace_s: float = GRACE_S,
            dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None) -> list[Compacted]:
    """Compact every day (or `days`) of the lake's tables that has more files than one write of its rows would
    have (`rewrite_single`: every day). Returns what was (or, dry_run, would be) done."""
    lake = Path(lake)
    done: list[Compacted] = []
    for table in SORTED_COLUMNS:
        snap = store.snapshot(lake, table)
        if snap is None:
            continue
        todo = [d for d in store.day_dirs(lake, table) if days is None or d in days]
        recs = []
        for i, day in enumerate(todo):
            files = snap.for_days({day})
            n_files, size = files.num_rows, sum(files.column("size_bytes").to_pylist())
            # one sorted write is cut into files of about file_bytes(): more files than that are several writes
            if n_files > max(1, math.ceil(size / (0.75 * store.file_bytes()))) or (rewrite_single and n_files):
                rec = Compacted(table, day, n_files, sum(files.column("num_records").to_pylist()), 0)
                if not dry_run:
                    rec.rows = _rewrite(lake, table, day)
                recs.append(rec)
            if progress:
                progress(table, i + 1, len(todo))
        if not dry_run and (deleted := vacuum(lake, table, grace_s)):
            if not recs:
                recs.append(Compacted(table, min(todo) if todo else date.min, 0, 0, 0))
            recs[0].deleted = deleted
        done.extend(recs)
    return done


def vacuum(lake: Path, table: str, grace_s: float) -> int:
    """Delete the files that no version newer than `grace_s` ago reads (delta-rs vacuum); their number."""
    dt = store.open_table(lake, table, fresh=True)
    if dt is None:
        return 0
    return len(dt.vacuum(retention_hours=math.ceil(grace_s / 3600), enforce_retention_duration=False,
                         dry_run=False))


def _rewrite(lake: Path, table: str, day: date) -> int:
    """The day's rows at the latest version, sorted, committed in place of its files; the rows written."""
    con = connect(lake / ".staging" / "spill")
    cols = ", ".join(SORTED_COLUMNS[table])
    try:
        def rows(snap):
            files = store.files_for_days(lake, table, {day}, snap=snap)
            if not files:
                return None, 0
            con.execute(f"CREATE OR REPLACE TEMP TABLE day_rows AS SELECT {cols}, DATE '{day}' AS day "
                        f"FROM read_parquet([{', '.join(sql_quote(f) for f in files)}], hive_partitioning = false)")
            n = con.execute("SELECT count(*) FROM day_rows").fetchall()[0][0]
            return sorted_rows(con, "day_rows", table), n

        return store.commit_day_rows(lake, table, [day], rows, mode="overwrite", writer="compact")
    finally:
        con.close()
