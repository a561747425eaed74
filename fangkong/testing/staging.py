"""Bulk import plumbing: check a file's rows in DuckDB, stage them in a temporary table, then set-based SQL.

The hot path never builds ORM objects: PostgreSQL gets the rows by COPY, SQLite by one executemany,
and every later check, insert and update is one SQL statement over the staged rows.
"""

from __future__ import annotations

import io

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from fangkong.db.core import UTCDateTime
from fangkong.lake.files import RowError

__all__ = ["MAX_ERRORS", "ts_parse", "ts_out", "connect", "stage", "drop", "run", "rows", "duck_errors"]

MAX_ERRORS = 10_000  # row errors listed per file; the count stays exact
_PG_TYPES = {"int": "bigint", "text": "text", "float": "double precision", "ts": "timestamptz"}
_SQLITE_TYPES = {"int": "INTEGER", "text": "TEXT", "float": "REAL", "ts": "TEXT"}


def ts_parse(col: str) -> str:
    """DuckDB: text → UTC timestamp; a time without offset is read in the session's zone (FORMATS.md)."""
    return f"timezone('UTC', TRY_CAST({col} AS TIMESTAMPTZ))"


def ts_out(col: str, dialect: str) -> str:
    """DuckDB: UTC timestamp → text the record store reads back as the same instant.

    SQLite keeps UTCDateTime as naive UTC text with microseconds; the exact same layout keeps
    comparisons between staged and stored times correct (they compare as strings there).
    """
    text_ = f"strftime({col}, '%Y-%m-%d %H:%M:%S.%f')"
    return f"{text_} || '+00'" if dialect == "postgresql" else text_


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


def stage(session: Session, name: str, columns: list[tuple[str, str]], table: pa.Table) -> None:
    """A temporary table `name` holding `table` (columns in the given order, timestamps as ts_out text)."""
    dialect = session.get_bind().dialect.name
    types = _PG_TYPES if dialect == "postgresql" else _SQLITE_TYPES
    drop(session, name)
    session.execute(text(f"CREATE TEMPORARY TABLE {name} ("
                         + ", ".join(f"{c} {types[k]}" for c, k in columns) + ")"))
    table = table.select([c for c, _ in columns])
    if table.num_rows == 0:
        return
    dbapi = session.connection().connection.driver_connection
    if dialect == "postgresql":
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, batch_size=1 << 16))
        buf.seek(0)
        with dbapi.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
            while chunk := buf.read(1 << 22):
                copy.write(chunk)
    else:
        data = list(zip(*(col.to_pylist() for col in table.columns), strict=True))
        cur = dbapi.cursor()
        try:
            cur.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(columns))})", data)
        finally:
            cur.close()


def run(session: Session, sql: str, **params) -> object:
    """One set-based statement; datetimes are bound through UTCDateTime so both stores read them alike."""
    stmt = text(sql)
    binds = [bindparam(k, type_=UTCDateTime()) for k, v in params.items() if hasattr(v, "tzinfo")]
    if binds:
        stmt = stmt.bindparams(*binds)
    return session.execute(stmt, params)


def rows(session: Session, sql: str, **params) -> list:
    return list(run(session, sql, **params))
