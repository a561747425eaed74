"""Run the `fangkong` CLI in-process, the way a user types it."""

from __future__ import annotations

from typer.testing import CliRunner

from fangkong.cli import app

runner = CliRunner()


def fk(*args: str):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result
