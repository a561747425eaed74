"""Where a trace's work runs: the only module of the trace that knows about threads (STYLE.md rule 13).

A trace has two lanes. This thread holds the session: record look-ups and writes (SQLite or PostgreSQL). The
lake lane is one kept worker thread for what needs no session: lake queries and the assembly (DuckDB and Arrow),
so that the two overlap on two cores. The lake lane keeps its DuckDB connection, and with it the Parquet
footers, between traces. `soon` hands it a function; the domain steps never see a thread or a future: they take
and return plain values.

FANGKONG_TRACE_SERIAL=1 (for debugging: one stack, a profiler that sees everything) and the engines other than
DuckDB (a Spark job is parallel by itself) run every function on this thread when it is handed over, in the same
order; the answers are the same (tests/contacts/test_trace_exact.py runs under both).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from fangkong.lake.queries import Lake

__all__ = ["Later", "ahead", "fewer_collections", "serial", "soon"]

T = TypeVar("T")
A = TypeVar("A")

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


def serial() -> bool:
    """FANGKONG_TRACE_SERIAL set (and not 0): every lane's work runs on the calling thread."""
    return os.environ.get("FANGKONG_TRACE_SERIAL", "0") not in ("", "0")


class Later(Generic[T]):
    """A value the lake lane is computing; get() waits for it and raises what its function raised."""

    __slots__ = ("_future",)

    def __init__(self, future: Future) -> None:
        self._future = future

    def get(self, timeout: float | None = None) -> T:
        return self._future.result(timeout)


def _resolved(fn: Callable[..., T], args: tuple) -> T:
    return fn(*(a.get() if isinstance(a, Later) else a for a in args))


def soon(lake: Lake, fn: Callable[..., T], *args: Any) -> Later[T]:
    """fn(*args) on the lake lane: fn takes no session and no ORM object. An argument that is a Later is
    replaced by its value first (it was handed over before, so the one lake thread has computed it by then)."""
    if serial() or lake.engine != "duckdb":
        done: Future = Future()
        try:
            done.set_result(_resolved(fn, args))
        except Exception as exc:  # noqa: BLE001 - raised again by get(), as from the lake lane
            done.set_exception(exc)
        return Later(done)
    with _WORKER_LOCK:
        if not _WORKER:
            _WORKER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangkong-trace"))
    return Later(_WORKER[0].submit(_resolved, fn, args))


def ahead(items: Sequence[A], start: Callable[[A], list[Later[T]]]) -> Iterator[tuple[A, Iterator[T]]]:
    """Each item with its parts, in order, one item started ahead: `start(item)` runs on this thread and hands
    the item's parts to the lake lane; item n + 1 is started as soon as item n's first part is in, so that the
    lake lane computes n + 1 while this thread consumes (stores) n. Consume each item's parts before the next."""
    started = {0: start(items[0])} if items else {}
    for n, item in enumerate(items):
        yield item, _parts(items, start, started, n)


def _parts(items: Sequence[A], start: Callable[[A], list[Later[T]]], started: dict[int, list[Later[T]]],
           n: int) -> Iterator[T]:
    parts = started.pop(n)
    first = parts[0].get()
    if n + 1 < len(items):
        started[n + 1] = start(items[n + 1])
    yield first
    for part in parts[1:]:
        yield part.get()


#: the youngest generation's threshold while a trace runs (Python's default: 700 allocations)
TRACE_GEN0_THRESHOLD = 50_000
_TRACES = [0]
_SAVED_THRESHOLD: list[tuple[int, int, int]] = []
_TRACES_LOCK = threading.Lock()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While a trace runs, the cyclic garbage collector skips the objects that existed before it (gc.freeze) and
    makes its youngest pass every TRACE_GEN0_THRESHOLD allocations: a trace makes hundreds of thousands of
    short-lived tuples (rows fetched, evidence pieces), whose collections walked the whole heap of the process
    (bench/RESULTS.md). The collector stays on, for this thread and the others; the last trace to end restores
    the threshold and gives the frozen objects back to it (gc.unfreeze)."""
    with _TRACES_LOCK:
        if _TRACES[0] == 0:
            gc.freeze()
            _SAVED_THRESHOLD[:] = [gc.get_threshold()]
            first, *older = _SAVED_THRESHOLD[0]
            gc.set_threshold(max(first, TRACE_GEN0_THRESHOLD), *older)
        _TRACES[0] += 1
    try:
        yield
    finally:
        with _TRACES_LOCK:
            _TRACES[0] -= 1
            if _TRACES[0] == 0:
                gc.set_threshold(*_SAVED_THRESHOLD.pop())
                gc.unfreeze()
