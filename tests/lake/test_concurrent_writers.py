"""Two writer processes into the same day at once, no lock between them: a scan flusher and an importer. Both
land, and every row is stored exactly once (the day's application transaction in the Delta log: store.commit_day_rows).
Some rows are written by both, so a writer that dedupes against a stale version would store them twice."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb

from fangkong.lake import store

_SCANS = r"""
import sys, time
from datetime import datetime, timedelta
from pathlib import Path
from fangkong.lake.append import write_visits
lake, go, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
base = datetime(2022, 3, 10, 1, 0)
for r in range(rounds):
    # each flush: 20 rows of its own and 5 that the importer also writes
    rows = [(f"S{r:03d}{i:02d}", "V1", base + timedelta(minutes=r), None) for i in range(20)]
    rows += [(f"B{(r * 5 + i):04d}", "V2", base + timedelta(minutes=(r * 5 + i) % 600), None) for i in range(5)]
    write_visits(lake, rows, "UTC", stored=True)
"""

_IMPORTS = r"""
import sys, time, csv
from pathlib import Path
import pyarrow as pa
from fangkong.lake.files import read_table_file
from fangkong.lake.ingest import ingest_visits
from fangkong.lake.schemas import INCOMING
lake, go, rounds, folder = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
required, known = INCOMING["venue_visits"]
files = sorted(folder.glob("visits-*.csv"))
persons = pa.array(sorted({r["person_id"] for f in files for r in csv.DictReader(f.open())}), pa.string())
while not go.exists():
    time.sleep(0.005)
for f in files:
    ingest_visits(lake, read_table_file(f, required=required, known=known), venue_ids=["V1", "V2"],
                  person_ids=persons, tz="UTC")
"""


def _write_imports(folder: Path, rounds: int) -> int:
    """Import files of 100 rows each on the same day; the B rows also come from the scans."""
    folder.mkdir(parents=True)
    n = 0
    for r in range(rounds):
        lines = ["person_id,venue_id,enter_at,leave_at"]
        for i in range(100):
            k = r * 100 + i
            if k < 5 * rounds * 4:   # the rows the scan flushes write too (B0000…)
                minute = k % 600
                lines.append(f"B{k:04d},V2,2022-03-10T{1 + minute // 60:02d}:{minute % 60:02d}:00,")
            else:
                lines.append(f"I{k:05d},V1,2022-03-10T02:{k % 60:02d}:00,2022-03-10T03:00:00")
            n += 1
        (folder / f"visits-{r:03d}.csv").write_text("\n".join(lines) + "\n")
    return n


def test_a_scan_flusher_and_an_importer_into_the_same_day_store_every_row_once(tmp_path):
    lake, go, rounds = tmp_path / "lake", tmp_path / "go", 12
    _write_imports(tmp_path / "in", rounds)
    procs = [subprocess.Popen([sys.executable, "-c", _SCANS, str(lake), str(go), str(rounds * 4)],
                              stderr=subprocess.PIPE, text=True),
             subprocess.Popen([sys.executable, "-c", _IMPORTS, str(lake), str(go), str(rounds), str(tmp_path / "in")],
                              stderr=subprocess.PIPE, text=True)]
    time.sleep(1.0)   # both started (imports done at module level)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]

    files = store.all_files(lake, "venue_visits")
    rows = duckdb.sql(f"SELECT person_id, venue_id, enter_at, leave_at FROM read_parquet({files!r})").fetchall()
    assert len(rows) == len(set(rows)), "a row stored twice"
    scans = {(f"S{r:03d}{i:02d}", "V1") for r in range(rounds * 4) for i in range(20)}
    imports = {f"I{k:05d}" for k in range(rounds * 100) if k >= 5 * rounds * 4}
    both = {f"B{k:04d}" for k in range(5 * rounds * 4)}
    people = {r[0] for r in rows}
    assert {(r[0], r[1]) for r in rows if r[0].startswith("S")} == scans
    assert {p for p in people if p.startswith("I")} == imports
    assert {p for p in people if p.startswith("B")} == both
    assert len(rows) == len(scans) + len(imports) + len(both)
    history = store.open_table(lake, "venue_visits", fresh=True).history()
    writers = {h.get("fangkong.writer") for h in history}
    assert {"scan", "import"} <= writers
    # each commit of the day took its application transaction one higher: as many numbers as data commits
    dt = store.open_table(lake, "venue_visits")
    from datetime import date

    data_commits = sum(1 for h in history if h.get("fangkong.writer") in ("scan", "import"))
    assert dt.transaction_version(store.day_app("venue_visits", date(2022, 3, 10))) == data_commits
