"""Risk categories: rank, highest wins, interval overlap arithmetic shared by every engine's checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fangkong.protocol.edition import CATEGORIES

__all__ = ["rank", "highest", "overlap_seconds", "stricter_category"]


def rank(category: str) -> int:
    """0 for the highest category (close); raises for an unknown one."""
    return CATEGORIES.index(category)


def highest(categories: Iterable[str]) -> str:
    return min(categories, key=rank)


def stricter_category(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if rank(a) <= rank(b) else b


def overlap_seconds(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> float:
    """Length of the intersection of [a_start, a_end] and [b_start, b_end]; negative when apart."""
    return (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
