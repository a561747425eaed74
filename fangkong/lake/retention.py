"""Retention of raw location data (DOMAIN.md §11): day partitions older than the cutoff are deleted.

Venue visits and carrier dwells are kept as day partitions, so a purge is whole folders removed,
never a rewrite. The scan journal (lake/.journal, scans acknowledged but not yet flushed) is filtered
too: a journal replayed after the purge must not bring the purged days back. Staging folders left by a
killed import (lake/.staging, never read) are removed once a day old.
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

import pyarrow.parquet as pq

from fangkong.errors import InvalidInput
from fangkong.lake import store
from fangkong.lake.schemas import TABLES

__all__ = ["Purged", "cutoff_for", "purge"]


@dataclass(frozen=True)
class Purged:
    """One day partition (or the journal's old scans, day=None) removed."""

    table: str
    day: date | None
    files: int
    rows: int


def cutoff_for(today: date, retention_days: int) -> date:
    """The first day kept: a day more than `retention_days` old is purged."""
    if retention_days < 1:
        raise InvalidInput(f"retention must be at least 1 day, not {retention_days}")
    return today - timedelta(days=retention_days)


def _rows(day_dir: Path) -> tuple[int, int]:
    files = [day_dir / n for n in store.live_names(day_dir)]
    return len(files), sum(pq.read_metadata(f).num_rows for f in files)


def purge(lake: Path, cutoff: date, *, tz: str, dry_run: bool = False) -> list[Purged]:
    """Delete every day partition before `cutoff` of the lake's tables, and the journal's scans before it.

    Holds the lake's write lock (the one scan flushes take), so no flush dedupes against a folder
    being deleted; readers should not run a trace across a purge (schedule it at night).
    """
    lake = Path(lake)
    gone: list[Purged] = []
    with store.write_lock(lake):
        for table in TABLES:
            for day, d in sorted(store.day_dirs(lake, table).items()):
                if day < cutoff:
                    files, rows = _rows(d)
                    gone.append(Purged(table, day, files, rows))
            if not dry_run:
                store.purge_before(lake, table, cutoff)
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
    if not folder.is_dir():
        return 0
    old = time.time() - STALE_STAGING_S
    n = 0
    for d in folder.iterdir():
        for p in ([d] if d.name != "spill" else list(d.iterdir()) if d.is_dir() else []):
            if p.stat().st_mtime < old:
                n += sum(1 for f in p.rglob("*") if f.is_file()) if p.is_dir() else 1
                if dry_run:
                    continue
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
