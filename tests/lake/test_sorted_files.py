"""A day's files are sorted the whole way through by place, each a contiguous range of the order, and the Delta
log's per-file statistics pick the files a query reads: what the queries' pruning relies on."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from fangkong.lake import store
from fangkong.lake.ingest import sorted_rows
from fangkong.lake.store import ROW_GROUP_ROWS


def _row_group_ranges(path: str, column: str) -> list[tuple]:
    meta = pq.read_metadata(path)
    i = meta.schema.names.index(column)
    return [(meta.row_group(g).column(i).statistics.min, meta.row_group(g).column(i).statistics.max)
            for g in range(meta.num_row_groups)]


def _source(con, rows: int, days: int = 1) -> None:
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")   # as the importer's connection has it
    con.execute(f"""CREATE TABLE src AS SELECT 'P' || lpad((hash(i) % 50000)::VARCHAR, 6, '0') AS person_id,
                    'V' || lpad((hash(i * 7) % 3000)::VARCHAR, 5, '0') AS venue_id,
                    TIMESTAMP '2022-03-10 00:00:00' + to_seconds(hash(i * 13) % 86400) AS enter_at,
                    NULL::TIMESTAMP AS leave_at, DATE '2022-03-10' + (i % {days})::INT AS day
                    FROM range({rows}) t(i)""")


def test_each_day_is_written_as_one_sorted_run_of_row_groups(tmp_path):
    con = duckdb.connect()
    _source(con, 600_000, days=2)
    lake = tmp_path / "lake"
    days = sorted(r[0] for r in con.execute("SELECT DISTINCT day FROM src").fetchall())
    n = store.commit_day_rows(lake, "venue_visits", days, lambda snap: (sorted_rows(con, "src", "venue_visits"),
                                                                        600_000))
    assert n == 600_000 and sorted(store.day_dirs(lake, "venue_visits")) == days
    for day in days:
        (place_file,) = store.files_for_days(lake, "venue_visits", {day})
        ranges = _row_group_ranges(place_file, "venue_id")
        assert len(ranges) >= 300_000 // ROW_GROUP_ROWS
        assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False)), "row groups out of order"
        values = pq.read_table(place_file, columns=["venue_id"]).column("venue_id").to_pylist()
        assert values == sorted(values) and len(values) == 300_000


def test_the_log_ranges_pick_the_files_a_query_reads(tmp_path):
    """A day of several writes (an import, scan flushes) has a file per write; the log's min/max of each file's
    places picks the ones a query opens, and the rows of the others are not missed."""
    con = duckdb.connect()
    _source(con, 150_000)
    lake = tmp_path / "lake"
    (day,) = [r[0] for r in con.execute("SELECT DISTINCT day FROM src").fetchall()]
    for lo, hi in (("V00000", "V01000"), ("V01000", "V02000"), ("V02000", "V99999")):
        con.execute(f"CREATE OR REPLACE TABLE part AS SELECT * FROM src WHERE venue_id >= '{lo}' AND venue_id < '{hi}'")
        n = con.execute("SELECT count(*) FROM part").fetchall()[0][0]
        store.commit_day_rows(lake, "venue_visits", [day], lambda snap, n=n: (sorted_rows(con, "part", "venue_visits"), n))
    files = store.files_for_days(lake, "venue_visits", {day})
    assert len(files) == 3
    flat = sorted(v for f in files for v in pq.read_table(f, columns=["venue_id"]).column("venue_id").to_pylist())
    assert len(flat) == 150_000
    places = sorted({flat[i] for i in (0, 40_000, 40_001)})
    picked = store.files_for_days(lake, "venue_visits", {day}, places=places)
    assert 1 <= len(picked) < len(files)
    assert store.files_for_days(lake, "venue_visits", {day}, places=[]) == []
    got = con.execute(f"SELECT count(*) FROM read_parquet({picked}) WHERE venue_id IN "
                      f"({', '.join(map(repr, places))})").fetchone()[0]
    assert got == sum(flat.count(k) for k in places) > 0
