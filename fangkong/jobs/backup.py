"""The nightly backup: the record store (SQLite's backup API, or pg_dump) and the lake, into a dated folder."""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from fangkong.errors import InvalidInput
from fangkong.settings import Settings

__all__ = ["backup", "backup_root", "find_pg_dump"]


def backup_root(settings: Settings) -> Path:
    return settings.backup_dir or Path(settings.lake).resolve().parent / "backups"


def _records(url: str, dest: Path, configured: Path | None = None) -> str:
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
    pg_dump = find_pg_dump(configured)
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    plain = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    out = dest / "fangkong.dump"
    try:
        done = subprocess.run([str(pg_dump), "-Fc", "-f", str(out), plain], env=env, capture_output=True, text=True,
                              timeout=6 * 3600, check=False)
    except OSError as exc:
        raise InvalidInput(f"{pg_dump} could not be run: {exc}") from None
    if done.returncode != 0:   # e.g. "server version mismatch": a pg_dump older than the server
        raise InvalidInput(f"{pg_dump} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
                           + (" (set FANGKONG_PG_DUMP to a pg_dump as new as the server)"
                              if "version mismatch" in done.stderr else ""))
    return "fangkong.dump"


#: where Debian, Ubuntu and the PGDG packages put each version's client programs (newest wins)
PG_BIN_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin")


def find_pg_dump(configured: Path | None = None, *, globs: tuple[str, ...] | None = None) -> Path:
    """The pg_dump to run: FANGKONG_PG_DUMP if set, else pg_dump on PATH, else the newest under `globs`."""
    if configured is not None:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise InvalidInput(f"FANGKONG_PG_DUMP={configured} is not an executable pg_dump")
        return Path(configured)
    if found := shutil.which("pg_dump"):
        return Path(found)
    candidates = [Path(d) / "pg_dump" for pattern in (PG_BIN_GLOBS if globs is None else globs)
                  for d in glob.glob(pattern)]
    candidates = [c for c in candidates if c.is_file() and os.access(c, os.X_OK)]
    if candidates:
        return max(candidates, key=lambda c: _version_key(c.parent.parent.name))
    raise InvalidInput("pg_dump is not installed, and a PostgreSQL store is backed up with it: install the "
                       "PostgreSQL client as new as the server (apt-get install postgresql-client) or set "
                       "FANGKONG_PG_DUMP to its path; docs/operations.md, \"Backup and restore\"")


def _version_key(name: str) -> tuple[int, ...]:
    digits = re.findall(r"\d+", name)
    return tuple(int(d) for d in digits) or (0,)


def _lake(lake: Path, dest: Path) -> int:
    """The lake's files, hard-linked where the file system allows (data files and commits are never rewritten in
    place), else copied. Each table's Delta log first, then the rest: a data file of a version the copied log
    holds is in place by then (a commit lands after its files), so the copy reads as that version; files of later
    commits are copied too and unread. Staging leftovers are not copied."""
    n = 0
    if not lake.is_dir():
        return 0
    logs = [Path(root) for root, _, _ in os.walk(lake) if Path(root).name == "_delta_log"]
    for first in (True, False):
        for root, dirs, files in os.walk(lake):
            dirs[:] = [d for d in dirs if d != ".staging"]
            here = Path(root)
            if (here in logs or here.parent in logs) != first:
                continue
            rel = here.relative_to(lake)
            (dest / rel).mkdir(parents=True, exist_ok=True)
            for name in files:
                src, out = here / name, dest / rel / name
                if out.exists():
                    continue
                if name.endswith((".parquet", ".json")) and name != "_last_checkpoint":
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
        records = _records(settings.database_url, tmp, settings.pg_dump)
        files = _lake(Path(settings.lake), tmp / "lake")
        os.replace(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    kept = sorted(p for p in root.glob("fangkong-*") if p.is_dir())
    for old in kept[:-settings.backup_keep]:
        shutil.rmtree(old, ignore_errors=True)
    return {"folder": str(root / name), "records": records, "lake_files": files}
