"""The nightly backup: the record store (SQLite's backup API, or pg_dump) and the lake, into a dated folder."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from fangkong.errors import InvalidInput
from fangkong.lake import store
from fangkong.settings import Settings

__all__ = ["backup", "backup_root"]


def backup_root(settings: Settings) -> Path:
    return settings.backup_dir or Path(settings.lake).resolve().parent / "backups"


def _records(url: str, dest: Path) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        src = sqlite3.connect(u.database)
        try:
            out = sqlite3.connect(dest / "fangkong.db")
            with out:
                src.backup(out)   # a consistent copy while the server writes (WAL readers are not blocked)
            out.close()
        finally:
            src.close()
        return "fangkong.db"
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise InvalidInput("pg_dump is not installed: install the PostgreSQL client (apt-get install "
                           "postgresql-client) or back the database up with the server's own tools")
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    plain = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    subprocess.run([pg_dump, "-Fc", "-f", str(dest / "fangkong.dump"), plain], check=True, env=env,
                   capture_output=True, timeout=6 * 3600)
    return "fangkong.dump"


def _lake(lake: Path, dest: Path) -> int:
    """The lake's published files, hard-linked where the file system allows (they are never rewritten in place:
    compaction and purges make new files and delete old ones), else copied; taken under the lake's write lock
    so that no day is half-published in the copy. Staging leftovers are not copied."""
    n = 0
    if not lake.is_dir():
        return 0
    with store.write_lock(lake):
        for root, dirs, files in os.walk(lake):
            dirs[:] = [d for d in dirs if d != ".staging"]
            rel = Path(root).relative_to(lake)
            (dest / rel).mkdir(parents=True, exist_ok=True)
            for name in files:
                src, out = Path(root) / name, dest / rel / name
                if name.endswith(".parquet"):
                    try:
                        os.link(src, out)
                        n += 1
                        continue
                    except OSError:
                        pass
                shutil.copy2(src, out)
                n += 1
    return n


def backup(settings: Settings, now: datetime) -> dict:
    """One backup folder `fangkong-YYYYmmdd-HHMMSS/` (written under a temporary name, renamed when complete);
    the oldest beyond `backup_keep` are deleted."""
    root = backup_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    name = f"fangkong-{now.astimezone(settings.zone):%Y%m%d-%H%M%S}"
    tmp = root / f".{name}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        records = _records(settings.database_url, tmp)
        files = _lake(Path(settings.lake), tmp / "lake")
        os.replace(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    kept = sorted(p for p in root.glob("fangkong-*") if p.is_dir())
    for old in kept[:-settings.backup_keep]:
        shutil.rmtree(old, ignore_errors=True)
    return {"folder": str(root / name), "records": records, "lake_files": files}
