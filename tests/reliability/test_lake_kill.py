"""kill -9 in the middle of a compaction or a purge: the table is at a committed version (every file it lists is
there and readable, each row once), and running the command again completes it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from fangkong.lake import store
from fangkong.lake.ingest import sorted_rows

pytestmark = pytest.mark.slow

_RUN = r"""
import sys
from datetime import date
from pathlib import Path
from fangkong.lake import compact, retention
lake, what = Path(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
if what == "compact":
    compact.compact(lake, grace_s=0)
else:
    retention.purge(lake, date(2022, 3, 12), tz="UTC")
print("done", flush=True)
"""


def _lake(lake: Path) -> None:
    """Four days of venue visits, each of 8 writes (as scan flushes leave them)."""
    con = duckdb.connect()
    for w in range(8):
        con.execute(f"""CREATE OR REPLACE TABLE src AS SELECT 'P' || lpad((hash(i + {w}) % 50000)::VARCHAR, 6, '0')
                        AS person_id, 'V' || lpad((hash(i * 7 + {w}) % 3000)::VARCHAR, 5, '0') AS venue_id,
                        TIMESTAMP '2022-03-10 00:00:00' + to_seconds(hash(i * 13 + {w}) % 86400) AS enter_at,
                        NULL::TIMESTAMP AS leave_at, DATE '2022-03-10' + (i % 4)::INT AS day
                        FROM range({w * 40_000}, {(w + 1) * 40_000}) t(i)""")
        days = [date(2022, 3, 10 + d) for d in range(4)]
        store.commit_day_rows(lake, "venue_visits", days,
                              lambda snap: (sorted_rows(con, "src", "venue_visits"), 40_000))


def _state(lake: Path) -> tuple[int, list[tuple]]:
    """The latest version and its rows; every file it lists must be there."""
    dt = store.open_table(lake, "venue_visits", fresh=True)
    files = store.all_files(lake, "venue_visits")
    missing = [f for f in files if not Path(f).is_file()]
    assert not missing, f"version {dt.version()} lists files that are gone: {missing[:3]}"
    rows = duckdb.sql(f"SELECT person_id, venue_id, enter_at, leave_at, day FROM read_parquet({files!r}, "
                      "hive_partitioning = true, hive_types = {'day': DATE})").fetchall() if files else []
    return dt.version(), sorted(rows, key=repr)


def _killed(lake: Path, what: str, delay: float) -> bool:
    p = subprocess.Popen([sys.executable, "-c", _RUN, str(lake), what], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    out, _ = p.communicate(timeout=120)
    return "done" not in out


@pytest.mark.parametrize("what", ["compact", "purge"])
def test_a_killed_compaction_or_purge_leaves_a_committed_version(tmp_path, what):
    lake = tmp_path / "lake"
    _lake(lake)
    v0, rows = _state(lake)
    assert len(rows) == 320_000
    kept = [r for r in rows if r[4] >= date(2022, 3, 12)]
    cut = 0
    for delay in (0.05, 0.3, 0.6, 1.0, 1.5):
        cut += _killed(lake, what, delay)
        version, now = _state(lake)
        if what == "compact":
            assert now == rows                   # every row once, whatever version it stopped at
        else:
            assert now in (rows, kept)           # the old days whole, or gone whole
    assert cut, "every run ended before it could be killed"
    r = subprocess.run([sys.executable, "-c", _RUN, str(lake), what], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    version, now = _state(lake)
    assert version > v0
    if what == "compact":
        assert now == rows
        assert {d: len(store.files_for_days(lake, "venue_visits", {d})) for d in store.day_dirs(lake, "venue_visits")} \
            == {date(2022, 3, 10 + d): 1 for d in range(4)}
    else:
        assert now == kept and sorted(store.day_dirs(lake, "venue_visits")) == [date(2022, 3, 12), date(2022, 3, 13)]
        assert not any((lake / "venue_visits" / "day=2022-03-10").glob("*.parquet"))   # purged from disk too
