"""A day's files are sorted the whole way through by place, each a contiguous range of the order, and the Delta
log's per-file statistics pick the files a query reads: what the queries' pruning relies on."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from fangkong.lake import compact, migrate, store
from fangkong.lake.ingest import sorted_rows
from fangkong.lake.store import ROW_GROUP_ROWS
from fangkong.settings import get_settings


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


@pytest.fixture
def one_mb_files(monkeypatch):
    """FANGKONG_LAKE_FILE_MB=1: a day of a few hundred thousand rows is cut into several files."""
    monkeypatch.setenv("FANGKONG_LAKE_FILE_MB", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FANGKONG_LAKE_FILE_MB")
    get_settings.cache_clear()


def _assert_cut(lake, day, rows: list[tuple]) -> None:
    """The day is several files, each sorted by place, their place ranges in order (in the log and in the files),
    all added by one commit, holding `rows` exactly once."""
    snap = store.snapshot(lake, "venue_visits")
    log = store.table_dir(lake, "venue_visits") / "_delta_log"
    added = {json.loads(line)["add"]["path"]: p.name for p in log.glob("*.json")
             for line in p.read_text().splitlines() if '"add"' in line}
    assert len({added[p] for p in snap.files.column("path").to_pylist()}) == 1
    files = snap.for_days({day}).sort_by("min.venue_id")
    assert files.num_rows >= 3, files.num_rows
    lo, hi = files.column("min.venue_id").to_pylist(), files.column("max.venue_id").to_pylist()
    assert all(a <= b for a, b in zip(hi, lo[1:], strict=False)), "files' place ranges overlap"
    got = []
    for path, a, b in zip(files.column("path").to_pylist(), lo, hi, strict=True):
        values = pq.read_table(store.table_dir(lake, "venue_visits") / path)
        places = values.column("venue_id").to_pylist()
        assert places == sorted(places) and (places[0], places[-1]) == (a, b)
        got += [tuple(r.values())[:4] for r in values.to_pylist()]
    assert sorted(got) == rows
    picked = store.files_for_days(lake, "venue_visits", {day}, places=[lo[1]])
    assert 1 <= len(picked) <= 2 < files.num_rows


def test_a_day_past_the_file_size_is_cut_into_ordered_files_in_one_commit(tmp_path, one_mb_files):
    from deltalake import DeltaTable

    con = duckdb.connect()
    _source(con, 400_000)
    lake = tmp_path / "lake"
    (day,) = [r[0] for r in con.execute("SELECT DISTINCT day FROM src").fetchall()]
    rows = sorted(con.execute("SELECT person_id, venue_id, enter_at, leave_at FROM src").fetchall())
    store.commit_day_rows(lake, "venue_visits", [day], lambda snap: (sorted_rows(con, "src", "venue_visits"), 1))
    _assert_cut(lake, day, rows)
    assert DeltaTable(str(store.table_dir(lake, "venue_visits"))).transaction_version(
        store.day_app("venue_visits", day)) == 1

    assert compact.compact(lake, grace_s=0) == []   # one write cut into files: nothing to compact
    compact.compact(lake, rewrite_single=True, grace_s=0)   # a compaction's rewrite is cut the same way
    _assert_cut(lake, day, rows)


def test_migrate_cuts_an_old_day_into_ordered_files(tmp_path, one_mb_files):
    con = duckdb.connect()
    _source(con, 400_000)
    lake = tmp_path / "lake"
    (day,) = [r[0] for r in con.execute("SELECT DISTINCT day FROM src").fetchall()]
    old = lake / "venue_visits" / f"day={day}"
    old.mkdir(parents=True)
    con.execute(f"COPY (SELECT person_id, venue_id, enter_at, leave_at FROM src) TO '{old}/part-aaa-0.parquet'")
    migrate.migrate(lake)
    _assert_cut(lake, day, sorted(con.execute("SELECT person_id, venue_id, enter_at, leave_at FROM src").fetchall()))
