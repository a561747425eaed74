"""`fangkong lake purge`: raw location data past retention is gone (files, DuckDB, trace); newer days untouched."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
from clihelp import fk
from test_flow import city

from fangkong.lake import store


def day_files(lake, table: str) -> dict[str, str]:
    """Every Parquet file of a table (path relative to the lake) → hash of its bytes."""
    return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in map(Path, store.all_files(lake, table))}


def duck_count(lake, table: str, where: str = "") -> int:
    files = store.all_files(lake, table)
    if not files:
        return 0
    return duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r}, hive_partitioning=true) {where}").fetchall()[0][0]


def traced(case_id: str) -> dict[str, str]:
    r = fk("trace", case_id, "--format", "json")
    assert r.exit_code == 0, r.output
    return {p["person_id"]: p["category"] for p in json.loads(r.stdout)["risk_persons"]}


def test_purge_removes_old_days_and_keeps_newer_ones(rollback_env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    case_id = fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00",
                 "--isolated-at", "2022-03-11T20:00").stdout.strip()
    before = traced(case_id)
    assert before["P00003"] == "close" and before["P00007"] == "companion"   # V1 on 03-10, a cell on 03-10
    kept = {k: v for k, v in day_files(rollback_env.lake, "venue_visits").items() if "day=2022-03-11" in k}
    assert kept and duck_count(rollback_env.lake, "venue_visits") == 6 and duck_count(rollback_env.lake, "cell_dwells") == 2

    # 21 days kept: on 03-31 the 10th is exactly 21 days old and stays; on 04-01 it goes
    r = fk("lake", "purge", "--today", "2022-03-31")
    assert r.exit_code == 0 and "0 rows in 0 day partitions removed" in r.stdout
    r = fk("lake", "purge", "--today", "2022-04-01", "--dry-run")
    assert "6 rows in 2 day partitions would be removed" in r.stdout and duck_count(rollback_env.lake, "venue_visits") == 6
    r = fk("lake", "purge", "--today", "2022-04-01")
    assert r.exit_code == 0, r.output
    assert "venue_visits" in r.stdout and "2022-03-10" in r.stdout and "6 rows in 2 day partitions removed" in r.stdout

    assert sorted(store.day_dirs(rollback_env.lake, "venue_visits")) == [date(2022, 3, 11)]
    assert store.day_dirs(rollback_env.lake, "cell_dwells") == {}
    assert day_files(rollback_env.lake, "venue_visits") == kept                     # the newer day byte for byte
    assert duck_count(rollback_env.lake, "venue_visits") == 2 and duck_count(rollback_env.lake, "cell_dwells") == 0
    assert duck_count(rollback_env.lake, "venue_visits", "WHERE enter_at < '2022-03-10 16:00'") == 0
    after = traced(case_id)
    assert "P00003" not in after and "P00007" not in after and after["P00002"] == "close"   # household stays


def test_purge_before_a_date_and_the_journal(sqlite_env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    journal = sqlite_env.lake / ".journal" / f"venue_visits.{dead.pid}.abc.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(json.dumps(["P00001", "V1", "2022-03-09T10:00:00+08:00", None]) + "\n"
                       + json.dumps(["P00002", "V1", "2022-03-12T10:00:00+08:00", None]) + "\n")
    r = fk("lake", "purge", "--before", "2022-03-11")
    assert r.exit_code == 0 and "(unflushed scans)" in r.stdout
    assert [json.loads(x)[0] for x in journal.read_text().splitlines()] == ["P00002"]
    assert duck_count(sqlite_env.lake, "venue_visits") == 2
    r = fk("lake", "purge", "--before", "2022-03-11", "--retention-days", "3")
    assert r.exit_code == 1 and "not both" in r.output


def test_purge_removes_day_old_staging_of_killed_imports(sqlite_env):
    staging = sqlite_env.lake / ".staging"
    old, fresh, spill = staging / "aaa", staging / "bbb", staging / "spill"
    for d in (old / "venue_visits" / "day=2022-03-10", fresh, spill):
        d.mkdir(parents=True)
    (old / "venue_visits" / "day=2022-03-10" / "part-1.parquet").write_bytes(b"x")
    (spill / "duckdb_temp_block-1.block").write_bytes(b"x")
    (spill / "duckdb_temp_block-2.block").write_bytes(b"x")
    day_ago = time.time() - 25 * 3600
    for p in (old, spill / "duckdb_temp_block-1.block"):
        os.utime(p, (day_ago, day_ago))
    r = fk("lake", "purge", "--before", "2022-03-01")
    assert r.exit_code == 0 and "(killed imports)" in r.stdout, r.stdout
    assert sorted(p.name for p in staging.iterdir()) == ["bbb", "spill"]
    assert [p.name for p in spill.iterdir()] == ["duckdb_temp_block-2.block"]
