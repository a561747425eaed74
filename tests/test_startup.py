"""Start-up (issue 27): `fangkong --help` imports no domain command and none of the heavy libraries, a light command
(`codes show`) only what it uses, and the lazy table of fangkong.cli says what the commands themselves say.
Each check runs `fangkong` in a fresh interpreter: this test process has imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from fangkong.cli import _LAZY, app

#: what `fangkong --help` paid before (3.2 s of imports): none of it is needed to list the commands
HEAVY = ("ibis", "duckdb", "pyarrow", "numpy", "pandas", "polars", "fastapi", "sqlalchemy", "alembic",
         "pydantic_settings", "fangkong.models", "fangkong.codes.service")
#: a health code shown reads the records only: no lake, no import machinery, no migration tool at head
NOT_FOR_CODES_SHOW = ("ibis", "duckdb", "pyarrow", "numpy", "pandas", "polars", "fastapi", "alembic",
                      "fangkong.zones.service", "fangkong.people.service", "fangkong.lake.queries")

_RUN = """
import json, sys
from fangkong.cli import main
watch = json.loads(sys.argv[2])
sys.argv = ["fangkong", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(m for m in watch if m in sys.modules)), file=sys.stderr)
"""


def _imported(args: list[str], watch: tuple[str, ...]) -> tuple[list[str], str]:
    done = subprocess.run([sys.executable, "-c", _RUN, json.dumps(args), json.dumps(watch)], capture_output=True,
                          text=True, timeout=120, check=False)
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_help_imports_nothing_heavy():
    imported, out = _imported(["--help"], HEAVY)
    assert "codes" in out and "worker" in out
    assert imported == []


def test_codes_show_imports_only_what_it_uses(sqlite_env):
    imported, out = _imported(["codes", "show", "P-none"], NOT_FOR_CODES_SHOW)
    assert imported == []


#: `codes show` reads a store at head plainly (issue 27: < 0.5 s): no SQLAlchemy, no models registry and its mappers,
#: no pydantic-settings; the same rules (protocol.obligations; tests/conformance/test_codes_property.py compares)
NOT_FOR_PLAIN_SHOW = ("sqlalchemy", "sqlalchemy.orm", "pydantic_settings", "fangkong.models", "fangkong.db.core",
                      "fangkong.settings", "fangkong.codes.service", "fangkong.measures.obligations")


def test_codes_show_reads_without_the_orm(sqlite_env, tmp_path, monkeypatch):
    from clihelp import fk

    (tmp_path / "city").mkdir()
    (tmp_path / "city" / "persons.csv").write_text(
        "person_id,name,id_number,phone,household_id,community,address,birth_date,sex\n"
        "P1,Li Lei,,13800000001,H1,140105001001,1 Road,1990-01-01,M\n", encoding="utf-8")
    assert fk("import", str(tmp_path / "city")).exit_code == 0
    imported, out = _imported(["codes", "show", "P1", "--format", "json"], NOT_FOR_PLAIN_SHOW + NOT_FOR_CODES_SHOW)
    assert json.loads(out)["colour"] == "green"
    assert imported == []
    # a drill clock (or a store behind, or an obligation waiting on its results) goes the ORM way, the same answer
    monkeypatch.setenv("FANGKONG_NOW", "2030-01-01T08:00")
    imported, orm = _imported(["codes", "show", "P1", "--format", "json"], ("fangkong.models",))
    assert imported == ["fangkong.models"]
    assert json.loads(orm) == json.loads(out)


def test_the_lazy_helps_are_the_commands_own():
    group = typer.main.get_command(app)
    for name, lazy in _LAZY.items():
        real = group.load(name)
        first = (real.help or "").split("\n\n")[0]
        assert " ".join(first.split()) == " ".join(lazy.help.split()), name


def test_the_help_lists_every_command_once_in_order():
    group = typer.main.get_command(app)
    names = group.list_commands(None)
    assert len(names) == len(set(names))
    assert names[:8] == list(group.order)
    assert set(names) == set(group.commands) | set(_LAZY)


#: a group named otherwise than its folder: `case` (FORMATS.md's contract names it)
GROUP_NAMED_BY_CONTRACT = {"case": "cases"}


def test_each_group_lives_in_the_folder_of_its_name():
    """Issue 24: `fangkong X …` is in fangkong/…/X/commands.py, so the tree says where a command is."""
    group = typer.main.get_command(app)
    for name, lazy in _LAZY.items():
        if not isinstance(group.load(name), typer.core.TyperGroup):
            continue   # a single command (demo, worker)
        module = lazy.target.partition(":")[0]
        assert module.endswith(".commands"), lazy.target
        assert module.split(".")[-2] == GROUP_NAMED_BY_CONTRACT.get(name, name), (name, lazy.target)


def test_a_former_group_name_still_runs_and_is_not_listed():
    from typer.testing import CliRunner

    group = typer.main.get_command(app)
    assert "report" not in group.list_commands(None) and "reports" in group.list_commands(None)
    old, new = (CliRunner().invoke(app, [name, "bulletin", "--help"]) for name in ("report", "reports"))
    assert old.exit_code == new.exit_code == 0 and "--reissue" in old.output
    assert old.output.replace("report ", "reports ") == new.output.replace("report ", "reports ")


def test_a_mistyped_command_suggests_the_lazy_ones():
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["code", "show", "P1"])
    assert result.exit_code == 2
    assert "codes" in result.output


def test_the_compact_grace_default_is_the_lakes():
    from fangkong.lake.compact import GRACE_S

    lake = typer.main.get_command(app).commands["lake"]
    grace = next(p for p in lake.commands["compact"].params if p.name == "grace")
    assert grace.default == GRACE_S


def test_the_plain_heads_are_alembics():
    from fangkong.db import migrate

    assert migrate._plain_heads() == frozenset(migrate.heads())


def test_a_store_behind_is_still_migrated(tmp_path):
    """The shortcut of ensure_current never skips a migration: a store one revision behind is brought to head."""
    from alembic import command

    from fangkong.db import migrate

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "-1")
    assert migrate._stored_versions(url) != migrate._plain_heads()
    migrate.ensure_current(url)
    assert migrate.current(url) == migrate.heads()


@pytest.mark.parametrize("password", ["fangkong-no-such-user", "x"])
def test_the_dummy_hash_is_a_real_hash_of_the_recommended_kind(password):
    from pwdlib import PasswordHash

    from fangkong.auth import service

    hasher = PasswordHash.recommended()
    stored = "$argon2id$v=19$m=65536,t=3,p=4$BALYfRwjDZKl7myTTcbKdg$li5KlWRE7RZHb6m0lNYZy8d/zm5WpbiCCNwsNIjhtrY"
    assert hasher.verify(password, stored) == (password == "fangkong-no-such-user")
    assert f'_DUMMY = "{stored}"' in Path(service.__file__).read_text()  # (tests/conftest.py sets a cheaper one)
