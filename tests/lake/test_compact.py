"""`fangkong lake compact`: a day's files rewritten as one sorted write in one Delta commit; no reader sees a row
twice or misses one, wherever a compaction is cut off."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest
from clihelp import fk
from test_flow import declare_and_trace

from fangkong.lake import compact, store
from fangkong.lake.append import write_visits

TZ = ZoneInfo("Asia/Shanghai")
TABLES = ("venue_visits", "cell_dwells")


def lake_rows(lake: Path) -> dict[str, list[tuple]]:
    """Every row the readers see, per table, as a sorted list (a row seen twice appears twice)."""
    out = {}
    for table in TABLES:
        files = store.files_for_days(lake, table)
        out[table] = sorted(duckdb.sql(f"SELECT * FROM read_parquet({files!r}, hive_partitioning=false)")
                            .fetchall()) if files else []
    return out


def person_rows(lake: Path) -> list[tuple]:
    files = store.files_for_days(lake, "venue_visits", persons=None)
    return sorted(duckdb.sql(f"SELECT * FROM read_parquet({files!r}, hive_partitioning=false)").fetchall())


def live_files_per_day(lake: Path, table: str = "venue_visits") -> dict[str, int]:
    return {str(day): len(store.files_for_days(lake, table, {day})) for day in store.day_dirs(lake, table)}


def on_disk(d: Path) -> list[str]:
    return sorted(str(p) for p in d.glob("*.parquet"))


def with_live_scans(env, tmp_path) -> tuple[str, dict]:
    """The spine's city imported and traced, then scans that add a file to each of its two visit days."""
    case_id, _ = declare_and_trace(tmp_path)
    write_visits(env.lake, [("P00007", "V1", datetime(2022, 3, 10, 12, 40, tzinfo=TZ), None)], "Asia/Shanghai")
    write_visits(env.lake, [("P00006", "V2", datetime(2022, 3, 11, 9, 45, tzinfo=TZ), None),
                            ("P00002", "V2", datetime(2022, 3, 10, 20, 0, tzinfo=TZ), None)], "Asia/Shanghai")
    r = fk("trace", case_id, "--format", "json")
    assert r.exit_code == 0, r.output
    return case_id, json.loads(r.stdout)


def test_compact_keeps_every_row_once_and_the_trace_unchanged(rollback_env, tmp_path):
    case_id, before = with_live_scans(rollback_env, tmp_path)
    rows, by_person = lake_rows(rollback_env.lake), person_rows(rollback_env.lake)
    assert live_files_per_day(rollback_env.lake) == {"2022-03-10": 3, "2022-03-11": 2}

    assert "2022-03-10" in fk("lake", "compact", "--dry-run").stdout
    assert live_files_per_day(rollback_env.lake) == {"2022-03-10": 3, "2022-03-11": 2}   # a dry run changes nothing

    r = fk("lake", "compact")
    assert r.exit_code == 0, r.output
    assert "venue_visits" in r.stdout and "2022-03-10" in r.stdout
    assert live_files_per_day(rollback_env.lake) == {"2022-03-10": 1, "2022-03-11": 1}
    assert lake_rows(rollback_env.lake) == rows and person_rows(rollback_env.lake) == by_person
    for day, d in store.day_dirs(rollback_env.lake, "venue_visits").items():
        (name,) = store.files_for_days(rollback_env.lake, "venue_visits", {day})
        venues = pq.read_table(name, columns=["venue_id"]).column("venue_id").to_pylist()
        assert venues == sorted(venues)
        assert len(on_disk(d)) > 1                             # the replaced files kept for the grace period
    r = fk("trace", case_id, "--format", "json")
    assert json.loads(r.stdout) == before

    r = fk("lake", "compact", "--grace", "0")                  # nothing left to rewrite; the retired files go
    assert r.exit_code == 0, r.output
    for table in TABLES:
        for day, d in store.day_dirs(rollback_env.lake, table).items():
            assert on_disk(d) == store.files_for_days(rollback_env.lake, table, {day})
    assert lake_rows(rollback_env.lake) == rows and person_rows(rollback_env.lake) == by_person
    assert json.loads(fk("trace", case_id, "--format", "json").stdout) == before


def test_all_rewrites_a_day_of_one_file(rollback_env, tmp_path):
    declare_and_trace(tmp_path)
    rows = lake_rows(rollback_env.lake)
    before = {t: set(store.all_files(rollback_env.lake, t)) for t in TABLES}
    assert compact.compact(rollback_env.lake) == []                      # one file a day: nothing to do
    done = compact.compact(rollback_env.lake, rewrite_single=True, grace_s=0)
    assert {(c.table, str(c.day)) for c in done if c.rows} == {
        ("venue_visits", "2022-03-10"), ("venue_visits", "2022-03-11"), ("cell_dwells", "2022-03-10")}
    assert all(not (set(store.all_files(rollback_env.lake, t)) & before[t]) for t in TABLES)   # new files throughout
    assert lake_rows(rollback_env.lake) == rows


class Boom(Exception):
    pass


def test_a_compaction_cut_off_before_its_commit_leaves_each_row_once(rollback_env, tmp_path, monkeypatch):
    """Killed while delta-rs writes the new files: no commit, the day's files as they were; the files written are
    read by no one and go with the next vacuum; the next run does the job."""
    import pyarrow as pa

    with_live_scans(rollback_env, tmp_path)
    rows, by_person = lake_rows(rollback_env.lake), person_rows(rollback_env.lake)
    version = store.open_table(rollback_env.lake, "venue_visits", fresh=True).version()
    real = compact.sorted_rows

    def dies_midway(con, source, table):
        reader = real(con, source, table)

        def batches():
            yield from reader
            raise Boom

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    with monkeypatch.context() as m:
        m.setattr(compact, "sorted_rows", dies_midway)
        with pytest.raises(Exception):   # noqa: B017 - delta-rs wraps the reader's error in its own
            compact.compact(rollback_env.lake)
    assert store.open_table(rollback_env.lake, "venue_visits", fresh=True).version() == version
    assert lake_rows(rollback_env.lake) == rows and person_rows(rollback_env.lake) == by_person
    assert live_files_per_day(rollback_env.lake) == {"2022-03-10": 3, "2022-03-11": 2}

    compact.compact(rollback_env.lake, grace_s=0)                      # the next run does the job
    assert lake_rows(rollback_env.lake) == rows and person_rows(rollback_env.lake) == by_person
    assert live_files_per_day(rollback_env.lake) == {"2022-03-10": 1, "2022-03-11": 1}
