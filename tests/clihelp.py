"""Run the `fangkong` CLI in-process, the way a user types it."""

from __future__ import annotations

import typer.main
import typer.testing
from typer.testing import CliRunner

from fangkong.cli import app

runner = CliRunner()

# typer's CliRunner turns the Typer app into its click commands at every invoke: a new root group, so every
# lazy group converted again (the signature and type hints of each of its commands), ~50 ms a call and several
# hundred calls in the scenario tests. A `fangkong` process builds the tree once; so does a test process. What
# a command does, parses or prints is the same.
_built: dict[int, object] = {}


def _command_of(typer_app: typer.Typer):
    if id(typer_app) not in _built:
        _built[id(typer_app)] = (typer_app, typer.main.get_command(typer_app))
    return _built[id(typer_app)][1]


typer.testing._get_command = _command_of


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
