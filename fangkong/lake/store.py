"""The lake's tables as Delta Lake tables (delta-rs): `lake/<table>/` holds `_delta_log/` and the day partitions
`day=YYYY-MM-DD/` of Parquet files sorted by place and time (docs/lake.md).

What a table holds is what the last commit of its log says: a writer killed before its commit leaves files no
reader lists. Writers need no lock, on one machine or several: every commit of a day's rows takes the day's
application transaction (a Delta `txn` action) one higher than the version it read, so of two writers of a day
the second fails to commit and makes its rows again from the first's version (`commit_day_rows`). Readers choose
files by the log's per-file min/max of the place or person column (`files_for_days`).
"""

from __future__ import annotations

import bisect
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
from typing import TypeVar
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from fangkong.errors import InvalidInput
from fangkong.lake.schemas import SORTED_COLUMNS, STORED

__all__ = ["PLACE", "PERSON", "ROW_GROUP_ROWS", "Snapshot", "all_files", "commit_day_rows", "commit_props",
           "day_app", "day_dirs", "file_bytes", "files_for_days", "is_delta", "open_table", "process_alive",
           "read_meta", "retried", "snapshot", "staging_dir", "table_dir", "table_schema", "widen_span", "write",
           "writer_properties"]

#: small row groups: a file sorted by place is pruned to the few groups holding the case's places by their
#: min/max statistics
ROW_GROUP_ROWS = 8192
#: each table's person and place column (files are sorted by place, then time)
PERSON = {t: cols[0] for t, cols in SORTED_COLUMNS.items()}
PLACE = {t: cols[1] for t, cols in SORTED_COLUMNS.items()}
#: how often a commit is tried again after a concurrent writer of the same day won
COMMIT_TRIES = 50


def table_dir(lake: Path, table: str) -> Path:
    return Path(lake) / table


def table_schema(table: str) -> pa.Schema:
    """The Delta table's columns: the stored columns and the partition column `day`."""
    return STORED[table].append(pa.field("day", pa.date32()))


def writer_properties(table: str):
    """8 192-row groups, zstd, and a Bloom filter of the person column in each row group: the files are sorted by
    place, so a person's rows may be in any group, and DuckDB skips the groups whose filter rules out all the
    persons asked for (bench/RESULTS.md)."""
    from deltalake import BloomFilterProperties, ColumnProperties, WriterProperties

    bloom = BloomFilterProperties(set_bloom_filter_enabled=True, fpp=0.01, ndv=ROW_GROUP_ROWS)
    return WriterProperties(max_row_group_size=ROW_GROUP_ROWS, compression="ZSTD",
                            column_properties={PERSON[table]: ColumnProperties(bloom_filter_properties=bloom)})


def file_bytes() -> int:
    """Where delta-rs cuts a day's write into the next file (FANGKONG_LAKE_FILE_MB). The write is one sorted Arrow
    batch, which delta-rs 1.6 writes in order and cuts at this size: each file is a contiguous range of the day's
    place order (a place at a cut may lie in both files), and the log's min/max of each file picks the few a query
    opens. 1.6 writes the batches of a stream or of a table of several chunks in no set order, so several batches
    would give files of overlapping ranges (ingest.sorted_rows hands over one)."""
    from fangkong.settings import get_settings

    return get_settings().lake_file_mb << 20


def is_delta(lake: Path, table: str) -> bool:
    return (table_dir(lake, table) / "_delta_log").is_dir()


_tables: dict[tuple[str, str], tuple[object, tuple[int, int]]] = {}
_tables_lock = threading.Lock()


def open_table(lake: Path, table: str, *, fresh: bool = False):
    """The table at its latest version (kept per process and brought up to date: a reload reads only the commits
    since), or None when it has no commit yet. A table of the lake's format before issue 28 is refused."""
    from deltalake import DeltaTable

    root = table_dir(lake, table)
    if not is_delta(lake, table):
        if any(root.glob("day=*/*.parquet")):
            raise InvalidInput(f"{root} is in the lake's old format: run `fangkong lake migrate`",
                               key="err_lake_old_format")
        return None
    key = (str(root.resolve()), table)
    with _tables_lock:
        try:   # a table deleted and made anew is another table: its first commit is another file
            first = root / "_delta_log" / "00000000000000000000.json"
            st = os.stat(first if first.exists() else first.parent)
        except FileNotFoundError:
            return None
        dt, seen = _tables.get(key, (None, None))
        try:
            if fresh or dt is None or seen != (st.st_ino, st.st_mtime_ns):
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
        _tables[key] = (dt, (st.st_ino, st.st_mtime_ns))
        return dt


@dataclass(frozen=True)
class Snapshot:
    """One version of a table: its files (the log's add actions, flattened: path, size_bytes, partition.day,
    num_records, min.<col>, max.<col>, null_count.<col>), in day and path order."""

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
#: and makes its commits in a spawned process (`_delta`)
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True
    _tables.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _log_snapshot(lake: Path, table: str, version: int | None = None) -> Snapshot | None:
    """The table's latest version (or `version`) read from its `_delta_log` without delta-rs, for a forked child
    (see `_forked`): the adds of the last checkpoint (at or before the version), then each JSON commit after it in
    order (an add puts a file, a remove takes it out). Only what the readers use: the files with their size, day and
    the statistics of the place and person columns."""
    log = table_dir(lake, table) / "_delta_log"
    if not is_delta(lake, table):
        return open_table(lake, table)   # the old format's refusal, or None
    if version is None:
        start = json.loads((log / "_last_checkpoint").read_text())["version"] if (log / "_last_checkpoint").exists() \
            else -1
    else:
        start = max((v for v in (int(p.name.split(".")[0]) for p in log.glob("*.checkpoint*.parquet")) if v <= version),
                    default=-1)
    adds: dict[str, dict] = {}
    if start >= 0:
        import pyarrow.parquet as pq

        for part in sorted(log.glob(f"{start:020d}.checkpoint*.parquet")):
            adds |= {a["path"]: a for a in pq.read_table(part, columns=["add"]).column("add").to_pylist() if a}
    versions = sorted(v for v in (int(p.stem) for p in log.glob("*.json") if p.stem.isdigit())
                      if start < v <= (version if version is not None else v))
    for v in versions:
        for action in map(json.loads, filter(str.strip, (log / f"{v:020d}.json").read_text().splitlines())):
            if "add" in action:
                adds[action["add"]["path"]] = action["add"]
            elif "remove" in action:
                adds.pop(action["remove"]["path"], None)
    if max(versions, default=start) < 0:
        return None
    cols: dict[str, list] = {"path": [], "size_bytes": [], "partition.day": [], "num_records": []}
    for a in adds.values():
        stats, day = json.loads(a.get("stats") or "{}"), dict(a.get("partitionValues") or {}).get("day")
        cols["path"].append(unquote(a["path"]))
        cols["size_bytes"].append(a["size"])
        cols["partition.day"].append(date.fromisoformat(day) if day else None)
        cols["num_records"].append(stats.get("numRecords"))
        for k in (PLACE[table], PERSON[table]):
            for part, name in (("min", "minValues"), ("max", "maxValues"), ("null_count", "nullCount")):
                cols.setdefault(f"{part}.{k}", []).append((stats.get(name) or {}).get(k))
    return Snapshot(version if version is not None else max(versions, default=start), _in_order(pa.table(cols)))


def _in_order(files: pa.Table) -> pa.Table:
    return files.sort_by([("partition.day", "ascending"), ("path", "ascending")]) if files.num_rows else files


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
            snap = Snapshot(dt.version(), _in_order(pa.table(dt.get_add_actions(flatten=True))))
        if len(_snapshots) > 64:
            _snapshots.clear()
        _snapshots[key] = snap
    return snap


def day_dirs(lake: Path, table: str) -> dict[date, Path]:
    """The days that hold rows at the table's latest version, and their folders."""
    snap = snapshot(lake, table)
    days = set(snap.files.column("partition.day").to_pylist()) if snap and snap.files.num_rows else set()
    return {d: table_dir(lake, table) / f"day={d}" for d in sorted(days)}


def _may_hold(files: pa.Table, column: str, keys: list[str] | None) -> pa.Table:
    """The files whose [min, max] of `column` (the log's statistics) can hold one of `keys` (sorted); a file
    without statistics, or with a null in the column, is kept."""
    if keys is None or files.num_rows == 0:
        return files
    keep = []
    for a, b, n in zip(*(files.column(f"{s}.{column}").to_pylist() for s in ("min", "max", "null_count")),
                       strict=True):
        i = bisect.bisect_left(keys, a) if a is not None else 0
        keep.append(a is None or b is None or bool(n) or (i < len(keys) and keys[i] <= b))
    return files.filter(pa.array(keep, pa.bool_()))


def files_for_days(lake: Path, table: str, days: set[date] | None = None, places: list[str] | None = None, *,
                   persons: list[str] | None = None, snap: Snapshot | None = None) -> list[str]:
    """The Parquet files of the given days (all days when None) at the table's latest version (or `snap`), in
    day and name order; with `places` or `persons` (sorted), only the files whose range of that column can hold one
    of them (files are sorted by place: a person's rows may be in any of a day's files, and the query's filter
    prunes row groups by their Bloom filters of the person column, writer_properties)."""
    snap = snap or snapshot(lake, table)
    if snap is None:
        return []
    files = _may_hold(_may_hold(snap.for_days(days), PLACE[table], places), PERSON[table], persons)
    return [str(table_dir(lake, table) / p) for p in files.column("path").to_pylist()]


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


#: rows to write: (a table of the table's columns and `day`, sorted by place and time, one batch; its row count)
Rows = tuple[pa.Table | None, int]
T = TypeVar("T")


def commit_day_rows(lake: Path, table: str, days: list[date], rows: Callable[[Snapshot], Rows], *,
                    mode: str = "append", writer: str = "import") -> int:
    """Commit rows of `days` as one Delta commit that takes each day's application transaction one higher.

    `rows(snapshot)` makes the rows from the latest version (an append: the new rows, deduped against the days'
    files in it; mode "overwrite": each day's rows whole, which replace the day's files). The commit is made on top
    of that version: when a concurrent writer of one of the days committed since, it fails and `rows` is called
    again on the new version. Returns the number of rows committed (0: nothing to write, no commit)."""
    predicate = " OR ".join(f"day = '{d.isoformat()}'" for d in days) if mode == "overwrite" else None

    def attempt() -> int:
        snap = snapshot(lake, table)
        if snap is None:
            _delta(_create, lake, table)
            snap = snapshot(lake, table)
        data, n = rows(snap)
        if n:
            _delta(_commit, lake, table, snap.version, data, [day_app(table, d) for d in days], writer, mode,
                   predicate)
        return n

    return retried(f"{table} {days}", attempt)


def _commit(lake: Path, table: str, version: int, data: pa.Table, apps: list[str], writer: str, mode: str,
            predicate: str | None) -> None:
    """`data` committed on top of `version`: a commit since then that took one of `apps` fails it."""
    from deltalake import DeltaTable

    dt = DeltaTable(str(table_dir(lake, table)), version=version)
    write(dt, table, data, commit_props(dt, apps, writer), mode=mode, predicate=predicate)


def _delta(fn: Callable[..., None], *args) -> None:
    """`fn(*args)`, a delta-rs call; in a forked child (whose delta-rs runtime is the parent's and panics) in a
    process of its own, started by spawn, a lost commit race coming back as CommitFailedError."""
    if not _forked:
        return fn(*args)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from deltalake.exceptions import CommitFailedError

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        lost = pool.submit(_race_lost, fn, *args).result()
    if lost:
        raise CommitFailedError(lost)


def _race_lost(fn: Callable[..., None], *args) -> str | None:
    """In the spawned process: `fn(*args)`; what a lost commit race says (delta-rs's error does not pickle)."""
    from deltalake.exceptions import CommitFailedError

    try:
        fn(*args)
    except CommitFailedError as exc:
        return str(exc)
    return None


def retried(what: str, attempt: Callable[[], T]) -> T:
    """`attempt()` again (from a fresh read) while a concurrent writer of the same days commits first."""
    from deltalake.exceptions import CommitFailedError

    for i in range(COMMIT_TRIES):
        try:
            return attempt()
        except CommitFailedError:
            time.sleep(random.uniform(0.01, 0.05) * min(i + 1, 10))
    raise RuntimeError(f"{what}: {COMMIT_TRIES} concurrent writers won in turn; try again")


def commit_props(dt, apps: list[str], writer: str):
    """A commit's properties: each application transaction of `apps` one higher than at `dt`, and its writer."""
    from deltalake import CommitProperties, Transaction

    return CommitProperties(app_transactions=[Transaction(a, (dt.transaction_version(a) or 0) + 1) for a in apps],
                            custom_metadata={"fangkong.writer": writer})


def write(dt, table: str, data: pa.Table, props, *, mode: str = "append", predicate: str | None = None) -> None:
    """One commit of sorted rows (`data`: one Arrow batch, see file_bytes), cut into files of file_bytes()."""
    from deltalake import write_deltalake

    write_deltalake(dt, data, mode=mode, predicate=predicate, writer_properties=writer_properties(table),
                    target_file_size=file_bytes(), commit_properties=props)


def read_meta(lake: Path, table: str) -> dict:
    p = table_dir(lake, table) / "_meta.json"
    return json.loads(p.read_text()) if p.is_file() else {}


def widen_span(lake: Path, table: str, seconds: int) -> None:
    """The table's longest stay (`_meta.json` beside the log: how many days back a query reads) raised to
    `seconds`, atomically; called before the rows are committed, so a crash can only overstate it."""
    meta = read_meta(lake, table)
    if int(seconds) <= int(meta.get("max_span_seconds", 0)):
        return
    root = table_dir(lake, table)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"._meta.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(meta | {"max_span_seconds": int(seconds)}, sort_keys=True))
    os.replace(tmp, root / "_meta.json")


def staging_dir(lake: Path) -> Path:
    d = Path(lake) / ".staging" / uuid.uuid4().hex
    d.mkdir(parents=True)
    return d


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a journal's writer: its journal is left to it while it lives)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by another user
        pass
    return True
