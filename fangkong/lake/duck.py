"""DuckDB connections kept one per thread for the life of the process (a new one costs ~20 ms, and a kept one
keeps its Parquet footers cached between traces)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import duckdb

__all__ = ["thread_connection"]

_CONNECTIONS: dict[tuple[str, int], duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()
#: connections inherited by a forked child: never used there (a DuckDB database is not fork-safe) and never
#: destroyed (their destructors would wait for scheduler threads the child does not have)
_INHERITED: list[dict] = []


def _after_fork_in_child() -> None:
    global _CONNECTIONS, _LOCK
    _INHERITED.append(_CONNECTIONS)
    _CONNECTIONS, _LOCK = {}, threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def thread_connection(purpose: str, setup: Callable[[duckdb.DuckDBPyConnection], None]) -> duckdb.DuckDBPyConnection:
    """This thread's connection for `purpose`, made and `setup` on first use.

    Kept in a module dict keyed by thread id, not in a threading.local: a forked child (a subprocess started
    with a preexec function, as PySpark starts Java) frees the other threads' thread-locals, and a DuckDB
    connection destroyed there crashes the child (its scheduler's threads do not exist after a fork). A thread
    id reused by a later thread gets the finished thread's connection, which nothing else uses any more. A
    forked child starts with none."""
    key = (purpose, threading.get_ident())
    con = _CONNECTIONS.get(key)
    if con is None:
        con = duckdb.connect()
        setup(con)
        with _LOCK:
            _CONNECTIONS[key] = con
    return con
