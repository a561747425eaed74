"""The lake's tables as Delta Lake tables (delta-rs): `lake/<table>/` holds `_delta_log/` and the day partitions
`day=YYYY-MM-DD/`, each of Parquet files sorted by place and time (docs/lake.md).

What the table holds is what the last commit of its log says, never what lies in its folders: a writer killed
before its commit leaves files that no reader lists (and that `lake purge` vacuums a day later), one killed after
it has landed whole. Writers need no lock between them, on one machine or several:

- every write of a day's rows (an import's day, a scan flush, a compaction's rewrite of a day, a purge) commits
  with the day's application transaction (`<table>/day=…`, a Delta `txn` action) at the number it read plus one.
  Two writers that read the same day at the same number both write; the second commit fails (delta-rs's
  optimistic concurrency: a concurrent transaction with the same app id) and `commit_day_rows` runs it again
  from a fresh snapshot, so a writer's dedupe against a day's stored rows always saw every row committed to that
  day before its own commit. Writers of different days never conflict.
- a reader lists the files of the days and places it needs from the log's per-file statistics (min/max of each
  column): `files_for_days` replaces our own index of key ranges.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from fangkong.errors import InvalidInput
from fangkong.lake.schemas import STORED

__all__ = ["PLACE", "PERSON", "ROW_GROUP_ROWS", "Snapshot", "all_files", "commit_day_rows", "commit_props",
           "day_app", "day_dirs", "file_bytes", "files_for_days", "is_delta", "open_table", "person_files_for_days",
           "process_alive", "read_meta", "snapshot", "staging_dir", "table_dir", "table_schema", "write_meta",
           "write", "writer_properties"]

#: small row groups: a file sorted by place is pruned to the few groups holding the case's places by their
#: min/max statistics
ROW_GROUP_ROWS = 8192
#: each table's person and place column (files are sorted by place, then time)
PERSON = {"venue_visits": "person_id", "cell_dwells": "phone"}
PLACE = {"venue_visits": "venue_id", "cell_dwells": "grid_id"}
#: how often a day's commit is tried again after a concurrent writer of the same day won
COMMIT_TRIES = 50


def table_dir(lake: Path, table: str) -> Path:
    return Path(lake) / table


def table_schema(table: str) -> pa.Schema:
    """The Delta table's columns: the stored columns and the partition column `day`."""
    return STORED[table].append(pa.field("day", pa.date32()))


def writer_properties(table: str):
    """8 192-row groups, zstd, and a Bloom filter of the person column in each row group: the files are sorted by
    place, so a person's rows may be in any group, and DuckDB skips the groups whose filter rules out all the
    persons asked for (a person's own trajectory: 200 phones over a day of 750 000 dwells, 128 -> 36 ms; the
    by-person twins of the lake before Delta did this job at twice the disk)."""
    from deltalake import BloomFilterProperties, ColumnProperties, WriterProperties

    bloom = BloomFilterProperties(set_bloom_filter_enabled=True, fpp=0.01, ndv=ROW_GROUP_ROWS)
    return WriterProperties(max_row_group_size=ROW_GROUP_ROWS, compression="ZSTD",
                            column_properties={PERSON[table]: ColumnProperties(bloom_filter_properties=bloom)})


def file_bytes() -> int:
    """Where delta-rs cuts a day's write into the next file (FANGKONG_LAKE_FILE_MB). The write is one sorted Arrow
    batch, which delta-rs 1.6 writes in order and cuts at this size: each file is a contiguous range of the day's
    place order (a place at a cut may lie in both files), and the log's min/max of each file picks the few a query
    opens. 1.6 writes the batches of a stream or of a table of several chunks in no set order, so several batches
    would give files of overlapping ranges (sorted_rows hands over one)."""
    from fangkong.settings import get_settings

    return get_settings().lake_file_mb << 20


def is_delta(lake: Path, table: str) -> bool:
    return (table_dir(lake, table) / "_delta_log").is_dir()


def _legacy(lake: Path, table: str) -> bool:
    """A table of the lake's own format (before issue 28): day folders and no Delta log."""
    root = table_dir(lake, table)
    return not is_delta(lake, table) and root.is_dir() and any(root.glob("day=*/*.parquet"))


_tables: dict[tuple[str, str], tuple[object, tuple[int, int]]] = {}
_tables_lock = threading.Lock()


def open_table(lake: Path, table: str, *, fresh: bool = False):
    """The table at its latest version (kept per process and brought up to date: a reload reads only the commits
    since), or None when it has no commit yet."""
    from deltalake import DeltaTable

    if not is_delta(lake, table):
        if _legacy(lake, table):
            raise InvalidInput(f"{table_dir(lake, table)} is in the lake's old format: run `fangkong lake migrate`",
                               key="err_lake_old_format")
        return None
    log = table_dir(lake, table) / "_delta_log"
    key = (str(Path(lake).resolve()), table)
    with _tables_lock:
        try:   # a table deleted and made anew is another table: its first commit is another file
            first = log / "00000000000000000000.json"
            st = os.stat(first if first.exists() else log)
            inode = (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None
        dt, seen = _tables.get(key, (None, None))
        if fresh or seen != inode:
            dt = None
        try:
            if dt is None:
                root = table_dir(lake, table)
                if any(root.glob("day=*/_index-*.json")) or any(root.glob("day=*/by_person")):
                    raise InvalidInput(f"{root} is part-way through `fangkong lake migrate`: run it again",
                                       key="err_lake_migrating")
                dt = DeltaTable(str(root))
            else:
                dt.update_incremental()
        except InvalidInput:
            raise
        except Exception as exc:  # noqa: BLE001 - a log folder with no commit yet (a creation under way)
            if "No snapshot" in str(exc) or "not a Delta table" in str(exc).lower():
                return None
            raise
        _tables[key] = (dt, inode)
        return dt


@dataclass(frozen=True)
class Snapshot:
    """One version of a table: its files (the log's add actions, flattened: path, size_bytes, partition.day,
    num_records, min.<col>, max.<col>, null_count.<col>)."""

    version: int
    files: pa.Table

    def for_days(self, days: set[date] | None) -> pa.Table:
        if days is None or self.files.num_rows == 0:
            return self.files
        return self.files.filter(pc.is_in(self.files.column("partition.day"),
                                          value_set=pa.array(sorted(days), pa.date32())))


_snapshots: dict[tuple[str, str, str, int], Snapshot] = {}


#: set in a forked child: delta-rs's runtime (tokio) belongs to the parent and panics in a child
#: ("The tokio runtime does not support forked processes"), so a child reads the log itself (`_log_snapshot`)
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True
    _tables.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _stats_columns(adds: list[dict]) -> dict[str, list]:
    """The flattened columns of `DeltaTable.get_add_actions(flatten=True)` the readers use, from log add actions."""
    cols: dict[str, list] = {"path": [], "size_bytes": [], "partition.day": [], "num_records": []}
    keys = {c for t in (PLACE, PERSON) for c in t.values()}
    for k in keys:
        for part in ("min", "max", "null_count"):
            cols[f"{part}.{k}"] = []
    for a in adds:
        pv = a.get("partitionValues") or {}
        pv = dict(pv) if not isinstance(pv, dict) else pv
        stats = json.loads(a["stats"]) if a.get("stats") else {}
        cols["path"].append(unquote(a["path"]))
        cols["size_bytes"].append(a["size"])
        cols["partition.day"].append(date.fromisoformat(pv["day"]) if pv.get("day") else None)
        cols["num_records"].append(stats.get("numRecords"))
        for k in keys:
            cols[f"min.{k}"].append((stats.get("minValues") or {}).get(k))
            cols[f"max.{k}"].append((stats.get("maxValues") or {}).get(k))
            cols[f"null_count.{k}"].append((stats.get("nullCount") or {}).get(k))
    return cols


def _log_snapshot(lake: Path, table: str) -> Snapshot | None:
    """The table's latest version read from its `_delta_log` without delta-rs, for a forked child (see `_forked`):
    the adds of the last checkpoint, then each JSON commit after it in order (an add puts a file, a remove takes it
    out). Only what the readers use: the files with their day and the statistics of the place and person columns."""
    log = table_dir(lake, table) / "_delta_log"
    if not is_delta(lake, table):
        return open_table(lake, table)   # the old format's refusal, or None
    adds: dict[str, dict] = {}
    start = -1
    last = log / "_last_checkpoint"
    if last.exists():
        import pyarrow.parquet as pq

        start = json.loads(last.read_text())["version"]
        for part in sorted(log.glob(f"{start:020d}.checkpoint*.parquet")):
            for a in pq.read_table(part, columns=["add"]).column("add").to_pylist():
                if a:
                    adds[a["path"]] = a
    versions = sorted(int(p.stem) for p in log.glob("*.json") if p.stem.isdigit() and int(p.stem) > start)
    for v in versions:
        for line in (log / f"{v:020d}.json").read_text().splitlines():
            action = json.loads(line) if line.strip() else {}
            if "add" in action:
                adds[action["add"]["path"]] = action["add"]
            elif "remove" in action:
                adds.pop(action["remove"]["path"], None)
    version = versions[-1] if versions else start
    if version < 0:
        return None
    files = pa.table(_stats_columns(list(adds.values())))
    if files.num_rows:
        files = files.sort_by([("partition.day", "ascending"), ("path", "ascending")])
    return Snapshot(version, files)


def snapshot(lake: Path, table: str, dt=None) -> Snapshot | None:
    """The table's latest version (or `dt`'s) and its files; None when the table does not exist yet."""
    if _forked and dt is None:
        return _log_snapshot(lake, table)
    dt = dt if dt is not None else open_table(lake, table)
    if dt is None:
        return None
    key = (str(Path(lake).resolve()), table, dt.metadata().id, dt.version())
    snap = _snapshots.get(key)
    if snap is None:
        with _tables_lock:   # the kept table is shared by the threads of a trace
            files = pa.table(dt.get_add_actions(flatten=True))
        if files.num_rows:
            files = files.sort_by([("partition.day", "ascending"), ("path", "ascending")])
        snap = Snapshot(dt.version(), files)
        if len(_snapshots) > 64:
            _snapshots.clear()
        _snapshots[key] = snap
    return snap


def day_dirs(lake: Path, table: str) -> dict[date, Path]:
    """The days that hold rows at the table's latest version, and their folders."""
    snap = snapshot(lake, table)
    if snap is None or snap.files.num_rows == 0:
        return {}
    return {d: table_dir(lake, table) / f"day={d}" for d in sorted(set(snap.files.column("partition.day").to_pylist()))}


def _may_hold(files: pa.Table, column: str, keys: list[str] | None) -> pa.Table:
    """The files whose [min, max] of `column` (the log's statistics) can hold one of `keys` (sorted); a file
    without statistics, or with a null in the column, is kept."""
    if keys is None or files.num_rows == 0:
        return files
    lo, hi = files.column(f"min.{column}").to_pylist(), files.column(f"max.{column}").to_pylist()
    nulls = files.column(f"null_count.{column}").to_pylist()
    import bisect

    keep = []
    for a, b, n in zip(lo, hi, nulls, strict=True):
        if a is None or b is None or n:
            keep.append(True)
            continue
        i = bisect.bisect_left(keys, a)
        keep.append(i < len(keys) and keys[i] <= b)
    return files.filter(pa.array(keep, pa.bool_()))


def _paths(lake: Path, table: str, files: pa.Table) -> list[str]:
    root = table_dir(lake, table)
    return [str(root / p) for p in files.column("path").to_pylist()]


def files_for_days(lake: Path, table: str, days: set[date] | None = None, places: list[str] | None = None,
                   *, snap: Snapshot | None = None) -> list[str]:
    """The Parquet files of the given days (all days when None) at the table's latest version (or `snap`), in
    day and name order; with `places` (sorted), only the files whose place range can hold one of them."""
    snap = snap or snapshot(lake, table)
    if snap is None:
        return []
    return _paths(lake, table, _may_hold(snap.for_days(days), PLACE[table], places))


def person_files_for_days(lake: Path, table: str, days: set[date] | None = None,
                          persons: list[str] | None = None, *, snap: Snapshot | None = None) -> list[str]:
    """The files to read for given persons: the same files, kept by their person range (files are sorted by
    place, so a person's rows may be in any of a day's files; the query's filter prunes row groups by their
    Bloom filters of the person column: writer_properties). At the latest version, or `snap`'s."""
    snap = snap or snapshot(lake, table)
    if snap is None:
        return []
    return _paths(lake, table, _may_hold(snap.for_days(days), PERSON[table], persons))


def all_files(lake: Path, table: str) -> list[str]:
    return files_for_days(lake, table, None)


def day_app(table: str, day: date) -> str:
    """The application transaction id of a table's day: every commit of the day's rows sets it one higher."""
    return f"fangkong:{table}/day={day.isoformat()}"


def _create(lake: Path, table: str) -> None:
    from deltalake import DeltaTable

    try:
        DeltaTable.create(str(table_dir(lake, table)), table_schema(table), partition_by=["day"], mode="ignore",
                          name=table)
    except Exception:  # noqa: BLE001 - another writer created it at the same moment: use theirs
        if open_table(lake, table, fresh=True) is None:
            raise


#: rows to write: (a stream or table of the table's columns and `day`, sorted by place and time; its row count)
Rows = tuple[pa.RecordBatchReader | pa.Table | None, int]


def commit_day_rows(lake: Path, table: str, days: list[date], rows: Callable[[Snapshot], Rows], *,
                    mode: str = "append", writer: str = "import") -> int:
    """Commit rows of `days` as one Delta commit that takes each day's application transaction one higher.

    `rows(snapshot)` makes the rows from that version (an append: the new rows, deduped against the days' files
    in it; mode "overwrite": each day's rows whole, which replace the day's files). When a concurrent writer of one
    of the days commits first, the commit fails and `rows` is called again on the new version. Returns the number of
    rows committed (0: nothing to write, no commit)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import CommitFailedError

    for attempt in range(COMMIT_TRIES):
        if open_table(lake, table) is None:
            _create(lake, table)
        dt = DeltaTable(str(table_dir(lake, table)))   # this writer's own: the kept one is the readers'
        data, n = rows(snapshot(lake, table, dt))
        if not n:
            return 0
        predicate = " OR ".join(f"day = '{d.isoformat()}'" for d in days) if mode == "overwrite" else None
        try:
            write(dt, table, data, commit_props(dt, [day_app(table, d) for d in days], writer), mode=mode,
                  predicate=predicate)
            return n
        except CommitFailedError:
            # a writer of the same day committed first: read the day again (its rows may now hold ours)
            time.sleep(random.uniform(0.01, 0.05) * min(attempt + 1, 10))
    raise RuntimeError(f"{table}: {COMMIT_TRIES} concurrent writers of {days} won in turn; try again")


def commit_props(dt, apps: list[str], writer: str):
    """A commit's properties: each application transaction of `apps` one higher than at `dt`, and its writer."""
    from deltalake import CommitProperties, Transaction

    return CommitProperties(app_transactions=[Transaction(a, (dt.transaction_version(a) or 0) + 1) for a in apps],
                            custom_metadata={"fangkong.writer": writer})


def write(dt, table: str, data, props, *, mode: str = "append", predicate: str | None = None) -> None:
    """One commit of sorted rows (`data`: one Arrow batch, see file_bytes), cut into files of file_bytes()."""
    from deltalake import write_deltalake

    write_deltalake(dt, data, mode=mode, predicate=predicate, writer_properties=writer_properties(table),
                    target_file_size=file_bytes(), commit_properties=props)


def read_meta(lake: Path, table: str) -> dict:
    p = table_dir(lake, table) / "_meta.json"
    return json.loads(p.read_text()) if p.is_file() else {}


def write_meta(lake: Path, table: str, meta: dict) -> None:
    """The table's own facts beside the log (the longest stay seen), replaced atomically; written before the rows
    it describes, so a crash can only overstate it."""
    root = table_dir(lake, table)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"._meta.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(meta, sort_keys=True))
    os.replace(tmp, root / "_meta.json")


def staging_dir(lake: Path) -> Path:
    d = Path(lake) / ".staging" / uuid.uuid4().hex
    d.mkdir(parents=True)
    return d


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a journal's writer: its journal is left to it while it lives)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by another user
        return True
    return True
