"""Bulk import plumbing: check a file's rows in DuckDB, stage them in a temporary table, then set-based SQL.

The hot path never builds ORM objects: PostgreSQL gets the rows by COPY, SQLite by one executemany,
and every later check, insert and update is one SQL statement over the staged rows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from fangkong.db.core import UTCDateTime
from fangkong.lake.files import RowError

__all__ = ["MAX_ERRORS", "ts_parse", "ts_out", "connect", "stage", "analyze", "drop", "run", "rows", "duck_errors"]

MAX_ERRORS = 10_000  # row errors listed per file; the count stays exact
_PG_TYPES = {"int": "bigint", "text": "text", "float": "double precision", "ts": "timestamptz"}
_SQLITE_TYPES = {"int": "INTEGER", "text": "TEXT", "float": "REAL", "ts": "TEXT"}


def ts_parse(col: str) -> str:
    """DuckDB: text → UTC timestamp; a time without offset is read in the session's zone (FORMATS.md)."""
    return f"timezone('UTC', TRY_CAST({col} AS TIMESTAMPTZ))"


def ts_out(col: str, dialect: str) -> str:
    """DuckDB: UTC timestamp → what the record store reads back as the same instant.

    SQLite keeps UTCDateTime as naive UTC text with microseconds; the exact same layout keeps
    comparisons between staged and stored times correct (they compare as strings there). PostgreSQL
    gets a time with its offset through COPY.
    """
    if dialect == "postgresql":
        return f"timezone('UTC', {col})"
    return f"strftime({col}, '%Y-%m-%d %H:%M:%S.%f')"


def connect(tz: str, src: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{tz}'")
    con.register("src", src)
    return con


def duck_errors(con: duckdb.DuckDBPyConnection, table: str, file: str) -> tuple[int, list[RowError]]:
    n = con.execute(f"SELECT count(*) FROM {table} WHERE err IS NOT NULL").fetchall()[0][0]
    found = con.execute(f"SELECT _line, err FROM {table} WHERE err IS NOT NULL ORDER BY _line "
                        f"LIMIT {MAX_ERRORS}").fetchall()
    return n, [RowError(file, line, err) for line, err in found]


def drop(session: Session, name: str) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def stage(session: Session, name: str, columns: list[tuple[str, str]], con: duckdb.DuckDBPyConnection,
          select_sql: str) -> None:
    """A temporary table `name` (columns in order) holding the rows of a DuckDB query (ts columns via ts_out).

    PostgreSQL: DuckDB writes the rows as CSV (multi-threaded) and COPY reads them; SQLite: one executemany.
    """
    dialect = session.get_bind().dialect.name
    types = _PG_TYPES if dialect == "postgresql" else _SQLITE_TYPES
    drop(session, name)
    session.execute(text(f"CREATE TEMPORARY TABLE {name} ("
                         + ", ".join(f"{c} {types[k]}" for c, k in columns) + ")"))
    dbapi = session.connection().connection.driver_connection
    if dialect != "postgresql":
        cur = dbapi.cursor()
        try:
            cur.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(columns))})",
                            con.execute(select_sql).fetchall())
        finally:
            cur.close()
        return
    with tempfile.TemporaryDirectory(prefix="fangkong-stage-") as tmp:
        path = Path(tmp) / f"{name}.csv"
        con.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT csv, HEADER false)")
        with dbapi.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy, path.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                copy.write(chunk)
    analyze(session, name)


def analyze(session: Session, name: str) -> None:
    """PostgreSQL has no statistics for a fresh temporary table: without them it plans a million index
    look-ups (nested loop) where one hash join is right."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {name}"))


def run(session: Session, sql: str, **params) -> object:
    """One set-based statement; datetimes are bound through UTCDateTime so both stores read them alike."""
    stmt = text(sql)
    binds = [bindparam(k, type_=UTCDateTime()) for k, v in params.items() if hasattr(v, "tzinfo")]
    if binds:
        stmt = stmt.bindparams(*binds)
    return session.execute(stmt, params)


def rows(session: Session, sql: str, **params) -> list:
    return list(run(session, sql, **params))
