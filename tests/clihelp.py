"""Run the `fangkong` CLI in-process, the way a user types it."""

from __future__ import annotations

from typer.testing import CliRunner

from fangkong.cli import app

runner = CliRunner()


def fk(*args: str):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result


def set_clock(monkeypatch, when: str) -> None:
    """Run what follows at `when` (FANGKONG_NOW, an ISO instant): the clock starts there and runs on."""
    from fangkong.db.core import restart_clock
    from fangkong.settings import get_settings

    monkeypatch.setenv("FANGKONG_NOW", when)
    get_settings.cache_clear()
    restart_clock()
