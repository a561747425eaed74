"""A day's files are sorted the whole way through (by place; the twins by person): what the queries' row-group
pruning relies on."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from fangkong.lake import ingest, store
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
            assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False)), f"{path}: row groups out of order"
            values = pq.read_table(path, columns=[column]).column(column).to_pylist()
            assert values == sorted(values)
        assert pq.read_metadata(place_file).num_rows == 300_000


def _source(con, rows: int) -> None:
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"""CREATE TABLE src AS SELECT 'P' || lpad((hash(i) % 50000)::VARCHAR, 6, '0') AS person_id,
                    'V' || lpad((hash(i * 7) % 3000)::VARCHAR, 5, '0') AS venue_id,
                    TIMESTAMP '2022-03-10 00:00:00' + to_seconds(hash(i * 13) % 86400) AS enter_at,
                    NULL::TIMESTAMP AS leave_at, DATE '2022-03-10' AS day FROM range({rows}) t(i)""")


def test_a_day_is_cut_into_sorted_shards_whose_ranges_pick_the_files_a_query_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "SHARD_ROWS", 4 * ROW_GROUP_ROWS)
    con = duckdb.connect()
    _source(con, 150_000)
    write_sorted(con, "src", tmp_path / "staged", "venue_visits")
    store.publish(tmp_path / "staged", tmp_path / "lake", "venue_visits")
    lake = tmp_path / "lake"
    (day,) = store.day_dirs(lake, "venue_visits")
    d = store.day_dirs(lake, "venue_visits")[day]
    (index,) = store.read_indexes(d).values()
    assert len(index["files"]) == 5   # 150 000 rows in shards of 32 768
    everything = {"venue_id": [], "person_id": []}
    for order, folder, column in (("place", d, "venue_id"), ("person", d / store.BY_PERSON, "person_id")):
        for name, (first, last) in zip(index["files"], index[order], strict=True):
            values = pq.read_table(folder / name, columns=[column]).column(column).to_pylist()
            assert values == sorted(values) and (values[0], values[-1]) == (first, last)
            everything[column] += values
        assert everything[column] == sorted(everything[column]), f"{order}: shards out of order"
        assert len(everything[column]) == 150_000
    # a query for a few places (persons) opens only the shards whose range can hold them, and misses no row
    places = sorted({everything["venue_id"][i] for i in (0, 40_000, 40_001, 149_999)})
    persons = sorted({everything["person_id"][i] for i in (5, 100_000)})
    picked = store.files_for_days(lake, "venue_visits", {day}, places=places)
    twins = store.person_files_for_days(lake, "venue_visits", {day}, persons=persons)
    assert 1 <= len(picked) <= 3 and 1 <= len(twins) <= 2
    assert store.files_for_days(lake, "venue_visits", {day}, places=[]) == []
    for files, column, keys in ((picked, "venue_id", places), (twins, "person_id", persons)):
        got = con.execute(f"SELECT count(*) FROM read_parquet({files}) WHERE {column} IN ({', '.join(map(repr, keys))})"
                          ).fetchone()[0]
        assert got == sum(everything[column].count(k) for k in keys) > 0


def test_a_write_is_not_read_until_its_last_shard_is_in_place(tmp_path, monkeypatch):
    """An import cut off while publishing a day's shards: none of them is read (not some of its rows), and the
    next compaction deletes them."""
    from fangkong.lake.compact import compact

    monkeypatch.setattr(ingest, "SHARD_ROWS", 2 * ROW_GROUP_ROWS)
    con = duckdb.connect()
    _source(con, 40_000)
    lake = tmp_path / "lake"
    write_sorted(con, "src", tmp_path / "first", "venue_visits")
    store.publish(tmp_path / "first", lake, "venue_visits")
    (day,) = store.day_dirs(lake, "venue_visits")
    before = store.files_for_days(lake, "venue_visits", {day})
    assert len(before) == 3
    con.execute("UPDATE src SET person_id = person_id || 'x'")
    write_sorted(con, "src", tmp_path / "second", "venue_visits")
    staged = tmp_path / "second" / "venue_visits" / f"day={day}"
    d = lake / "venue_visits" / f"day={day}"
    for f in staged.glob("_index-*.json"):     # publish's order: the index, the twins, then the files, cut off
        f.rename(d / f.name)                 # after the first of the files
    for f in (tmp_path / "second" / f"venue_visits.{store.BY_PERSON}" / f"day={day}").glob("*.parquet"):
        f.rename(d / store.BY_PERSON / f.name)
    first_new = sorted(staged.glob("*.parquet"))[0]
    first_new.rename(d / first_new.name)
    assert store.files_for_days(lake, "venue_visits", {day}) == before
    assert store.person_files_for_days(lake, "venue_visits", {day}) == \
        [str(d / store.BY_PERSON / p.rsplit("/", 1)[1]) for p in sorted(before, key=lambda p: int(p[-9:-8]))]
    compact(lake, grace_s=0)   # one write left: nothing to rewrite; the cut-off write's files are deleted
    assert sorted(p.name for p in d.glob("*.parquet")) == sorted(p.rsplit("/", 1)[1] for p in before)
    assert len(list(d.glob("_index-*.json"))) == 1 and len(list((d / store.BY_PERSON).glob("*.parquet"))) == 3
