"""The trace worker: one thread that runs a trace's lake queries and assembly (DuckDB and Arrow, no session)
while the session's thread reads and writes records; and the garbage collector paused while a trace runs."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from fangkong.lake.queries import Lake

__all__ = ["gc_paused", "soon"]


_WORKER: list[ThreadPoolExecutor] = []
_WORKER_LOCK = threading.Lock()
_INHERITED_WORKERS: list[ThreadPoolExecutor] = []


def _after_fork_in_child() -> None:
    """A forked child has no worker thread: the inherited executor would queue work nobody runs."""
    global _WORKER_LOCK
    _INHERITED_WORKERS.extend(_WORKER)
    _WORKER.clear()
    _WORKER_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def soon(lake: Lake, fn, *args) -> Future:
    """`fn(*args)` (lake queries or assembly: no session, no ORM object) on the trace worker thread, so that its
    DuckDB work overlaps this thread's record look-ups, venue queries and writes; the result is taken with .result(),
    which raises what fn raised. One worker, kept: its DuckDB connection keeps the Parquet footers cached
    between traces. Other engines run fn here and now (a Spark job is parallel by itself)."""
    if lake.engine != "duckdb":
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - raised again by .result(), as from the worker
            done.set_exception(exc)
        return done
    with _WORKER_LOCK:
        if not _WORKER:
            _WORKER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangkong-trace"))
    return _WORKER[0].submit(fn, *args)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a trace runs: a city-scale trace makes hundreds of thousands of
    short-lived tuples (rows fetched, evidence pieces), and each collection they trigger walks the whole heap.
    Reference counting still frees them; cycles wait until the end."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
