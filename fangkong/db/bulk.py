"""Many rows into one table without building ORM objects: SQLite one executemany, PostgreSQL COPY (CSV written
by Arrow: a null is an unquoted empty field, an empty string a quoted one, as COPY reads them); and many rows
out of a SELECT into Arrow, a partition at a time.

The rows come as an Arrow table whose columns are named as the table's; timestamps are Arrow timestamps
with a zone (stored as UTC), JSON columns hold JSON text. Each value is stored exactly as the ORM would
store it, so it reads back the same through the models.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Select, Table
from sqlalchemy.orm import Session

__all__ = ["insert_arrow", "select_arrow"]

_BATCH = 50_000
#: the largest page cache (KiB) an insert asks SQLite for: ~2 KiB per row up to 256 MB
_CACHE_KIB_MAX = 262_144


def _sqlite_value(col: pa.ChunkedArray) -> pa.ChunkedArray:
    # how SQLAlchemy's SQLite dialect stores a DATETIME (naive UTC for UTCDateTime): 2022-03-14 08:50:00.000000,
    # which is what a microsecond timestamp without a zone casts to (no time-zone look-up per value)
    if pa.types.is_timestamp(col.type):
        return col.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")).cast(pa.string())
    if pa.types.is_date(col.type):  # a DATE as SQLAlchemy stores it there: 2022-03-14
        return col.cast(pa.string())
    return col


def insert_arrow(session: Session, table: Table, rows: pa.Table) -> int:
    """Insert `rows` in the session's transaction (after flushing it); returns the count."""
    if rows.num_rows == 0:
        return 0
    unknown = [c for c in rows.column_names if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    names = ", ".join(f'"{c}"' for c in rows.column_names)
    dbapi = session.connection().connection.driver_connection
    if postgres:
        _copy_csv(dbapi, f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT csv)', rows)
        return rows.num_rows
    cur = dbapi.cursor()
    try:
        # a page cache the size of the rows and their index entries while they go in: with SQLite's 2 MB the
        # indexes' pages were written out and read back again and again (a trace's 29 503 rows 150 → 126 ms)
        kept = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute(f"PRAGMA cache_size = -{min(_CACHE_KIB_MAX, max(abs(kept), rows.num_rows * 2))}")
        for start in range(0, rows.num_rows, _BATCH):  # bounded memory for a bad day's millions of rows
            part = rows.slice(start, _BATCH)
            cols = [_sqlite_value(c).to_pylist() for c in part.columns]
            cur.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * rows.num_columns)})',
                            zip(*cols, strict=True))
        cur.execute(f"PRAGMA cache_size = {int(kept)}")
    finally:
        cur.close()
    return rows.num_rows


#: rows per piece of CSV sent to a COPY: small enough that the server parses one while Arrow writes the next
_COPY_PIECE = 10_000


def _copy_csv(dbapi, sql: str, rows: pa.Table) -> None:
    """One COPY, fed in pieces: Arrow writes each piece's CSV in C (no Python value per cell, the GIL released)
    while a writer thread sends the previous one (psycopg's QueuedLibpqWriter) and the server parses it, so
    the client's CSV writing (a fifth of the time when done before sending) overlaps the server's work."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only: not imported by a SQLite deployment

    options = pacsv.WriteOptions(include_header=False)
    with dbapi.cursor() as cur:
        with cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
            for start in range(0, rows.num_rows, _COPY_PIECE):
                buf = io.BytesIO()
                pacsv.write_csv(rows.slice(start, _COPY_PIECE), buf, options)
                copy.write(buf.getvalue())


def select_arrow(session: Session, stmt: Select, schema: pa.Schema, *, part: int = 200_000) -> pa.Table:
    """The rows of `stmt` as a table of `schema` (its fields in the statement's column order), fetched `part`
    rows at a time: a city's ten million rows never exist as Python tuples at once."""
    batches = []
    for rows in session.execute(stmt.execution_options(yield_per=part)).partitions():
        batches.append(pa.record_batch([pa.array(col, f.type) for col, f in zip(zip(*rows, strict=False), schema, strict=True)],
                                       schema=schema))
    return pa.Table.from_batches(batches, schema)
