"""Shared by the benchmarks: a generated city imported into a throw-away store under bench/out/."""

from __future__ import annotations

import os
import resource
import socket
import threading
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


def page_store(folder: Path) -> None:
    """The store of a benchmark that serves pages: settings pointing into `folder`, migrated to head; generated
    data, so the server may start with the demo secret."""
    point_settings(folder)
    os.environ["FANGKONG_DEMO"] = "1"
    from fangkong.db.migrate import upgrade
    from fangkong.settings import get_settings

    upgrade(get_settings().database_url)


def serve_api():
    """fangkong.api in a uvicorn server on a free loopback port, on a thread of this process, once it listens:
    (the server, whose `should_exit = True` stops it; its base URL)."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config("fangkong.api:app", host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    return srv, f"http://127.0.0.1:{port}"


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
