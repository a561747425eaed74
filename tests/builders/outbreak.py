"""The demo's outbreak day over a small generated city, built once per test process and copied into each test.

Generating, importing and running the outbreak day costs a browser or HTTP test ~10 s; the result is the same
every time (a seeded city, a fixed day). It is built once per process in a store of its own (no user, nothing the
test made), then every test's store receives a copy of its rows (whatever the test made before, the server's
admin say, stays) and its tmp_path a copy of its lake, testing folder and city.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Integer

from fangkong.db.core import get_engine
from fangkong.models import Base
from fangkong.settings import get_settings

_TEMPLATES: dict[tuple, tuple[Path, tuple]] = {}
_FOLDERS = ("lake", "testing", "city")


def _db_path(settings) -> Path:
    url = settings.database_url
    if not url.startswith("sqlite:///"):
        raise ValueError(f"the outbreak template copies a SQLite store, not {url}")
    return Path(url.removeprefix("sqlite:///"))


def _build(folder: Path, template_db: Path, persons: int, days: int, seed: int, standby: bool) -> tuple:
    """The outbreak day in a store and lake of its own under `folder`; the settings of the caller are restored."""
    from fangkong import importer
    from fangkong.demo import run_outbreak_day
    from fangkong.kit.clikit import unit_of_work
    from fangkong.sim import standby as standby_city
    from fangkong.sim.city import generate_city

    saved = {k: os.environ.get(k) for k in ("FANGKONG_DATABASE_URL", "FANGKONG_LAKE")}
    shutil.copy(template_db, folder / "fangkong.db")
    os.environ["FANGKONG_DATABASE_URL"] = f"sqlite:///{folder / 'fangkong.db'}"
    os.environ["FANGKONG_LAKE"] = str(folder / "lake")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        settings = get_settings()
        summary = generate_city(folder / "city", persons=persons, days=days, seed=seed)
        importer.import_folder(unit_of_work, settings, folder / "city")
        if standby:   # teams, isolation sites and a hospital stand ready first, as `fangkong demo` runs it
            with unit_of_work() as s:
                standby_city.prepare_city(s, per_10k=settings.rooms_per_10k,
                                          now=summary.index_sampled_at - timedelta(days=1))
        day, cases = run_outbreak_day(settings, summary, {})
        return day, [c.trace.case.case_no for c in cases]
    finally:
        get_engine().dispose()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        get_engine.cache_clear()


def outbreak(settings, tmp_path: Path, *, persons: int = 2000, days: int = 4, seed: int = 5,
             standby: bool = False) -> tuple:
    """(day, case numbers) of the outbreak day, added to the SQLite store `settings` points at (as `sqlite_env`
    makes it: migrated, in tmp_path) and to its lake."""
    from fangkong.contacts import dwell_cache

    key = (persons, days, seed, standby)
    db = _db_path(settings)
    if key not in _TEMPLATES:
        folder = tmp_path.parent / ("outbreak-" + "-".join(map(str, key)))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        from fangkong.db.migrate import upgrade

        upgrade(f"sqlite:///{folder / 'empty.db'}")
        _TEMPLATES[key] = (folder, _build(folder, folder / "empty.db", persons, days, seed, standby))
    folder, result = _TEMPLATES[key]
    get_engine().dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("ATTACH DATABASE ? AS t", (str(folder / "fangkong.db"),))
        referenced = {fk.column.table.name for t in Base.metadata.sorted_tables for fk in t.foreign_keys}
        for table in Base.metadata.sorted_tables:
            # rows nothing points at (the audit log, say) take new ids after the test's own
            # (an integer id: a key that is data, community_people's community, is copied)
            keep = [c for c in table.columns if not (c.primary_key and c.autoincrement is not False
                                                      and isinstance(c.type, Integer)
                                                      and table.name not in referenced and len(table.primary_key) == 1)]
            cols = ", ".join(f'"{c.name}"' for c in keep)
            conn.execute(f'INSERT INTO main."{table.name}" ({cols}) SELECT {cols} FROM t."{table.name}"')
        conn.commit()
        conn.execute("DETACH DATABASE t")
    lake = Path(settings.lake)
    for name in _FOLDERS:
        if (folder / name).is_dir():
            shutil.copytree(folder / name, lake if name == "lake" else lake.parent / name, symlinks=True,
                            dirs_exist_ok=True)
    dwell_cache._DWELLS.clear()
    return result
