"""The SQLite store's WAL file shrinks back after a large transaction (a bad day's trace) is checkpointed."""

from __future__ import annotations

from sqlalchemy import text

from fangkong.db import core


def test_the_wal_is_truncated_to_the_limit_after_a_large_transaction(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "JOURNAL_SIZE_LIMIT", 256 * 1024)
    engine = core.engine_for(f"sqlite:///{tmp_path / 'store.db'}")
    wal = tmp_path / "store.db-wal"
    with engine.begin() as con:
        con.execute(text("CREATE TABLE t (x BLOB)"))
        con.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
                         "INSERT INTO t SELECT randomblob(4096) FROM n"))
    assert wal.stat().st_size > 4_000_000          # the transaction's pages went through the WAL
    with engine.begin() as con:
        con.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
    with engine.begin() as con:                    # the next write starts the WAL over and truncates it
        con.execute(text("INSERT INTO t VALUES (x'00')"))
    assert wal.stat().st_size <= 256 * 1024 + 8192
    engine.dispose()
