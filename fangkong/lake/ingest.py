"""Validated, idempotent, crash-safe ingest of venue visits and carrier dwells into the lake (DuckDB SQL)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from fangkong.lake import store
from fangkong.lake.files import ImportResult, ParquetSource, RowError, TableFile
from fangkong.lake.schemas import SORTED_COLUMNS
from fangkong.protocol.grid import grid_sql

__all__ = ["connect", "ingest_dwells", "ingest_visits", "new_rows", "sorted_rows", "sql_quote"]

#: (table, days done, days) after each day partition is published
Progress = Callable[[str, int, int], None]
_MAX_ERRORS = 10_000  # report this many row errors per file; the count stays exact


def _ts(col: str) -> str:
    """Text → UTC timestamp, whole seconds; a text without offset is read in the session's zone."""
    return f"date_trunc('second', timezone('UTC', TRY_CAST({col} AS TIMESTAMPTZ)))"


def connect(spill: Path, tz: str = "UTC") -> duckdb.DuckDBPyConnection:
    """Bounded memory: DuckDB spills to the lake's staging folder beyond the limit (import < 4 GB RSS)."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{tz}'")
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    con.execute("SET memory_limit = '2GB'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")   # the CLI shows its own bars (a day's sort printed DuckDB's)
    return con


_VISITS_SQL = f"""
CREATE TEMP VIEW checked AS
WITH p AS (
  SELECT _line, nullif(trim(person_id), '') AS person_id, nullif(trim(venue_id), '') AS venue_id,
         enter_at AS enter_raw, leave_at AS leave_raw,
         {_ts('enter_at')} AS enter_at, {_ts('leave_at')} AS leave_at
  FROM src)
SELECT p.*, CASE
  WHEN p.person_id IS NULL THEN 'person_id is empty'
  WHEN p.venue_id IS NULL THEN 'venue_id is empty'
  WHEN enter_raw IS NULL THEN 'enter_at is empty'
  WHEN p.enter_at IS NULL THEN 'enter_at ' || enter_raw || ' is not an ISO 8601 time'
  WHEN leave_raw IS NOT NULL AND p.leave_at IS NULL THEN 'leave_at ' || leave_raw || ' is not an ISO 8601 time'
  WHEN p.leave_at < p.enter_at THEN 'leave_at is before enter_at'
  WHEN kv.venue_id IS NULL THEN 'unknown venue ' || p.venue_id
  WHEN kp.person_id IS NULL THEN 'unknown person ' || p.person_id
END AS err,
CAST(timezone(getvariable('tz'), timezone('UTC', p.enter_at)) AS DATE) AS day
FROM p
LEFT JOIN known_venue kv ON kv.venue_id = p.venue_id
LEFT JOIN known_person kp ON kp.person_id = p.person_id
"""

_DWELLS_SQL = f"""
CREATE TEMP VIEW checked AS
WITH p AS (
  SELECT _line, nullif(trim(phone), '') AS phone, nullif(trim(grid_id), '') AS grid_raw,
         lat AS lat_raw, lon AS lon_raw, TRY_CAST(lat AS DOUBLE) AS lat, TRY_CAST(lon AS DOUBLE) AS lon,
         start_at AS start_raw, end_at AS end_raw, {_ts('start_at')} AS start_at, {_ts('end_at')} AS end_at
  FROM src)
SELECT _line, phone, lat, lon, start_at, end_at,
  coalesce(grid_raw, CASE WHEN lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180
                          THEN {grid_sql('lat', 'lon')} END) AS grid_id,
  CASE
  WHEN phone IS NULL THEN 'phone is empty'
  WHEN start_raw IS NULL THEN 'start_at is empty'
  WHEN end_raw IS NULL THEN 'end_at is empty'
  WHEN start_at IS NULL THEN 'start_at ' || start_raw || ' is not an ISO 8601 time'
  WHEN end_at IS NULL THEN 'end_at ' || end_raw || ' is not an ISO 8601 time'
  WHEN end_at <= start_at THEN 'end_at is not after start_at'
  WHEN lat_raw IS NOT NULL AND lat IS NULL THEN 'lat ' || lat_raw || ' is not a number'
  WHEN lon_raw IS NOT NULL AND lon IS NULL THEN 'lon ' || lon_raw || ' is not a number'
  WHEN grid_raw IS NULL AND (lat IS NULL OR lon IS NULL) THEN 'neither grid_id nor lat and lon given'
  WHEN grid_raw IS NULL AND NOT (lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180)
       THEN 'lat/lon out of range'
END AS err,
CAST(timezone(getvariable('tz'), timezone('UTC', start_at)) AS DATE) AS day
FROM p
"""


def _errors(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, list[RowError]]:
    n = con.execute("SELECT count(*) FROM bad").fetchone()[0]
    rows = con.execute(f"SELECT _line, err FROM bad ORDER BY _line LIMIT {_MAX_ERRORS}").fetchall()
    return n, [RowError(name, line, err) for line, err in rows]


#: the staged partition of the rejected rows (their day is NULL): DuckDB's name for a NULL partition value
_REJECTED = "day=__HIVE_DEFAULT_PARTITION__"


def _stage(con: duckdb.DuckDBPyConnection, incoming: Path, collist: str, name: str
           ) -> tuple[int, list[RowError], list[date]]:
    """One pass over the source: every row into a day partition of the staged copy, the rejected ones (with
    their line and error; NULL elsewhere, so they cost nothing in the good days) into the NULL day's. Then the
    rejected count and the first errors, read back from that small partition alone, and the good days."""
    con.execute(f"""COPY (SELECT {collist}, CASE WHEN err IS NULL THEN day END AS day,
                           CASE WHEN err IS NOT NULL THEN _line END AS _line, err FROM checked)
                    TO '{incoming}' (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
                    COMPRESSION zstd)""")
    rejected = sorted(incoming.glob(f"{_REJECTED}/*.parquet"))
    if rejected:
        files = ", ".join(sql_quote(str(f)) for f in rejected)
        con.execute(f"CREATE TEMP TABLE bad AS SELECT _line, err FROM read_parquet([{files}], "
                    "hive_partitioning=false)")
    else:
        con.execute("CREATE TEMP TABLE bad (_line BIGINT, err VARCHAR)")
    days = sorted(date.fromisoformat(d.name[4:]) for d in incoming.glob("day=*") if d.name != _REJECTED)
    return (*_errors(con, name), days)


def _write(con: duckdb.DuckDBPyConnection, lake: Path, table: str, incoming: Path, days: list[date],
           result: ImportResult, progress: Progress) -> None:
    """Day by day from the staged copy: dedupe against that day's stored rows, commit it sorted (one Delta commit
    a day, store.commit_day_rows), drop its staged copy. Memory is bounded by one day, not the file; disk by the
    file's staged copy plus one day's sorting (a city's billion dwells: the copy of every day kept until the end ran
    a 10 M-person import out of disk)."""
    result.inserted = 0
    for i, day in enumerate(days):
        src = ", ".join(sql_quote(f) for f in sorted((incoming / f"day={day}").glob("*.parquet")))
        result.inserted += store.commit_day_rows(lake, table, [day], lambda snap, day=day, src=src: new_rows(
            con, lake, table, f"read_parquet([{src}], hive_partitioning = false)", snap, [day]), writer="import")
        con.execute("DROP TABLE IF EXISTS fresh")
        shutil.rmtree(incoming / f"day={day}", ignore_errors=True)
        progress(table, i + 1, len(days))


def new_rows(con: duckdb.DuckDBPyConnection, lake: Path, table: str, source: str, snap: store.Snapshot,
             days: list[date], places: list[str] | None = None) -> store.Rows:
    """The rows of `source` (the table's columns and `day`) that `snap` does not hold (in the days' files that
    can hold `places`), sorted (sorted_rows), and their number; the table's longest stay widened to theirs first."""
    cols = ", ".join(SORTED_COLUMNS[table])
    sql = f"SELECT DISTINCT {cols}, day FROM {source}"
    existing = store.files_for_days(lake, table, set(days), places, snap=snap)
    if existing:
        sql = f"({sql}) EXCEPT (SELECT {cols}, day FROM read_parquet([{', '.join(map(sql_quote, existing))}], " \
              "hive_partitioning = true, hive_types = {'day': DATE}))"
    con.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS {sql}")
    start, end = SORTED_COLUMNS[table][2:4]
    n, span = con.execute(f"SELECT count(*), coalesce(max(epoch({end}) - epoch({start})), 0) FROM fresh").fetchall()[0]
    if n:
        store.widen_span(lake, table, span)
    return sorted_rows(con, "fresh", table), n


def sql_quote(path: str | Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def sorted_rows(con: duckdb.DuckDBPyConnection, source: str, table: str) -> pa.Table:
    """`source` (the table's SORTED_COLUMNS and `day`) sorted by day, place and time, as one Arrow batch: delta-rs
    1.6 cuts it in order into files of store.file_bytes(), whose place ranges the log keeps (several batches it
    writes in no set order: a day's files came out unsorted)."""
    cols = SORTED_COLUMNS[table]
    schema = store.table_schema(table)
    return con.sql(f"SELECT {', '.join(schema.names)} FROM {source} ORDER BY day, {cols[1]}, {cols[2]}") \
        .to_arrow_table().cast(schema).combine_chunks()


def _ingest(lake: Path, tf: TableFile | ParquetSource, table: str, sql: str, *, tz: str, strict: bool,
            known: dict[str, pa.Table], progress: Progress | None) -> ImportResult:
    result = ImportResult(table=table, file=tf.path.name, rows=tf.num_rows, warnings=list(tf.warnings))
    con = connect(lake / ".staging" / "spill", tz)
    try:
        con.execute("SET VARIABLE tz = ?", [tz])
        tf.register(con)
        for name, t in known.items():
            con.register(name, t)
        con.execute(sql)
        staged = store.staging_dir(lake)
        try:
            # one pass over the source stages the good rows and finds the rejected ones; with --strict and a bad
            # row the staged copy is dropped and nothing is written to the lake at all
            n_err, result.errors, days = _stage(con, staged / "_incoming", ", ".join(SORTED_COLUMNS[table]),
                                                tf.path.name)
            if n_err > len(result.errors):
                result.warnings.append(f"{tf.path.name}: {n_err} rows rejected, the first {_MAX_ERRORS} listed")
            if strict and n_err:
                result.committed = False
                return result
            _write(con, lake, table, staged / "_incoming", days, result, progress or (lambda table, done, total: None))
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        result.unchanged = result.rows - n_err - result.inserted
        return result
    finally:
        con.close()


def ingest_visits(lake: Path, tf: TableFile | ParquetSource, *, venue_ids: list[str], person_ids: pa.Array, tz: str,
                  strict: bool = False, progress: Progress | None = None) -> ImportResult:
    """Venue-code scans into lake/venue_visits/day=YYYY-MM-DD/, sorted by venue and time within a day."""
    known = {"known_venue": pa.table({"venue_id": pa.array(venue_ids, pa.string())}),
             "known_person": pa.table({"person_id": person_ids})}
    return _ingest(lake, tf, "venue_visits", _VISITS_SQL, tz=tz, strict=strict, known=known, progress=progress)


def ingest_dwells(lake: Path, tf: TableFile | ParquetSource, *, tz: str, strict: bool = False,
                  progress: Progress | None = None) -> ImportResult:
    """Carrier dwells into lake/cell_dwells/day=YYYY-MM-DD/, sorted by grid cell and time within a day."""
    return _ingest(lake, tf, "cell_dwells", _DWELLS_SQL, tz=tz, strict=strict, known={}, progress=progress)
