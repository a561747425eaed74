"""Every table of every domain, for the data-layer steps that must see them all (a person merge moves every row
that names the person, wherever a later domain added it).

A domain registers its tables in the one metadata when its models are imported; the models registry above the
domains (fangkong.models, imported by api, cli, the Alembic environment and the tests) imports them all and
marks the set complete. Asked before that, this refuses instead of quietly answering with a part.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Table

from fangkong.db.core import Base

__all__ = ["complete", "sorted_tables", "tables"]

_complete = False


def complete() -> None:
    """Called once by fangkong.models when every domain's models are imported."""
    global _complete
    _complete = True


def _check() -> None:
    if not _complete:
        raise RuntimeError("not every table is registered: import fangkong.models first (api, cli and the tests do)")


def tables() -> Mapping[str, Table]:
    """Every table by name."""
    _check()
    return Base.metadata.tables


def sorted_tables() -> list[Table]:
    """Every table, each after the tables it refers to."""
    _check()
    return Base.metadata.sorted_tables
