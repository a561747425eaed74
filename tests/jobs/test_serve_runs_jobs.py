"""`fangkong serve` runs the scheduled jobs by default: a file dropped into its inbox is imported by the running
server, as by hand, and the jobs page of that server says so."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from builders.city import load, person, venue, write_city, write_csv
from sqlalchemy import select

from fangkong.jobs.models import InboxFile, ScheduledJob
from fangkong.kit.clikit import unit_of_work


@pytest.mark.slow
def test_a_file_dropped_into_a_running_servers_inbox_is_imported(env, tmp_path):
    load(write_city(tmp_path / "city", [person(1), person(2)], [venue("V1")], []))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    inbox = tmp_path / "inbox"
    proc = subprocess.Popen([sys.executable, "-m", "fangkong.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            env={**os.environ, "FANGKONG_JOBS": "1", "FANGKONG_JOBS_TICK": "0.5",
                                 "FANGKONG_INBOX": str(inbox), "FANGKONG_INBOX_SETTLE": "0"})
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (inbox / "venue_visits").is_dir():
            time.sleep(0.3)
        write_csv(inbox / "venue_visits" / "scans.csv.part",
                  [{"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-12T12:00+08:00", "leave_at": ""},
                   {"person_id": "P00009", "venue_id": "V1", "enter_at": "2022-03-12T12:05+08:00", "leave_at": ""}]
                  ).rename(inbox / "venue_visits" / "scans.csv")
        taken = []
        while time.monotonic() < deadline and not taken:
            with unit_of_work() as session:
                taken = list(session.scalars(select(InboxFile)))
            time.sleep(0.3)
        with unit_of_work() as session:
            jobs = {j.name: j for j in session.scalars(select(ScheduledJob))}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    (f,) = taken
    assert (f.feed, f.rows, f.inserted, f.rejected) == ("venue_visits", 2, 1, 1)
    assert list((inbox / "venue_visits" / "archive").rglob("scans.csv.rejects.csv"))
    assert jobs["inbox.scan"].runs >= 1 and jobs["codes.recolour"].last_status == "ok"
