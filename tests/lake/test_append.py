"""The scan append path: day partitions, dedupe by whole row, visible after a flush, journal replay after a crash."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb

from fangkong.lake import store
from fangkong.lake.append import VisitLog, write_visits

TZ = ZoneInfo("Asia/Shanghai")


def rows_in(lake):
    files = store.all_files(lake, "venue_visits")
    if not files:
        return []
    return duckdb.sql(f"SELECT person_id, venue_id, enter_at, day FROM read_parquet({files!r}, "
                      "hive_partitioning=true) ORDER BY ALL").fetchall()


def test_rows_land_in_their_local_day_and_are_stored_once(tmp_path):
    early = datetime(2022, 3, 11, 7, 30, tzinfo=TZ)      # 2022-03-10 23:30 UTC, local day 2022-03-11
    assert write_visits(tmp_path, [("P1", "V1", early, None), ("P1", "V1", early, None)], "Asia/Shanghai") == 1
    assert write_visits(tmp_path, [("P1", "V1", early, None), ("P2", "V1", early, None)], "Asia/Shanghai") == 1
    rows = rows_in(tmp_path)
    assert [r[0] for r in rows] == ["P1", "P2"]
    assert {str(r[3]) for r in rows} == {"2022-03-11"}
    assert rows[0][2] == datetime(2022, 3, 10, 23, 30)   # stored as UTC, like imports


def test_a_batch_is_invisible_until_flushed_then_visible(tmp_path):
    log = VisitLog(tmp_path, "Asia/Shanghai", interval=3600)
    log.add("P1", "V1", datetime(2022, 3, 11, 9, tzinfo=TZ))
    assert log.pending() == 1 and rows_in(tmp_path) == []
    assert log.flush() == 1
    assert log.pending() == 0 and len(rows_in(tmp_path)) == 1
    assert list((tmp_path / ".journal").glob("*.jsonl"))[0].read_text() == ""


def test_a_dead_process_journal_is_replayed_once(tmp_path):
    journal = tmp_path / ".journal"
    journal.mkdir()
    line = json.dumps(["P9", "V2", "2022-03-11T09:00:00+08:00", None])
    (journal / "venue_visits.999999999.dead.jsonl").write_text(line + "\n" + line + "\n")
    log = VisitLog(tmp_path, "Asia/Shanghai", interval=3600)
    assert log.replayed == 1 and [r[0] for r in rows_in(tmp_path)] == ["P9"]
    assert not (journal / "venue_visits.999999999.dead.jsonl").exists()


def test_a_reader_publishes_what_another_process_acknowledged(tmp_path):
    from fangkong.lake.append import flush_pending

    journal = tmp_path / ".journal"
    journal.mkdir()
    import os

    live = journal / f"venue_visits.{os.getppid()}.other.jsonl"   # a live process's journal
    line = json.dumps(["P7", "V3", "2022-03-11T10:00:00+08:00", None])
    live.write_text(line + "\n" + '["P8", "V3", "2022-03-1')      # its writer is mid-line
    assert flush_pending(tmp_path, "Asia/Shanghai") == 1
    assert flush_pending(tmp_path, "Asia/Shanghai") == 0
    assert [r[0] for r in rows_in(tmp_path)] == ["P7"] and live.exists()
