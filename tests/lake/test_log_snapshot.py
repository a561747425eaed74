"""A forked child reads the Delta log itself (delta-rs's runtime belongs to the parent and panics in a child):
`store._log_snapshot` must list the same files, days and statistics as delta-rs, after appends, a compaction's
removes and a checkpoint."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from test_compact import TABLES, with_live_scans

from fangkong.lake import compact, store
from fangkong.lake.append import write_visits

TZ = ZoneInfo("Asia/Shanghai")
COLS = ["path", "size_bytes", "partition.day", "num_records", "min.venue_id", "max.venue_id", "min.person_id", "max.person_id"]


def _same(lake, table):
    want = store.snapshot(lake, table, store.open_table(lake, table, fresh=True))
    got = store._log_snapshot(lake, table)
    assert got.version == want.version
    cols = [c for c in COLS if c in want.files.column_names]
    assert got.files.select(cols).to_pylist() == want.files.select(cols).to_pylist()
    assert store.files_for_days(lake, table, snap=got) == store.files_for_days(lake, table, snap=want)


def test_the_log_read_without_delta_rs_lists_what_delta_rs_lists(rollback_env, tmp_path):
    with_live_scans(rollback_env, tmp_path)          # several commits a day: appends from the import and scans
    for table in TABLES:
        _same(rollback_env.lake, table)
    compact.compact(rollback_env.lake, grace_s=0)    # removes: each day's files replaced by one
    for table in TABLES:
        _same(rollback_env.lake, table)
    store.open_table(rollback_env.lake, "venue_visits", fresh=True).create_checkpoint()
    write_visits(rollback_env.lake, [("P00003", "V1", datetime(2022, 3, 10, 15, 0, tzinfo=TZ), None)],
                 "Asia/Shanghai")
    _same(rollback_env.lake, "venue_visits")         # the checkpoint's adds, then the commit after it
    assert store._log_snapshot(rollback_env.lake, "venue_visits").files.num_rows
