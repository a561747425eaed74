"""Appending live venue-code scans to the lake: a journalled in-memory batch, flushed as day partitions.

A scan is acknowledged once it is in this process's batch and written (unsynced) to this process's journal under
`lake/.journal/`. A flusher thread commits the batch every `interval` seconds (or at `max_rows`), deduped against
the stored rows as an import's day is (ingest.new_rows, store.commit_day_rows), then empties the journal. A reader
that must see every acknowledged scan (tracing: flows.lake_for) calls `flush_pending()`, which also publishes the
other processes' journals (idempotent: the dedupe). A crash loses nothing the journal holds: the next `VisitLog` on
the lake replays journals whose process is gone.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from fangkong.lake import store
from fangkong.lake.ingest import new_rows
from fangkong.lake.schemas import STORED

__all__ = ["VisitLog", "flush_pending", "visit_log", "write_visits"]

_TABLE = "venue_visits"
_SCHEMA = STORED[_TABLE]


def _stored(row: tuple) -> tuple:
    """(person_id, venue_id, enter_at, leave_at) with aware times → the lake's form (naive UTC, whole seconds)."""
    return (*row[:2], *(t.astimezone(UTC).replace(tzinfo=None, microsecond=0) if t else None for t in row[2:]))


def write_visits(lake: Path, rows: list[tuple], tz: str, *, stored: bool = False) -> int:
    """Commit (person_id, venue_id, enter_at, leave_at) rows (aware datetimes, or already in the lake's form
    when `stored`) into their local-day partitions, skipping rows already stored; returns the new rows."""
    if not rows:
        return 0
    cols = list(zip(*(rows if stored else [_stored(r) for r in rows]), strict=True))
    batch = pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(cols, _SCHEMA, strict=True)], schema=_SCHEMA)
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 1")   # runs beside a busy server: one core is plenty for a batch
        con.execute(f"SET TimeZone = '{tz}'")
        con.register("batch", batch)
        con.execute("CREATE TEMP TABLE scans AS SELECT *, CAST(timezone(?, timezone('UTC', enter_at)) AS DATE) AS day "
                    "FROM batch", [tz])
        days = sorted(r[0] for r in con.execute("SELECT DISTINCT day FROM scans").fetchall())
        # a stored row equal to one of ours is in a file whose venue range holds its venue
        places = sorted(r[0] for r in con.execute("SELECT DISTINCT venue_id FROM scans").fetchall())
        return store.commit_day_rows(Path(lake), _TABLE, days, lambda snap: new_rows(
            con, Path(lake), _TABLE, "scans", snap, days, places), writer="scan")
    finally:
        con.close()


class VisitLog:
    """This process's batch of scans for one lake."""

    def __init__(self, lake: Path, tz: str, *, interval: float = 5.0, max_rows: int = 50_000) -> None:
        self.lake, self.tz, self.interval, self.max_rows = Path(lake), tz, interval, max_rows
        self._rows: list[tuple] = []
        self._lock = threading.Lock()        # guards the batch and the journal handle
        self._flushing = threading.Lock()    # one flush at a time; scans keep arriving meanwhile
        self._dir = self.lake / ".journal"
        self._dir.mkdir(parents=True, exist_ok=True)
        self.replayed = self._replay_orphans()
        self._journal = self._open_journal()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visit-log-flusher", daemon=True)
        self._thread.start()

    def _open_journal(self):
        return (self._dir / f"{_TABLE}.{os.getpid()}.{uuid.uuid4().hex}.jsonl").open("a", encoding="utf-8")

    def _replay_orphans(self) -> int:
        """Journals left by a process that is gone (crashed or killed) are published now."""
        n = 0
        for path in sorted(self._dir.glob(f"{_TABLE}.*.jsonl")):
            pid = int(path.name.split(".")[1])
            if pid != os.getpid() and store.process_alive(pid):
                continue
            n += write_visits(self.lake, _journal_rows(path), self.tz)
            path.unlink()
        return n

    def add(self, person_id: str, venue_id: str, enter_at: datetime, leave_at: datetime | None = None) -> None:
        row = _stored((person_id, venue_id, enter_at, leave_at))   # converted here: the flush stays short
        line = json.dumps([person_id, venue_id, enter_at.isoformat(), leave_at.isoformat() if leave_at else None])
        with self._lock:
            self._journal.write(line + "\n")
            self._journal.flush()   # in the OS's hands: survives this process dying, not the machine
            self._rows.append(row)
            full = len(self._rows) >= self.max_rows
        if full:
            self._wake.set()

    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        """Publish the batch now; returns the number of new rows stored."""
        with self._flushing:
            with self._lock:
                rows, self._rows = self._rows, []
                old, self._journal = self._journal, self._open_journal()
            old.close()
            try:
                n = write_visits(self.lake, rows, self.tz, stored=True)
            except BaseException:
                with self._lock:   # keep them for the next flush; the old journal still holds them
                    self._rows[:0] = rows
                raise
            Path(old.name).unlink(missing_ok=True)
            return n

    def _run(self) -> None:
        # pyarrow imports pandas the first time it builds an array; do it now, not in a flush at exit
        pa.array([], pa.string())
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._rows:
                try:
                    self.flush()
                except Exception:  # noqa: BLE001 - retried next round; the journal keeps the rows
                    pass


def _journal_rows(path: Path) -> list[tuple]:
    """The complete lines of a journal (its writer may be in the middle of the last one)."""
    rows = []
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        if line:
            p, v, e, lv = json.loads(line)
            rows.append((p, v, datetime.fromisoformat(e), datetime.fromisoformat(lv) if lv else None))
    return rows


_logs: dict[tuple[str, str], VisitLog] = {}
_by_given: dict[tuple[Path, str], VisitLog] = {}   # the same log under the path as callers spell it
_logs_lock = threading.Lock()


def visit_log(lake: Path, tz: str) -> VisitLog:
    """The process's log for this lake, started on first use (called per scan: a dict look-up)."""
    log = _by_given.get((lake, tz))
    if log is None:
        key = (str(Path(lake).resolve()), tz)
        with _logs_lock:
            if key not in _logs:
                _logs[key] = VisitLog(Path(lake), tz)
            log = _by_given[(lake, tz)] = _logs[key]
    return log


def flush_pending(lake: Path | None = None, tz: str | None = None) -> int:
    """Publish every acknowledged scan not yet in the lake: this process's batches (of one lake, or all)
    and, for one lake, what other processes' journals hold; a read right after sees them all."""
    n = sum(log.flush() for key, log in list(_logs.items())
            if lake is None or key[0] == str(Path(lake).resolve()))
    if lake is not None and tz is not None and (Path(lake) / ".journal").is_dir():
        mine = {Path(log._journal.name).name for log in _logs.values()}
        for path in sorted((Path(lake) / ".journal").glob(f"{_TABLE}.*.jsonl")):
            if path.name not in mine:
                try:
                    n += write_visits(Path(lake), _journal_rows(path), tz)
                except FileNotFoundError:   # its writer flushed it meanwhile
                    pass
    return n


def _flush_at_exit() -> None:
    try:
        flush_pending()
    except Exception:  # noqa: BLE001 - the journals keep the scans; the next process publishes them
        pass


atexit.register(_flush_at_exit)
