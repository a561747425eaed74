"""A killed import leaves the store as before or after it, and running it again completes it (FORMATS.md).

`fangkong import` runs as a subprocess over a generated city (2 000 persons, their venues, tens of thousands of lake rows);
it is killed with SIGKILL once the lake has started writing, or dies right after a given file was committed (the
fault injection of tests/reliability/faults.py, between the record write and the lake write); the re-run must
leave the same counts and content hashes as one clean import, on both stores.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults import CRASHED, crashing_cli
from storesnap import records, snapshot, wipe_records

from fangkong.sim.city import generate_city

_CLI = "from fangkong.cli import main; main()"

pytestmark = [pytest.mark.both_stores, pytest.mark.slow]


@pytest.fixture(scope="module")
def big_city(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "city"
    generate_city(folder, persons=2000, days=2, seed=11)
    return folder


def run_import(folder: Path, crash: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", crashing_cli(crash) if crash else _CLI, "import", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def completed(folder: Path) -> None:
    p = run_import(folder)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]


def clean_store(settings) -> None:
    wipe_records()
    shutil.rmtree(settings.lake, ignore_errors=True)


def lake_writing(root: Path) -> bool:
    """A lake write has begun: a staging folder of a publish (not DuckDB's spill folder) exists."""
    staging = root / ".staging"
    return staging.is_dir() and any(d.name != "spill" for d in staging.iterdir())


def test_killed_or_crashed_imports_converge_to_one_clean_import(env, big_city):
    completed(big_city)
    clean = snapshot(env)
    assert clean["persons"][0] > 1500 and clean["lake.venue_visits"][0] > 5000 and clean["lake.cell_dwells"][0]
    clean_store(env)

    # dead right after the record tables (before any lake write), then right after the first lake table
    for point in ("after_records", "after_venue_visits"):
        p = run_import(big_city, crash=point)
        _, err = p.communicate(timeout=300)
        assert p.returncode == CRASHED, err[-2000:]
        half = snapshot(env)
        assert half["persons"] == clean["persons"] and half["venues"] == clean["venues"]
        assert half["lake.venue_visits"][0] == (clean["lake.venue_visits"][0] if point != "after_records" else 0)
        assert half["lake.cell_dwells"][0] == 0    # a table is there whole or not at all, never in between
    completed(big_city)
    assert snapshot(env) == clean

    # SIGKILL once the lake has started writing, then the same import again
    clean_store(env)
    p = run_import(big_city)
    deadline = time.monotonic() + 240
    while not lake_writing(env.lake) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    partial = records()
    assert partial["persons"] == clean["persons"] and partial["venues"] == clean["venues"]   # committed first
    assert snapshot(env) != clean
    completed(big_city)
    assert snapshot(env) == clean
