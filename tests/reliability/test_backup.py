"""Backup and restore exactly as docs/operations.md says: pg_dump -Fc + a copy of the lake folder; pg_restore
into a new database + the folder copied back. The restored store gives the same bulletin and the same trace."""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
import uuid
from pathlib import Path

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
    bulletin = fk("reports", "bulletin", "--date", "2022-03-11")
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


def _restore(dump, lake_copy, tmp_path, monkeypatch, pg_restore: str):
    """pg_restore the dump into a new database and point the settings at it and at the lake copied back; the
    database's name (drop it after)."""
    name = f"fangkong_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    restored = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "-d", libpq(restored), str(dump)], check=True)
    shutil.copytree(lake_copy, tmp_path / "restored-lake")
    point_at(monkeypatch, restored, tmp_path / "restored-lake")
    return name


def _drop(name: str) -> None:
    get_engine().dispose()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("env", ["postgres"], indirect=True)
@pytest.mark.parametrize("found", ["path", "versioned"])
def test_the_backup_job_dumps_postgresql_and_the_dump_restores(env, found, tmp_path, monkeypatch):
    """The nightly job's backup of a PostgreSQL store (pg_dump on PATH, or the machine's versioned
    /usr/lib/postgresql/N/bin/pg_dump when PATH has none) restores, with its lake folder, to the same records,
    lake and trace."""
    from fangkong.db.core import utcnow
    from fangkong.jobs import backup as backup_job

    set_clock(monkeypatch, "2022-03-11T21:00+08:00")
    case_id, _ = declare_and_trace(tmp_path)
    bulletin, risk = store_of(case_id)
    before = snapshot(env)
    pg_dump = backup_job.find_pg_dump()
    if found == "versioned":
        versioned = [p for p in backup_job.PG_BIN_GLOBS if p.startswith("/usr/lib/postgresql")]
        if not any(Path(d, "pg_dump").is_file() for pattern in versioned for d in glob.glob(pattern)):
            pytest.skip("no /usr/lib/postgresql/*/bin/pg_dump on this machine")
        monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
        pg_dump = backup_job.find_pg_dump()
        assert str(pg_dump).startswith("/usr/lib/postgresql/")
    monkeypatch.setenv("FANGKONG_BACKUP_DIR", str(tmp_path / "backups"))
    get_settings.cache_clear()

    done = backup_job.backup(get_settings(), utcnow())
    folder = Path(done["folder"])
    assert done["records"] == "fangkong.dump" and (folder / "fangkong.dump").stat().st_size > 0
    assert done["lake_files"] > 0

    name = _restore(folder / "fangkong.dump", folder / "lake", tmp_path, monkeypatch,
                    str(pg_dump.with_name("pg_restore")))
    try:
        assert snapshot(get_settings()) == before
        assert store_of(case_id) == (bulletin, risk)
    finally:
        _drop(name)


@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_no_pg_dump_is_a_clear_error_and_leaves_no_backup(env, tmp_path, monkeypatch):
    from fangkong.db.core import utcnow
    from fangkong.errors import InvalidInput
    from fangkong.jobs import backup as backup_job

    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setattr(backup_job, "PG_BIN_GLOBS", (str(tmp_path / "no-postgresql" / "*" / "bin"),))
    monkeypatch.setenv("FANGKONG_BACKUP_DIR", str(tmp_path / "backups"))
    get_settings.cache_clear()
    with pytest.raises(InvalidInput, match="pg_dump is not installed.*FANGKONG_PG_DUMP"):
        backup_job.backup(get_settings(), utcnow())
    assert list((tmp_path / "backups").iterdir()) == []   # the half-made folder is gone

    monkeypatch.setenv("FANGKONG_PG_DUMP", str(tmp_path / "nothing-here"))
    get_settings.cache_clear()
    with pytest.raises(InvalidInput, match="FANGKONG_PG_DUMP=.* is not an executable pg_dump"):
        backup_job.backup(get_settings(), utcnow())


@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_a_failing_pg_dump_says_why(env, tmp_path, monkeypatch):
    """A pg_dump older than the server exits with 'server version mismatch': the job's failure says so."""
    from fangkong.db.core import utcnow
    from fangkong.errors import InvalidInput
    from fangkong.jobs import backup as backup_job

    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("FANGKONG_PG_DUMP", str(fake))
    monkeypatch.setenv("FANGKONG_BACKUP_DIR", str(tmp_path / "backups"))
    get_settings.cache_clear()
    with pytest.raises(InvalidInput, match="server version mismatch.*FANGKONG_PG_DUMP"):
        backup_job.backup(get_settings(), utcnow())
