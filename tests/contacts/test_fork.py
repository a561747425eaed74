"""A process forked after a trace (a pre-forking server, multiprocessing) traces too: it gets its own worker
thread and DuckDB connections instead of the parent's, which do not exist or are not safe in the child."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
from test_flow import declare_and_trace

from fangkong.contacts import lanes, steps
from fangkong.lake.queries import Lake

TZ = ZoneInfo("Asia/Shanghai")


def _visits(lake: Lake) -> list[dict]:
    who = steps.who_table([("k", "P00001", int(datetime(2022, 3, 9, tzinfo=TZ).timestamp()),
                               int(datetime(2022, 3, 12, tzinfo=TZ).timestamp()))])
    dwell = pa.table({"venue_id": ["V1", "V2"], "dwell_s": [3600, 1800]})
    on_worker = lanes.soon(lake, lake.own_intervals, who, dwell).get(timeout=60)
    here = lake.own_intervals(who, dwell)
    assert on_worker.equals(here)
    return here.to_pylist()


def test_a_forked_child_traces_with_its_own_worker_and_connections(env, tmp_path):
    declare_and_trace(tmp_path)          # the parent has traced: its worker thread and connections exist
    lake = Lake(env.lake)
    expected = _visits(lake)
    assert expected
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                         # the child: answer through the pipe, never return into pytest
        code = 1
        try:
            os.close(read)
            os.write(write, json.dumps(_visits(Lake(env.lake))).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung: it waited for the parent's worker thread")
        time.sleep(0.05)
    with os.fdopen(read, "rb") as fh:
        got = fh.read()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert json.loads(got) == json.loads(json.dumps(expected, default=str))
