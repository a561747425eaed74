"""`fangkong serve`: one listener for everything (the demo), or two (an office open to the public).

With a public port (FANGKONG_PUBLIC_PORT or --public-port), the citizens' and devices' routes are served by a
process of their own (`fangkong.api:public_app`, which answers 404 to every staff route), at a lower OS
priority, on their own port; the main port keeps serving the staff from the main process. A flood of the
public port then fills the public process's event loop, pools and threads, never the staff's: the two share
only the record store and, on one machine, the CPU, where the public process yields (nice).

The main process watches the public one: it is restarted when it dies (killed for memory, a crash), and it
ends with the main process (it is told so by the kernel if the main process is killed outright).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

__all__ = ["PublicProcess", "lower_priority", "public_command"]

log = logging.getLogger("fangkong.serving")

#: a public process that dies this soon after its start this many times in a row is not started again (a taken
#: port, a bad setting: restarting would only repeat the error)
_QUICK_DEATH_S, _QUICK_DEATHS = 5.0, 3


def public_command(host: str, port: int) -> list[str]:
    """The command line of the public listener's process (this Python, this fangkong)."""
    return [sys.executable, "-m", "fangkong.cli", "serve", "--listener", "public", "--host", host,
            "--port", str(port)]


def lower_priority(nice: int) -> None:
    """Yield the CPU to the staff process (Linux/Unix nice; nothing elsewhere)."""
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError as exc:   # not permitted here: serve at the normal priority
            log.warning("could not lower the public process's priority: %s", exc)


def _death_signal():
    """A function for the child between fork and exec (resolved here, in the parent: nothing is imported or
    loaded in the child, where another thread's lock could be held): the kernel sends the child SIGTERM when
    the main process dies, however it dies (Linux PR_SET_PDEATHSIG); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)


class PublicProcess:
    """The public listener's process, started, watched and restarted by the main one."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()   # a restart and a stop never cross
        self._preexec = _death_signal()
        self._watcher = threading.Thread(target=self._watch, name="fangkong-public-listener", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        # its own session: a Ctrl-C in the terminal reaches the main process, which ends this one in order
        self.proc = subprocess.Popen(self.command, start_new_session=True, preexec_fn=self._preexec)
        self._started = time.monotonic()

    def _watch(self) -> None:
        quick = 0
        while not self._stopping.is_set():
            assert self.proc is not None
            code = self.proc.wait()
            if self._stopping.is_set():
                return
            quick = quick + 1 if time.monotonic() - self._started < _QUICK_DEATH_S else 0
            if quick >= _QUICK_DEATHS:
                log.error("the public listener exited %d times at start (last code %s): not restarted; the "
                          "staff listener goes on", quick, code)
                return
            log.error("the public listener exited (code %s): restarting it", code)
            time.sleep(1)
            with self._lock:
                if not self._stopping.is_set():
                    self._spawn()

    def stop(self, timeout: float = 15) -> None:
        with self._lock:
            self._stopping.set()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
