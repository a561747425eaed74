"""The lake's versions (Delta time travel): each table's commits from its `_delta_log`, the version a table was at
an instant, a table's files at a version, and what a reader states it used (docs/lake.md, "Time travel").

The log is read as files (JSON commits, Parquet checkpoints), never through delta-rs, except for a snapshot at a
version in a process that may use delta-rs: so a forked child (store._forked) answers the same. Times are the
commits' own timestamps (`commitInfo.timestamp`, the writer's wall clock), aware UTC.
"""

from __future__ import annotations

import bisect
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote

from fangkong.errors import InvalidInput
from fangkong.lake import store

__all__ = ["TABLES", "Commit", "as_of", "check_readable", "commit_time", "history", "latest", "resolve", "snapshot_at", "stated",
           "version_at"]

#: the tables a trace reads, in the order they are stated
TABLES = ("venue_visits", "cell_dwells")


@dataclass(frozen=True)
class Commit:
    """One version of a table, as its log says: when, what operation, which days it touched, rows in and out."""

    version: int
    at: datetime | None
    operation: str
    writer: str | None
    days: tuple[date, ...]
    rows_added: int
    rows_removed: int


def _log(lake: Path, table: str) -> Path:
    return store.table_dir(lake, table) / "_delta_log"


def _json_versions(log: Path) -> list[int]:
    try:
        names = os.listdir(log)
    except FileNotFoundError:
        return []
    return sorted(int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit())


def _checkpoint_versions(log: Path) -> list[int]:
    try:
        names = os.listdir(log)
    except FileNotFoundError:
        return []
    return sorted({int(n.split(".", 1)[0]) for n in names if ".checkpoint" in n and n.endswith(".parquet")
                   and n.split(".", 1)[0].isdigit()})


def _actions(log: Path, version: int) -> list[dict]:
    text = (log / f"{version:020d}.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _commit_at(log: Path, version: int) -> datetime | None:
    """The commit's timestamp (its commitInfo, the first line delta-rs writes), else the commit file's mtime."""
    path = log / f"{version:020d}.json"
    try:
        with path.open() as fh:
            for line in fh:
                if '"commitInfo"' in line:
                    ts = json.loads(line)["commitInfo"].get("timestamp")
                    if ts is not None:
                        return _ms(ts)
                    break
        return _ms(int(path.stat().st_mtime * 1000))
    except FileNotFoundError:
        return None


def _last_version(log: Path) -> int | None:
    """The last commit's version without listing the log (a busy lake's log holds a commit per scan flush, tens of
    thousands of files a day): from the last checkpoint's version, the commit files that follow it."""
    try:
        v = int(json.loads((log / "_last_checkpoint").read_text())["version"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        v = 0
    if not (log / f"{v:020d}.json").exists():
        versions = _json_versions(log) or _checkpoint_versions(log)   # a new table, or its first commits cleaned
        return versions[-1] if versions else None
    while (log / f"{v + 1:020d}.json").exists():
        v += 1
    return v


def latest(lake: Path, table: str) -> int | None:
    """The table's last version (None: no commit yet, or no table)."""
    return _last_version(_log(lake, table))


def commit_time(lake: Path, table: str, version: int) -> datetime | None:
    """When `version` of the table was committed (None when its commit has left the log)."""
    return _commit_at(_log(lake, table), version)


#: (log, instant) → the version then, once a later commit exists (it cannot change after): a bulletin's page
_settled: dict[tuple[str, datetime], int] = {}


def version_at(lake: Path, table: str, at: datetime) -> int | None:
    """The table's last version committed at or before `at` (aware), from the commits' timestamps; None when the
    table had no commit by then. Commit times rise with the versions (one writer's clock; writers on several hosts
    a few ms apart at most), so the search halves the log, reading a commit file per step. A commit that has left
    the log (delta-rs keeps 30 days) counts as older than any kept: for an instant before the oldest kept, the
    version just before it is stated, with no commit time."""
    log = _log(lake, table)
    cut = at.astimezone(UTC)
    key = (str(log), cut)
    if key in _settled:
        return _settled[key]
    last = _last_version(log)
    if last is None:
        return None

    class _Times:   # the commit times, read only where the search looks
        def __len__(self) -> int:
            return last + 1

        def __getitem__(self, v: int) -> datetime:
            return _commit_at(log, v) or datetime.min.replace(tzinfo=UTC)

    v = bisect.bisect_right(_Times(), cut) - 1
    if v < 0:
        return None
    if v < last:
        if len(_settled) > 4096:
            _settled.clear()
        _settled[key] = v
    return v


def resolve(lake: Path, *, versions: dict[str, int] | None = None, at: datetime | None = None) -> dict[str, int | None]:
    """The version of each table (TABLES) a re-trace reads: the ones given (`versions`), and for the others the
    last commit at or before `at`, or, without `at`, at or before the latest given version's commit (the lake as
    it stood then). None: the table had no commit then (read as empty)."""
    versions = dict(versions or {})
    for table, v in versions.items():
        if table not in TABLES:
            raise InvalidInput(f"unknown lake table {table!r}: use {' or '.join(TABLES)}", key="err_lake_table",
                               params={"table": table})
        top = latest(lake, table)
        if top is None or not 0 <= v <= top:
            raise InvalidInput(f"{table} has no version {v} (its versions: 0 to {top})", key="err_lake_no_version",
                               params={"table": table, "version": v, "latest": "-" if top is None else top})
    if at is None and versions:
        times = [commit_time(lake, t, v) for t, v in versions.items()]
        at = max((x for x in times if x is not None), default=None)
    out: dict[str, int | None] = {}
    for table in TABLES:
        if table in versions:
            out[table] = versions[table]
        elif at is not None:
            out[table] = version_at(lake, table, at)
        else:
            out[table] = latest(lake, table)
    return out


def snapshot_at(lake: Path, table: str, version: int) -> store.Snapshot:
    """The table's files at `version` (Delta time travel). Refused when the version's files have been purged
    (retention deletes them: what it asks) or its commits have left the log."""
    if store._forked:
        snap = store._log_snapshot(lake, table, version)
    else:
        from deltalake import DeltaTable

        try:
            dt = DeltaTable(str(store.table_dir(lake, table)), version=version)
        except Exception as exc:  # noqa: BLE001 - the version's commits cleaned from the log, or no such version
            raise InvalidInput(f"{table} version {version} cannot be read: {exc}", key="err_lake_no_version",
                               params={"table": table, "version": version, "latest": latest(lake, table)}) from None
        snap = store.snapshot(lake, table, dt)
    return snap


def check_readable(lake: Path, table: str, version: int, paths: list[str]) -> None:
    """Refuse a read of an earlier version whose files have been deleted (the trace would miss their rows): a
    purge deletes the files of the days it removes, a compaction the files it replaced once its grace is over."""
    gone = [p for p in paths if not os.path.exists(p)]
    if gone:
        raise InvalidInput(f"{table} version {version} is no longer readable: {len(gone)} of its files were "
                           f"deleted (by a purge, or by a compaction once its grace had passed: {os.path.basename(gone[0])}…)", key="err_lake_version_purged",
                           params={"table": table, "version": version})


def stated(lake: Path, pinned: dict[str, int | None]) -> dict[str, dict]:
    """What a reader states it used: per table, the version and its commit time (ISO, UTC); a table that had no
    commit is stated with version None."""
    out = {}
    for table, v in pinned.items():
        at = commit_time(lake, table, v) if v is not None else None
        out[table] = {"version": v, "committed_at": at.isoformat() if at else None}
    return out


def as_of(lake: Path, at: datetime) -> dict[str, dict]:
    """Each table's version at `at` (the last commit at or before it) with its commit time: what the lake held
    then (the bulletin's day end)."""
    return stated(lake, {t: version_at(lake, t, at) for t in TABLES})


def history(lake: Path, table: str) -> list[Commit]:
    """Every commit still in the table's log, oldest first: its time, operation (with the write mode), writer
    (fangkong.writer), the days its adds and removes touched, rows added and removed (a remove's rows are the
    removed file's, from its add: read from the commits, or from the checkpoint at the oldest commit kept)."""
    log = _log(lake, table)
    versions = _json_versions(log)
    rows_of: dict[str, int] = {}
    # the files of the oldest commit kept, from the checkpoint delta-rs's log cleanup keeps at it
    if versions and versions[0] > 0 and (kept := store._log_snapshot(lake, table, versions[0])) is not None:
        rows_of = {p: n or 0 for p, n in zip(kept.files.column("path").to_pylist(),
                                             kept.files.column("num_records").to_pylist(), strict=True)}
    out = []
    for v in versions:
        info: dict = {}
        days: set[date] = set()
        added = removed = 0
        for action in _actions(log, v):
            if "commitInfo" in action:
                info = action["commitInfo"]
            elif "add" in action:
                a = action["add"]
                rows_of[unquote(a["path"])] = n = _records(a)
                added += n
                days |= _day(a)
            elif "remove" in action:
                r = action["remove"]
                removed += rows_of.pop(unquote(r["path"]), 0)
                days |= _day(r)
        op = str(info.get("operation", "?"))
        mode = (info.get("operationParameters") or {}).get("mode")
        if op == "WRITE" and mode:
            op = {"ErrorIfExists": "CREATE", "Append": "APPEND", "Overwrite": "OVERWRITE"}.get(mode, f"WRITE {mode}")
        out.append(Commit(v, _ms(info.get("timestamp")), op, info.get("fangkong.writer"), tuple(sorted(days)),
                          added, removed))
    return out


def _records(action: dict) -> int:
    stats = action.get("stats")
    if isinstance(stats, str) and stats:
        return int(json.loads(stats).get("numRecords") or 0)
    return 0


def _day(action: dict) -> set[date]:
    pv = action.get("partitionValues") or {}
    day = dict(pv).get("day") if not isinstance(pv, dict) else pv.get("day")
    return {date.fromisoformat(day)} if day else set()
