"""Run Alembic migrations programmatically: `fangkong db upgrade`, the demo and the tests use this."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from fangkong.db.core import engine_for
from fangkong.db.heads import plain_heads as _plain_heads

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "upgrade", "current", "heads", "ensure_current"]

_HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Every branch to its head: domains add their own migrations branching from the spine's."""
    from alembic import command

    engine_for(url).dispose()  # creates the SQLite file's folder
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def heads() -> set[str]:
    return set(_heads())


@lru_cache(maxsize=1)
def _heads() -> frozenset[str]:
    """Read once per process: it loads every migration script (tens of ms), and every command's first session
    asks (ensure_current), once per store; the scripts do not change under a running process."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


_checked: set[str] = set()


def ensure_current(url: str) -> None:
    """Migrate a store that is behind (or new) before the first use in this process. A store at head is known
    without Alembic (a third of a light command's start-up, issue 27): its alembic_version rows equal the heads
    the version files name; anything else (a new store, one behind, a file not read plainly) asks Alembic."""
    if url in _checked:
        return
    if (quick := _plain_heads()) is None or _stored_versions(url) != quick:
        if current(url) != heads():
            upgrade(url)
    _checked.add(url)


def _stored_versions(url: str) -> frozenset[str] | None:
    """The store's alembic_version rows, or None when it has none (a new store) or cannot be read."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return frozenset(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except Exception:  # noqa: BLE001 - no table yet, or anything else: Alembic looks properly
        return None
    finally:
        engine.dispose()
