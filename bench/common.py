"""Shared by the benchmarks: a generated city imported into a throw-away store under bench/out/."""

from __future__ import annotations

import os
import resource
import socket
import time
from contextlib import contextmanager
from pathlib import Path

OUT = Path(__file__).parent / "out"


def point_settings(folder: Path) -> None:
    os.environ["FANGKONG_DATABASE_URL"] = f"sqlite:///{(folder / 'fangkong.db').resolve()}"
    os.environ["FANGKONG_LAKE"] = str((folder / "lake").resolve())
    from fangkong.db.core import get_engine
    from fangkong.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()


def free_port() -> int:
    """A loopback port free now (the OS picks it; the socket is closed before a server binds it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(store: dict, key: str):
    t0 = time.perf_counter()
    yield
    store[key] = time.perf_counter() - t0


def machine() -> str:
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
