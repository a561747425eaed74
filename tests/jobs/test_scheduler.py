"""The scheduler: a due run is claimed by one worker, a missed run is caught up once, a worker killed mid-job
loses its claim; with real `fangkong worker` processes on the real stores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fangkong.db.core import session_scope, utcnow
from fangkong.jobs import registry
from fangkong.jobs.models import JobRun, ScheduledJob
from fangkong.jobs.runner import Job, claim, ensure_jobs, run_due
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.schedule import DailyAt, Every

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("probe_worker.py")


def _worker_env(env, **extra) -> dict:
    return {**os.environ, "FANGKONG_DATABASE_URL": env.database_url, "FANGKONG_LAKE": str(env.lake),
            "PYTHONPATH": str(ROOT), **{k: str(v) for k, v in extra.items()}}


def _runs(name: str) -> list[JobRun]:
    with unit_of_work() as s:
        return list(s.scalars(select(JobRun).where(JobRun.name == name).order_by(JobRun.started_at)))


@pytest.mark.both_stores
def test_one_claim_wins_and_a_lapsed_claim_is_taken_over(env):
    now = utcnow()
    jobs = [Job("probe", Every(60), lambda s, n: {}, "job")]
    with unit_of_work() as s:
        ensure_jobs(s, jobs, now=now, settings=env)
        ensure_jobs(s, jobs, now=now, settings=env)   # a second worker starting: nothing more
    with session_scope() as s:
        first = claim(s, "probe", owner="a", now=now, lease_s=30)
    with session_scope() as s:
        assert claim(s, "probe", owner="b", now=now + timedelta(seconds=10), lease_s=30) is None
    with session_scope() as s:   # a's worker died: its claim lapsed, b runs the same scheduled run
        assert claim(s, "probe", owner="b", now=now + timedelta(seconds=31), lease_s=30) == first
    (run,) = _runs("probe")
    assert run.owner == "b" and "taken over from a" in run.error


@pytest.mark.both_stores
def test_a_failing_job_is_recorded_and_retried_sooner(env):
    def boom(settings, now):
        raise RuntimeError("disk full")

    jobs = [Job("boom", DailyAt(3), boom, "job")]
    with unit_of_work() as s:
        ensure_jobs(s, jobs, now=utcnow(), settings=env)
        s.get(ScheduledJob, "boom").next_run_at = utcnow() - timedelta(days=2)
    assert run_due(jobs, owner="w", settings=env) == {"boom": "failed"}
    with unit_of_work() as s:
        row = s.get(ScheduledJob, "boom")
        assert (row.failures, row.failing_since, row.lease_owner) == (1, 1, None)
        assert "disk full" in row.last_error
        assert row.next_run_at <= utcnow() + timedelta(seconds=301)
    assert run_due(jobs, owner="w", settings=env) == {}   # not due again at once


@pytest.mark.slow
@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_two_workers_on_postgres_never_run_a_job_twice(env, tmp_path):
    """Two real worker processes, one probe job due every 0.1 s taking 0.2 s a run, for ~8 s: runs never overlap,
    no scheduled instant is run twice, and both workers took turns."""
    log = tmp_path / "probe.log"
    procs = [subprocess.Popen([sys.executable, str(PROBE), str(log), "0.2", "0.1", "--tick", "0.05"],
                              env=_worker_env(env, FANGKONG_JOBS_LEASE=30), cwd=tmp_path) for _ in range(2)]
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            lines = log.read_text().splitlines() if log.exists() else []
            if len(lines) >= 25 and len({json.loads(x)["pid"] for x in lines}) == 2:
                break
            time.sleep(0.2)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
    runs = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(runs) >= 25 and {r["pid"] for r in runs} == {p.pid for p in procs}
    assert len({r["now"] for r in runs}) == len(runs)
    runs.sort(key=lambda r: r["start"])
    for a, b in zip(runs, runs[1:], strict=False):
        assert b["start"] >= a["end"] - 0.005, ("two runs at once", a, b)
    stored = _runs("probe")
    assert len({r.scheduled_for for r in stored}) == len(stored) >= len(runs)


@pytest.mark.slow
def test_a_missed_night_run_is_caught_up_once_on_restart(env, tmp_path):
    """The office was down at 02:00: a worker started later runs the backup at once, once, and schedules the next
    night's. The backup holds the record store and the lake."""
    from builders.city import load, person, venue, write_city

    load(write_city(tmp_path / "city", [person(1)], [venue("V1")],
                    [{"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-12T12:00+08:00", "leave_at": ""}]))
    with unit_of_work() as s:
        ensure_jobs(s, registry.JOBS, now=utcnow(), settings=env)
        s.get(ScheduledJob, "backup").next_run_at = utcnow() - timedelta(hours=30)   # missed yesterday's too
    backups = tmp_path / "backups"
    proc = subprocess.Popen([sys.executable, "-m", "fangkong.cli", "worker", "--job", "backup", "--tick", "0.2"],
                            env=_worker_env(env, FANGKONG_BACKUP_DIR=backups), cwd=tmp_path)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not [r for r in _runs("backup") if r.status != "running"]:
            time.sleep(0.2)
        time.sleep(1.0)   # a few more passes: nothing more is due
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    (run,) = _runs("backup")
    assert run.status == "ok", run.error
    with unit_of_work() as s:
        row = s.get(ScheduledJob, "backup")
        local = row.next_run_at.astimezone(env.zone)
        assert (local.hour, local.minute) == (2, 0) and row.next_run_at > utcnow()
    (folder,) = backups.glob("fangkong-*")
    assert (folder / "fangkong.db").stat().st_size > 0
    assert list((folder / "lake" / "venue_visits").rglob("*.parquet"))


@pytest.mark.slow
@pytest.mark.both_stores
def test_a_worker_killed_mid_job_is_finished_once_after_restart(env, tmp_path):
    log = tmp_path / "probe.log"
    cmd = [sys.executable, str(PROBE), str(log), "4", "3600", "--tick", "0.1"]
    first = subprocess.Popen(cmd, env=_worker_env(env, FANGKONG_JOBS_LEASE=2), cwd=tmp_path)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and not _runs("probe"):
        time.sleep(0.1)
    first.kill()   # mid-run: the probe sleeps 4 s before it writes
    first.wait()
    second = subprocess.Popen(cmd, env=_worker_env(env, FANGKONG_JOBS_LEASE=2), cwd=tmp_path)
    deadline = time.monotonic() + 150
    try:
        while time.monotonic() < deadline and not (_runs("probe") and _runs("probe")[0].status == "ok"):
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    (run,) = _runs("probe")
    assert run.status == "ok" and run.owner.split(":")[1] == str(second.pid) and "taken over" in run.error
    assert [json.loads(x)["pid"] for x in log.read_text().splitlines()] == [second.pid]
