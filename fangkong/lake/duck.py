"""DuckDB connections kept one per thread for the life of the process (a new one costs ~20 ms, and a kept one
keeps its Parquet footers cached between traces)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb

__all__ = ["thread_connection"]

_CONNECTIONS: dict[tuple[str, int], duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()


def thread_connection(purpose: str, setup: Callable[[duckdb.DuckDBPyConnection], None]) -> duckdb.DuckDBPyConnection:
    """This thread's connection for `purpose`, made and `setup` on first use.

    Kept in a module dict keyed by thread id, not in a threading.local: a forked child (a subprocess started
    with a preexec function, as PySpark starts Java) frees the other threads' thread-locals, and a DuckDB
    connection destroyed there crashes the child (its scheduler's threads do not exist after a fork). A thread
    id reused by a later thread gets the finished thread's connection, which nothing else uses any more."""
    key = (purpose, threading.get_ident())
    con = _CONNECTIONS.get(key)
    if con is None:
        con = duckdb.connect()
        setup(con)
        with _LOCK:
            _CONNECTIONS[key] = con
    return con
