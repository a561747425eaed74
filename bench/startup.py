"""Benchmark: start-up of the `fangkong` command (issue 27), wall time of a fresh process, best of N.

    .venv/bin/python bench/startup.py [--runs 7] [--python /path/to/other/.venv/bin/python]

Measures `fangkong --help` and `fangkong codes show P1` (a person in a small migrated SQLite store), each in a new
interpreter as a user starts it; baseline (same run, same interpreter): importing every module the CLI imported
eagerly before issue 27 (every domain's commands, the models, the flows, the jobs, codes.service), which is what
every command paid then. `--python` runs the same figures with another checkout's interpreter (the 'before' of
bench/RESULTS.md: a worktree of the older main with its own .venv).

Compiled bytecode is used as an installed fangkong uses it: the first (unmeasured) run of each command writes the
.pyc files (PYTHONDONTWRITEBYTECODE is unset for the children: with it, and a venv installed without bytecode, every
start compiles every module from source, about twice the time).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

#: what `import fangkong.cli` imported before issue 27 (fangkong/cli.py at 52b2cfa), module by module
EAGER = ["fangkong.models", "fangkong.flows", "fangkong.importer", "fangkong.assist.commands",
         "fangkong.assist.inputs.commands", "fangkong.auth.users.commands", "fangkong.auth.audit.commands",
         "fangkong.auth.devices.commands",
         "fangkong.cases.service", "fangkong.codes.citizens.commands", "fangkong.codes.commands",
         "fangkong.codes.service", "fangkong.contacts.teams.commands", "fangkong.demo", "fangkong.jobs.registry",
         "fangkong.jobs.commands", "fangkong.jobs.runner", "fangkong.kit.clikit", "fangkong.lake.compact",
         "fangkong.lake.retention", "fangkong.measures.checkins.commands", "fangkong.measures.commands",
         "fangkong.measures.hospitals.commands", "fangkong.measures.sites.commands",
         "fangkong.measures.verification.commands", "fangkong.people.commands", "fangkong.reports.commands",
         "fangkong.sim.commands", "fangkong.tasks.commands", "fangkong.testing.commands", "fangkong.zones.commands"]

PERSONS = ("person_id,name,id_number,phone,household_id,community,address,birth_date,sex\n"
           "P1,Li Lei,,13800000001,H1,140105001001,1 Road,1990-01-01,M\n")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(python: str, args: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess, float]:
    t0, c0 = time.perf_counter(), _cpu()
    # in the store's folder: `python -c` puts the working directory first on sys.path, and a checkout's own
    # fangkong/ there would be imported instead of the interpreter's
    done = subprocess.run([python, *args], capture_output=True, text=True, env=env, check=False, timeout=300,
                          cwd=env["FANGKONG_LAKE"].rsplit("/", 1)[0])
    return time.perf_counter() - t0, done, _cpu() - c0


def _best(python: str, args: list[str], env: dict, runs: int, expect: str = "") -> tuple[float, float]:
    """Best wall time and best CPU time (user + system: less swayed by other work on the machine) of `runs`."""
    _, done, _ = _run(python, args, env)   # writes the bytecode; not measured
    if done.returncode != 0 or expect not in done.stdout + done.stderr:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    runs_ = [_run(python, args, env) for _ in range(runs)]
    return min(r[0] for r in runs_), min(r[2] for r in runs_)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="runs of each command (best is shown)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter whose fangkong is measured")
    args = ap.parse_args()
    cli = "from fangkong.cli import main; main()"
    with tempfile.TemporaryDirectory(prefix="fangkong-startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_") and k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"FANGKONG_DATABASE_URL": f"sqlite:///{tmp}/fangkong.db", "FANGKONG_LAKE": f"{tmp}/lake",
                "FANGKONG_JOBS": "0", "COLUMNS": "100"}
        (Path(tmp) / "city").mkdir()
        (Path(tmp) / "city" / "persons.csv").write_text(PERSONS, encoding="utf-8")
        _, done, _ = _run(args.python, ["-c", cli, "import", f"{tmp}/city"], env)
        if done.returncode != 0:
            raise SystemExit(f"import failed:\n{done.stderr}")
        where = _run(args.python, ["-c", "import fangkong; print(fangkong.__file__.rsplit('/', 2)[0])"],
                     env)[1].stdout.strip()
        figures = {
            "python -c pass (the floor)": _best(args.python, ["-c", "pass"], env, args.runs),
            "import typer (the floor of any typer CLI)": _best(args.python, ["-c", "import typer"], env, args.runs),
            "baseline: the eager imports before issue 27": _best(
                args.python, ["-c", "import " + ", ".join(EAGER)], env, args.runs),
            "fangkong --help": _best(args.python, ["-c", cli, "--help"], env, args.runs, "codes"),
            "fangkong codes show P1": _best(args.python, ["-c", cli, "codes", "show", "P1"], env, args.runs, "P1"),
        }
    print(f"start-up, best of {args.runs} fresh processes — {machine()}, load {os.getloadavg()[0]:.1f}")
    print(f"interpreter: {args.python}, fangkong from {where}")
    width = max(map(len, figures))
    base, base_cpu = figures["baseline: the eager imports before issue 27"]
    print(f"  {'':<{width}}  {'wall':>7}     {'cpu':>7}")
    for name, (s, cpu) in figures.items():
        ratio = f"  baseline / this = {base / s:.1f}× wall, {base_cpu / cpu:.1f}× cpu" \
            if name.startswith("fangkong") else ""
        print(f"  {name:<{width}}  {s * 1000:7.0f} ms  {cpu * 1000:7.0f} ms{ratio}")


if __name__ == "__main__":
    main()
