"""Codes recolour on commit because api and cli install it when they start (the cli before any command runs, not
for `fangkong --help`), not because something imported codes.service (each check runs in a fresh interpreter:
this test process has it installed by conftest)."""

from __future__ import annotations

import subprocess
import sys

import pytest

_CHECK = """
{start}
from sqlalchemy import event
from sqlalchemy.orm import Session
from fangkong.codes import service
print(event.contains(Session, "before_commit", service._recompute_changed),
      event.contains(Session, "after_rollback", service._forget_changed))
"""


_STARTS = {"fangkong.api": "import fangkong.api",
           "fangkong.cli": "from typer.testing import CliRunner\nfrom fangkong.cli import app\n"
                           "assert CliRunner().invoke(app, ['jobs', '--help']).exit_code == 0",
           "fangkong.codes.service": "import fangkong.codes.service"}


def _installed_after_import(module: str) -> str:
    done = subprocess.run([sys.executable, "-c", _CHECK.format(start=_STARTS[module])], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# each check starts an interpreter that imports the api or the cli (~3-5 s on a quiet machine): make test runs
# them, test-fast not
@pytest.mark.slow
@pytest.mark.parametrize("module", ["fangkong.api", "fangkong.cli"])
def test_a_session_of_the_api_and_of_the_cli_recolours(module):
    assert _installed_after_import(module) == "True True"


@pytest.mark.slow
def test_importing_the_codes_service_installs_nothing():
    assert _installed_after_import("fangkong.codes.service") == "False False"


def test_installing_twice_recolours_once(monkeypatch, sqlite_env):
    from fangkong.codes import recolour as service
    from fangkong.db.core import session_scope

    taken = []
    monkeypatch.setattr(service, "take_changed", lambda session: taken.append(session) or (set(), None))
    service.install_recolour()
    service.install_recolour()
    with session_scope():
        pass
    assert len(taken) == 1
