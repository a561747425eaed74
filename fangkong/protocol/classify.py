"""Risk categories: their rank (DOMAIN.md §4: a person keeps the highest category, rank 0 = close)."""

from __future__ import annotations

from fangkong.protocol.edition import CATEGORIES

__all__ = ["rank"]


def rank(category: str) -> int:
    """0 for the highest category (close); raises for an unknown one."""
    return CATEGORIES.index(category)
