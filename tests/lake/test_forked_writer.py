"""A process forked after the parent used delta-rs (a pre-forking server, multiprocessing) writes to the lake too:
delta-rs's runtime belongs to the parent and panics in a child, so the child reads the log itself
(store._log_snapshot) and makes its commit in a process of its own started by spawn (store._delta), on top of the
version it read: a writer of the same day that committed meanwhile makes it start again."""

from __future__ import annotations

import os
import signal
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from fangkong.lake import store
from fangkong.lake.append import write_visits

TZ = ZoneInfo("Asia/Shanghai")
T = "venue_visits"
A = ("P1", "V1", datetime(2022, 3, 10, 9, 0, tzinfo=TZ), None)
B = ("P2", "V1", datetime(2022, 3, 10, 9, 30, tzinfo=TZ), None)
C = ("P3", "V2", datetime(2022, 3, 11, 8, 0, tzinfo=TZ), None)


def _rows(lake) -> list[tuple]:
    files = store.all_files(lake, T)
    return sorted(duckdb.sql(f"SELECT person_id FROM read_parquet({files!r})").fetchall())


def _in_child(fn) -> int:
    """fn() in a forked child; the child's exit code (0: fn returned, 1: it raised)."""
    pid = os.fork()
    if pid == 0:                         # never return into pytest
        code = 1
        try:
            fn()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 180
    while not (done := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung")
        time.sleep(0.05)
    return os.waitstatus_to_exitcode(done[1])


def test_a_forked_child_appends_scans_deduped_against_the_parents(tmp_path):
    lake = tmp_path / "lake"
    assert write_visits(lake, [A], "Asia/Shanghai") == 1    # the parent's delta-rs runtime runs

    def child():
        assert write_visits(lake, [A, B, C], "Asia/Shanghai") == 2     # A is stored already
        assert write_visits(tmp_path / "new", [A], "Asia/Shanghai") == 1   # a table made in the child

    assert _in_child(child) == 0
    assert _rows(lake) == [("P1",), ("P2",), ("P3",)]
    assert _rows(tmp_path / "new") == [("P1",)]
    dt = store.open_table(lake, T, fresh=True)
    assert dt.transaction_version(store.day_app(T, date(2022, 3, 10))) == 2
    assert [h.get("fangkong.writer") for h in dt.history() if h.get("operation") == "WRITE"] == ["scan", "scan"]


def test_a_commit_on_top_of_a_version_fails_when_its_day_was_committed_since(tmp_path):
    from deltalake.exceptions import CommitFailedError

    lake = tmp_path / "lake"
    write_visits(lake, [A], "Asia/Shanghai")
    read = store.snapshot(lake, T).version
    write_visits(lake, [B], "Asia/Shanghai")           # another writer of 2022-03-10
    rows = store.open_table(lake, T).to_pyarrow_table()
    with pytest.raises(CommitFailedError):
        store._commit(lake, T, read, rows, [store.day_app(T, date(2022, 3, 10))], "test", "append", None)
    store._commit(lake, T, read, rows, [store.day_app(T, date(2022, 3, 11))], "test", "append", None)   # another day
