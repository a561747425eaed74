"""The migration heads as the version files state them, read without Alembic or SQLAlchemy: a store whose
alembic_version rows equal them is at head (db.migrate.ensure_current, the plain read of `codes show`)."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["plain_heads"]

_REVISION = re.compile(r"^revision(?:\s*:[^=\n]+)?\s*=\s*(.+)$", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(.+)$", re.M)


@lru_cache(maxsize=1)
def plain_heads() -> frozenset[str] | None:
    """The heads as the version files state them (revision, down_revision: a literal each), or None when a
    file does not say them plainly. Only ever a shortcut for ensure_current: Alembic decides anything else."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev, down = list(_REVISION.finditer(text)), list(_DOWN.finditer(text))
        if len(rev) != 1 or len(down) != 1:
            return None
        start = down[0].start(1)  # a tuple (a merge) may run over several lines
        down_text = text[start:text.find(")", start) + 1] if text[start] == "(" else down[0].group(1)
        try:
            rev_value, down_value = ast.literal_eval(rev[0].group(1).strip()), ast.literal_eval(down_text.strip())
        except (ValueError, SyntaxError):
            return None
        if not isinstance(rev_value, str):
            return None
        revisions.add(rev_value)
        down_values = down_value if isinstance(down_value, tuple | list) else (down_value,)
        downs.update(d for d in down_values if d is not None)
    if not revisions or not downs <= revisions:
        return None
    return frozenset(revisions - downs)
