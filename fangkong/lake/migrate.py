"""`fangkong lake migrate`: a lake of our own format (before issue 28: day folders of shards, a JSON index per
write, by_person twins, `_replaced` markers of compactions) converted in place into Delta tables, resumably.

Day by day: the day's live files (what the old readers read: every place-sorted file but those a published
compaction retired and those of a write not wholly published) are read, sorted and committed to the Delta table
as one commit that sets the day's migration transaction (`fangkong:migrate:<table>/day=…`); then the old files,
twins, index files and markers of that day are deleted. A run cut off anywhere is run again: a day whose
migration transaction is in the log is not written again, only cleaned, and a day not committed is read again
from its old files, which are still all there. Until a table is migrated the readers refuse it (store.open_table).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fangkong.lake import store
from fangkong.lake.ingest import connect, sorted_rows, sql_quote
from fangkong.lake.schemas import SORTED_COLUMNS

__all__ = ["Migrated", "migrate"]

_OLD_TWINS = "by_person"


@dataclass
class Migrated:
    table: str
    day: date
    files: int      # old files read
    rows: int       # rows committed (0: committed by an earlier run, only cleaned now)


def _json(p: Path) -> dict | None:
    try:
        v = json.loads(p.read_text())
    except (OSError, ValueError):   # torn by a crash: the old readers ignored it too
        return None
    return v if isinstance(v, dict) else None


def _old_live_names(d: Path) -> list[str]:
    """The old readers' rule (store.live_names before issue 28)."""
    present = {p.name for p in d.glob("*.parquet")}
    retired: set[str] = set()
    for p in d.glob("_replaced-*.json"):
        m = _json(p)
        if m and (m.get("published") or all((d / n).is_file() for n in m.get("new", []))):
            retired.update(m.get("old", []))
    hidden: set[str] = set()
    for p in d.glob("_index-*.json"):
        index = _json(p)
        if index and isinstance(index.get("files"), list) and not set(index["files"]) <= present:
            hidden.update(index["files"])
    return sorted(n for n in present if n not in retired and n not in hidden)


def _old_days(lake: Path, table: str, keep: set[str]) -> dict[date, Path]:
    """Day folders that still hold files of the old format (any Parquet file the Delta log does not list)."""
    root = store.table_dir(lake, table)
    out = {}
    for d in sorted(root.glob("day=*")) if root.is_dir() else []:
        old = [p for p in d.glob("*.parquet") if f"{d.name}/{p.name}" not in keep]
        if old or (d / _OLD_TWINS).is_dir() or any(d.glob("_index-*.json")) or any(d.glob("_replaced-*.json")):
            out[date.fromisoformat(d.name[4:])] = d
    return out


def _app(table: str, day: date) -> str:
    return f"fangkong:migrate:{table}/day={day.isoformat()}"


def migrate(lake: Path, *, progress: Callable[[str, int, int], None] | None = None) -> list[Migrated]:
    """Convert every table of the lake that has day folders of the old format; returns what each day did."""
    from deltalake import DeltaTable

    lake = Path(lake)
    done: list[Migrated] = []
    con = connect(lake / ".staging" / "spill")
    try:
        for table, cols in SORTED_COLUMNS.items():
            if not store.table_dir(lake, table).is_dir():
                continue
            if not store.is_delta(lake, table):
                store._create(lake, table)
            dt = DeltaTable(str(store.table_dir(lake, table)))
            todo = _old_days(lake, table, set(store.snapshot(lake, table, dt).files.column("path").to_pylist()))
            for i, (day, d) in enumerate(sorted(todo.items())):
                names, rows = _old_live_names(d), 0
                if names and dt.transaction_version(_app(table, day)) is None:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE day_rows AS SELECT DISTINCT {', '.join(cols)}, "
                                f"DATE '{day}' AS day FROM read_parquet([{', '.join(sql_quote(d / n) for n in names)}],"
                                " hive_partitioning = false)")
                    rows = con.execute("SELECT count(*) FROM day_rows").fetchall()[0][0]
                    store.write(dt, table, sorted_rows(con, "day_rows", table),
                                store.commit_props(dt, [_app(table, day), store.day_app(table, day)], "migrate"))
                    dt.update_incremental()
                # committed (now or by an earlier run): the old format's files of the day go
                keep = set(store.snapshot(lake, table, dt).files.column("path").to_pylist())
                for p in [*(p for p in d.glob("*.parquet") if f"{d.name}/{p.name}" not in keep),
                          *d.glob("_index-*.json"), *d.glob("_replaced-*.json"), *d.glob(".*.tmp")]:
                    p.unlink(missing_ok=True)
                shutil.rmtree(d / _OLD_TWINS, ignore_errors=True)
                done.append(Migrated(table, day, len(names), rows))
                if progress:
                    progress(table, i + 1, len(todo))
    finally:
        con.close()
    lock = lake / ".journal" / ".lock"   # the old write lock's file: nothing takes it any more
    lock.unlink(missing_ok=True)
    return done
