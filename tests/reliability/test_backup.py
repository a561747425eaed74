"""Backup and restore exactly as docs/operations.md says: pg_dump -Fc + a copy of the lake folder; pg_restore
into a new database + the folder copied back. The restored store gives the same bulletin and the same trace."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest
from clihelp import fk, set_clock
from sqlalchemy import create_engine, text
from storesnap import PG_ADMIN_URL, snapshot
from test_flow import declare_and_trace

from fangkong.db.core import get_engine
from fangkong.settings import get_settings

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump/pg_restore not installed")


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return "postgresql://" + url.split("://", 1)[1]


def point_at(monkeypatch, url: str, lake) -> None:
    get_engine().dispose()
    monkeypatch.setenv("FANGKONG_DATABASE_URL", url)
    monkeypatch.setenv("FANGKONG_LAKE", str(lake))
    get_settings.cache_clear()
    get_engine.cache_clear()


def store_of(case_id: str):
    bulletin = fk("report", "bulletin", "--date", "2022-03-11")
    assert bulletin.exit_code == 0, bulletin.output
    trace = fk("trace", case_id, "--format", "json")
    assert trace.exit_code == 0, trace.output
    return bulletin.stdout, json.loads(trace.stdout)["risk_persons"]


@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_pg_dump_and_lake_copy_restore_to_the_same_bulletin(env, tmp_path, monkeypatch):
    set_clock(monkeypatch, "2022-03-11T21:00+08:00")
    case_id, _ = declare_and_trace(tmp_path)   # declared and traced on the day, so the bulletin has it all
    bulletin, risk = store_of(case_id)
    assert "追踪管控风险人员6人" in bulletin
    before = snapshot(env)

    backup = tmp_path / "backup"
    backup.mkdir()
    subprocess.run(["pg_dump", "-Fc", "-f", str(backup / "fangkong.dump"), libpq(env.database_url)], check=True)
    shutil.copytree(env.lake, backup / "lake")

    name = f"fangkong_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    restored = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", libpq(restored),
                        str(backup / "fangkong.dump")], check=True)
        shutil.copytree(backup / "lake", tmp_path / "restored-lake")
        point_at(monkeypatch, restored, tmp_path / "restored-lake")
        assert snapshot(get_settings()) == before
        assert store_of(case_id) == (bulletin, risk)
    finally:
        get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
