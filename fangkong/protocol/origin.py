"""Where the bulletin counts a new case (DOMAIN.md §10): imported (境外输入) or local (本土), and a local case
found in the community (社会面) or under control (隔离管控中发现)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["INBOUND_CATEGORIES", "Split", "is_imported", "split"]

#: obligations of an inbound traveller: a case sampled while one is in force was infected abroad
INBOUND_CATEGORIES = frozenset({"inbound"})


def is_imported(*, declared_imported: bool, categories_at_sampling: Iterable[str]) -> bool:
    """Imported when the epidemiologist declared it so (found at the port, say), or when the positive sample was
    taken while an inbound traveller's obligation was in force (the closed loop after entry); local otherwise."""
    return declared_imported or any(c in INBOUND_CATEGORIES for c in categories_at_sampling)


@dataclass(frozen=True)
class Split:
    imported_confirmed: int = 0
    imported_asymptomatic: int = 0
    local_confirmed: int = 0
    local_asymptomatic: int = 0
    #: local cases only: an imported case is neither (it is found in the inbound closed loop or at the port)
    local_community: int = 0
    local_under_control: int = 0

    @property
    def imported(self) -> int:
        return self.imported_confirmed + self.imported_asymptomatic

    @property
    def local(self) -> int:
        return self.local_confirmed + self.local_asymptomatic


def split(cases: Iterable[tuple[str, bool, bool]]) -> Split:
    """Count (status, imported, under_control) cases: status confirmed or asymptomatic; local cases further by
    社会面 / 隔离管控中发现 (the person's state at sampling, decided by the caller)."""
    n = dict.fromkeys(("imported_confirmed", "imported_asymptomatic", "local_confirmed", "local_asymptomatic",
                       "local_community", "local_under_control"), 0)
    for status, imported, under_control in cases:
        where = "imported" if imported else "local"
        n[f"{where}_{'confirmed' if status == 'confirmed' else 'asymptomatic'}"] += 1
        if not imported:
            n["local_under_control" if under_control else "local_community"] += 1
    return Split(**n)
