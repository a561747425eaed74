"""A day's files are sorted the whole way through (by place; the twins by person): what the queries' row-group
pruning relies on."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from fangkong.lake import store
from fangkong.lake.ingest import ROW_GROUP_ROWS, write_sorted


def _row_group_ranges(path: str, column: str) -> list[tuple]:
    meta = pq.read_metadata(path)
    i = meta.schema.names.index(column)
    return [(meta.row_group(g).column(i).statistics.min, meta.row_group(g).column(i).statistics.max)
            for g in range(meta.num_row_groups)]


def test_each_day_is_written_as_one_sorted_run_of_row_groups(tmp_path):
    # several of DuckDB's parallel input chunks per day (122 880 rows each), on two threads: a partitioned COPY
    # wrote each thread's sorted run as it came, interleaved
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")   # as the importer's connection has it
    con.execute("""CREATE TABLE src AS SELECT 'P' || lpad((hash(i) % 50000)::VARCHAR, 6, '0') AS person_id,
                   'V' || lpad((hash(i * 7) % 3000)::VARCHAR, 5, '0') AS venue_id,
                   TIMESTAMP '2022-03-10 00:00:00' + to_seconds(hash(i * 13) % 172800) AS enter_at,
                   NULL::TIMESTAMP AS leave_at, DATE '2022-03-10' + (i % 2)::INT AS day FROM range(600000) t(i)""")
    write_sorted(con, "src", tmp_path / "staged", "venue_visits")
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False  # restored
    store.publish(tmp_path / "staged", tmp_path / "lake", "venue_visits")
    days = store.day_dirs(tmp_path / "lake", "venue_visits")
    assert sorted(str(d) for d in days) == ["2022-03-10", "2022-03-11"]
    for day in days:
        (place_file,) = store.files_for_days(tmp_path / "lake", "venue_visits", {day})
        (person_file,) = store.person_files_for_days(tmp_path / "lake", "venue_visits", {day})
        assert person_file != place_file
        for path, column in ((place_file, "venue_id"), (person_file, "person_id")):
            ranges = _row_group_ranges(path, column)
            assert len(ranges) >= 300_000 // ROW_GROUP_ROWS
            assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:])), f"{path}: row groups out of order"
            values = pq.read_table(path, columns=[column]).column(column).to_pylist()
            assert values == sorted(values)
        assert pq.read_metadata(place_file).num_rows == 300_000
