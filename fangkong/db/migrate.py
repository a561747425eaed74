"""Run Alembic migrations programmatically: `fangkong db upgrade`, the demo and the tests use this."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config

from fangkong.db.core import engine_for

__all__ = ["alembic_config", "upgrade", "current", "heads", "ensure_current"]

_HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Every branch to its head: domains add their own migrations branching from the spine's."""
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
    """Migrate a store that is behind (or new) before the first use in this process."""
    if url in _checked:
        return
    if current(url) != heads():
        upgrade(url)
    _checked.add(url)
