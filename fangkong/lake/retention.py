"""Retention of raw location data (DOMAIN.md §11): day partitions older than the cutoff are deleted.

A purge is one Delta `delete` of the old days (whole files, never a rewrite; each day's application transaction
taken one higher, so a writer of such a day that read it before starts again), then the removed files are deleted
from disk at once: the older versions that list them can no longer be read, which is what retention asks. Files
no version lists (a writer killed before its commit) go with delta-rs's vacuum once a day old. Each table's purge
returns its proof for the audit log. The scan journal (lake/.journal) is filtered too, so that a journal replayed
after the purge cannot bring the purged days back; staging folders of killed imports go once a day old.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fangkong.errors import InvalidInput
from fangkong.lake import store
from fangkong.lake.schemas import TABLES

__all__ = ["Purged", "cutoff_for", "purge"]


@dataclass(frozen=True)
class Purged:
    """One day partition (or the journal's old scans, day=None) removed; `version` is the table's version that no
    longer holds it (None: a dry run, the journal, staging)."""

    table: str
    day: date | None
    files: int
    rows: int
    version: int | None = None


def cutoff_for(today: date, retention_days: int) -> date:
    """The first day kept: a day more than `retention_days` old is purged."""
    if retention_days < 1:
        raise InvalidInput(f"retention must be at least 1 day, not {retention_days}")
    return today - timedelta(days=retention_days)


def proof(gone: list[Purged]) -> dict:
    """What an audit entry of a purge says: per table, the version that no longer holds the days, the days, files
    and rows removed."""
    out: dict = {}
    for p in gone:
        if p.day is None:
            out[p.table] = {"files": p.files, "rows": p.rows}
            continue
        t = out.setdefault(p.table, {"version": p.version, "days": [], "files": 0, "rows": 0})
        t["days"].append(p.day.isoformat())
        t["files"] += p.files
        t["rows"] += p.rows
    return out


def _per_day(snap: store.Snapshot, days: list[date]) -> dict[date, list[tuple[str, int]]]:
    """The days' files at a version: day → [(path, rows)]."""
    files = snap.for_days(set(days))
    out: dict[date, list[tuple[str, int]]] = {}
    for path, day, n in zip(files.column("path").to_pylist(), files.column("partition.day").to_pylist(),
                            files.column("num_records").to_pylist(), strict=True):
        out.setdefault(day, []).append((path, n or 0))
    return out


def _purge_table(lake: Path, table: str, cutoff: date, *, dry_run: bool) -> list[Purged]:
    old = [d for d in store.day_dirs(lake, table) if d < cutoff]
    if not old:
        return []
    if dry_run:
        per_day = _per_day(store.snapshot(lake, table), old)
        return [Purged(table, d, len(f), sum(n for _, n in f)) for d, f in sorted(per_day.items())]

    def attempt():
        dt = store.open_table(lake, table, fresh=True)
        per_day = _per_day(store.snapshot(lake, table, dt), old)   # the files this delete removes
        dt.delete(f"day < '{cutoff.isoformat()}'",
                  commit_properties=store.commit_props(dt, [store.day_app(table, d) for d in old], "purge"))
        return dt, per_day

    dt, per_day = store.retried(f"{table} purge", attempt)
    version = dt.version()
    # the removed files are deleted now: a version that still lists them must not be readable any more
    removed = store.snapshot(lake, table, dt)
    live = set(removed.files.column("path").to_pylist()) if removed and removed.files.num_rows else set()
    gone = []
    for day, f in sorted(per_day.items()):
        for path, _ in f:
            if path not in live:
                (store.table_dir(lake, table) / path).unlink(missing_ok=True)
        gone.append(Purged(table, day, len(f), sum(n for _, n in f), version))
    # files no version lists, left by writers killed before their commit, once a day old
    dt.vacuum(retention_hours=STALE_STAGING_S // 3600, enforce_retention_duration=False, dry_run=False, full=True)
    for day in old:   # the emptied day folders
        try:
            (store.table_dir(lake, table) / f"day={day}").rmdir()
        except OSError:
            pass
    return gone


def purge(lake: Path, cutoff: date, *, tz: str, dry_run: bool = False) -> list[Purged]:
    """Delete every day partition before `cutoff` of the lake's tables, and the journal's scans before it.

    Readers should not run a trace across a purge (schedule it at night): the files they listed may be gone.
    """
    lake = Path(lake)
    gone: list[Purged] = []
    for table in TABLES:
        gone.extend(_purge_table(lake, table, cutoff, dry_run=dry_run))
    n = _purge_journals(lake / ".journal", cutoff, ZoneInfo(tz), dry_run=dry_run)
    if n:
        gone.append(Purged(".journal", None, 0, n))
    stale = _stale_staging(lake / ".staging", dry_run=dry_run)
    if stale:
        gone.append(Purged(".staging", None, stale, 0))
    return gone


#: a staging folder this old belongs to no running import (an import that long would be days of data)
STALE_STAGING_S = 24 * 3600


def _stale_staging(folder: Path, *, dry_run: bool) -> int:
    """Half-written publishes and DuckDB spill files of killed imports: nothing reads them, they only take disk."""
    old = time.time() - STALE_STAGING_S
    stale = [p for d in (folder.iterdir() if folder.is_dir() else [])
             for p in (d.iterdir() if d.name == "spill" and d.is_dir() else [d]) if p.stat().st_mtime < old]
    n = sum(sum(1 for f in p.rglob("*") if f.is_file()) if p.is_dir() else 1 for p in stale)
    for p in stale if not dry_run else []:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return n


def _purge_journals(folder: Path, cutoff: date, zone: ZoneInfo, *, dry_run: bool) -> int:
    """Drop journal lines of scans on days before the cutoff; each journal is rewritten atomically.

    A journal still being written by a live server is left alone: it is published within seconds, and
    its old scans (if any: scans are of today) go at the next purge.
    """
    dropped = 0
    for path in sorted(folder.glob("venue_visits.*.jsonl")):
        if store.process_alive(int(path.name.split(".")[1])):
            continue
        keep, old = [], 0
        for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
            if line and datetime.fromisoformat(json.loads(line)[2]).astimezone(zone).date() < cutoff:
                old += 1
            elif line:
                keep.append(line + "\n")
        if old and not dry_run:
            tmp = path.with_name("." + path.name + ".purge")
            tmp.write_text("".join(keep), encoding="utf-8")
            os.replace(tmp, path)
        dropped += old
    return dropped
