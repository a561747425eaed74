"""A `fangkong worker` process whose only job is a probe (tests/jobs): each run appends (pid, scheduled instant,
start, end) to a file and sleeps, so that a test can see whether two workers ever ran it at once or twice.

    python tests/jobs/probe_worker.py LOG SECONDS_PER_RUN EVERY_S [worker options]

The product has no test hook: this wraps the real command in the process the test starts."""

from __future__ import annotations

import json
import os
import sys
import time

from fangkong.jobs import registry
from fangkong.jobs.runner import Job
from fangkong.protocol.schedule import Every


def main() -> None:
    log, seconds, every = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

    def probe(settings, now):
        start = time.time()
        time.sleep(seconds)
        line = json.dumps({"pid": os.getpid(), "now": now.isoformat(), "start": start, "end": time.time()})
        with open(log, "a") as fh:   # one short append: whole lines from several processes
            fh.write(line + "\n")
        return {"pid": os.getpid()}

    registry.JOBS[:] = [Job("probe", Every(every), probe, "job")]
    from fangkong.cli import app

    sys.argv = ["fangkong", "worker", *sys.argv[4:]]
    app()


if __name__ == "__main__":
    main()
