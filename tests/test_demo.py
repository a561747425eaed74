"""`fangkong demo --no-serve`: the whole flow on a small city, as a user runs it (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end_and_prints_the_bulletin(tmp_path):
    exe = Path(sys.executable).parent / "fangkong"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    r = subprocess.run([str(exe), "demo", "--persons", "3000", "--days", "5", "--no-serve", "--dir",
                        str(tmp_path / "demo")], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert "本市疫情防控办通报" in out
    assert "新增本土感染者2例" in out and "隔离管控中发现1例" in out
    assert "http://127.0.0.1:8000/" in out
    assert "citizen (= P" in out and "venue D000001 at " in out and "checkpoint D000002: fkd_" in out
    assert (tmp_path / "demo" / "fangkong.db").is_file()
    assert any((tmp_path / "demo" / "lake" / "venue_visits").glob("day=*/*.parquet"))
    assert "trace C000001" in r.stderr  # the timings table
    # issue 6: teams, rooms and transfer tasks assigned, overdue items shown, rooms and beds in the bulletin
    assert "12 teams on duty" in r.stderr and "rooms used of" in r.stderr and "overdue at day end" in r.stderr
    assert "隔离点已用房间" in out and "定点医院占用床位2张" in out
    # the outbreak starts from a pooled round: a positive 10:1 pool, single re-tests, the re-check
    assert "pooled round R1" in r.stderr and "3,000 swabbed in 300 tubes" in r.stderr
    assert (tmp_path / "demo" / "testing" / "recheck" / "lab_results.csv").is_file()
