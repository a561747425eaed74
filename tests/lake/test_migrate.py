"""`fangkong lake migrate`: a lake of the old format (shards, index files, twins, compaction markers) becomes Delta
tables holding exactly the rows the old readers read, resumably; until then readers refuse it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fangkong.errors import InvalidInput
from fangkong.lake import migrate, store
from fangkong.lake.schemas import STORED


def _visits(rows: list[tuple]) -> pa.Table:
    return pa.table(list(zip(*rows, strict=True)), schema=STORED["venue_visits"])


def _row(p: str, v: str, h: int, day: int = 10) -> tuple:
    return (p, v, datetime(2022, 3, day, h), None)


def _old_write(d: Path, name: str, rows: list[tuple], *, index: bool = True, twin: bool = True) -> None:
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(_visits(rows), d / name)
    if twin:
        (d / "by_person").mkdir(exist_ok=True)
        pq.write_table(_visits(sorted(rows)), d / "by_person" / name)
    if index:
        token = name.rsplit("-", 1)[0]
        (d / f"_index-{token}.json").write_text(json.dumps({"files": [name], "place": [None], "person": [None]}))


def _old_lake(lake: Path) -> set[tuple]:
    """Day 10: an import, a scan flush, a compaction's published output with its retired inputs still on disk, and
    a write cut off while publishing (its index names two files, one is there). Day 11: one write. Returns the rows
    the old readers read."""
    d10, d11 = lake / "venue_visits" / "day=2022-03-10", lake / "venue_visits" / "day=2022-03-11"
    a, b = [_row("P1", "V1", 1), _row("P2", "V1", 2)], [_row("P3", "V2", 3)]
    _old_write(d10, "part-aaa-0.parquet", a)
    _old_write(d10, "scan-bbb-0.parquet", b)
    _old_write(d10, "compact-ccc-0.parquet", sorted(a + b, key=lambda r: r[1]))
    (d10 / "_replaced-ccc.json").write_text(json.dumps({"new": ["compact-ccc-0.parquet"],
                                                        "old": ["part-aaa-0.parquet", "scan-bbb-0.parquet"],
                                                        "published": True, "at": 0}))
    _old_write(d10, "part-ddd-0.parquet", [_row("P9", "V9", 9)], index=False)
    (d10 / "_index-part-ddd.json").write_text(json.dumps({"files": ["part-ddd-0.parquet", "part-ddd-1.parquet"],
                                                          "place": [None, None], "person": [None, None]}))
    c = [_row("P4", "V1", 5, day=11)]
    _old_write(d11, "part-eee-0.parquet", c)
    (lake / "venue_visits" / "_meta.json").write_text(json.dumps({"max_span_seconds": 0}))
    return set(a + b + c)


def _rows(lake: Path) -> list[tuple]:
    files = store.all_files(lake, "venue_visits")
    return sorted(tuple(r.values()) for f in files for r in pq.read_table(f).to_pylist())


def test_migrate_converts_the_rows_the_old_readers_read_and_resumes(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    want = _old_lake(lake)
    with pytest.raises(InvalidInput, match="lake migrate"):
        store.files_for_days(lake, "venue_visits")

    import deltalake

    calls = []
    original = deltalake.write_deltalake

    def dies_on_second_day(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return original(*a, **k)

    monkeypatch.setattr(deltalake, "write_deltalake", dies_on_second_day)
    with pytest.raises(KeyboardInterrupt):
        migrate.migrate(lake)
    monkeypatch.setattr(deltalake, "write_deltalake", original)
    with pytest.raises(InvalidInput, match="lake migrate"):   # part-way: still refused
        store.files_for_days(lake, "venue_visits")

    done = migrate.migrate(lake)
    assert [(m.day, m.rows) for m in done] == [(date(2022, 3, 11), 1)]   # day 10 was committed by the first run
    assert sorted(_rows(lake)) == sorted(want)
    for d in (lake / "venue_visits").glob("day=*"):
        assert not (d / "by_person").exists() and not list(d.glob("_*.json"))
        assert sorted(str(p) for p in d.glob("*.parquet")) == \
            store.files_for_days(lake, "venue_visits", {date.fromisoformat(d.name[4:])})
    assert migrate.migrate(lake) == []                                  # nothing left to do
    assert sorted(_rows(lake)) == sorted(want)
    assert store.read_meta(lake, "venue_visits") == {"max_span_seconds": 0}
