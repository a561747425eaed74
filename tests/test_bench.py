"""Every bench script runs at a tiny size, as a user runs it, so that none rots (bench/pages.py answered 401 for
weeks once logins came). No timing is checked: the figures are for bench/RESULTS.md, not for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench"
#: modules of the benches, not benches
HELPERS = {"common", "bare_app", "ops_data"}
#: run at a tiny size in tests/reliability/test_flood.py (they need its live-server set-up)
ELSEWHERE = {"flood", "pages"}


def _trace(tmp: Path) -> list[str]:
    return ["--persons", "1500", "--days", "2", "--cases", "3", "--runs", "1", "--no-pandas",
            "--work", str(tmp / "city")]


#: script → (its tiny arguments, a line its output must hold); recolour reuses trace's city
TINY = {
    "trace": (_trace, "answers agree"),
    "recolour": (lambda tmp: ["--city", str(tmp / "city"), "--work", str(tmp / "recolour"), "--cases", "3",
                              "--runs", "1"], "recolour 11 days later"),
    "map_chains": (lambda tmp: ["--cases", "200", "--contacts", "3", "--persons", "2000", "--repeat", "1",
                                "--dir", str(tmp / "map-chains")], "chains first render"),
    "lab_import": (lambda tmp: ["--rows", "2000", "--baseline-rows", "500", "--persons", "1000"], ""),
    "overdue": (lambda tmp: ["--tasks", "2000", "--overdue", "100"], ""),
    "persons_clean": (lambda tmp: ["--persons", "2000"], ""),
    "resolve": (lambda tmp: ["--register", "2000", "--incoming", "500", "--subset", "100"], ""),
    "risk_store": (lambda tmp: ["--cases", "2", "--per-case", "100", "--store", "both"], ""),
    "startup": (lambda tmp: ["--runs", "1"], "fangkong codes show P1"),
    "scan": (lambda tmp: ["--persons", "500", "--seconds", "1", "--rounds", "1", "--connections", "4",
                          "--people", "50", "--devices", "2", "--citizens", "5"], "POST /api/scans (device)"),
}


def test_every_bench_script_is_run_by_the_tests():
    scripts = {p.stem for p in BENCH.glob("*.py")} - HELPERS
    assert scripts == set(TINY) | ELSEWHERE, "a bench script without a tiny run in the tests (add it to TINY)"


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bench")


@pytest.mark.slow
@pytest.mark.parametrize("script", list(TINY))
def test_a_bench_script_runs_at_tiny_size(script, bench_dir):
    if script == "recolour" and not (bench_dir / "city" / "cases-3.json").exists():
        _run("trace", bench_dir)   # whatever order the tests run in: recolour needs trace's city
    _run(script, bench_dir)


def _run(script: str, bench_dir: Path) -> None:
    args, expect = TINY[script]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    r = subprocess.run([sys.executable, str(BENCH / f"{script}.py"), *args(bench_dir)], capture_output=True,
                       text=True, env=env, timeout=900, check=False, cwd=bench_dir)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.strip() and expect in r.stdout, r.stdout[-3000:]
