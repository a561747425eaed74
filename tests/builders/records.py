"""The record store as a whole, for tests that run many examples in one database (hypothesis)."""

from __future__ import annotations

from fangkong.db.core import get_engine
from fangkong.models import Base


def wipe_records() -> None:
    """Empty every table of the current database (between hypothesis examples inside one test).

    Kept here, not in tests/conftest.py: `from conftest import` takes whichever conftest module was imported last
    (tests/e2e's under xdist), so a test module importing it failed or not by the order the suite ran in."""
    engine = get_engine()
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
