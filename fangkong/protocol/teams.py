"""Tracing teams (流调队): the team's make-up and which free team takes a new case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["TEAM_ROLES", "check_members", "TeamLoad", "pick_team"]

TEAM_ROLES = ("cdc", "medical", "police")


def check_members(roles: Sequence[str]) -> str | None:
    """None when the roles make a tracing team (三公(工)联动: at least 2 CDC or medical staff and 1 police
    officer), else why not."""
    unknown = sorted({r for r in roles if r not in TEAM_ROLES})
    if unknown:
        return f"unknown role {unknown[0]!r}; roles are {', '.join(TEAM_ROLES)}"
    health = sum(1 for r in roles if r in ("cdc", "medical"))
    police = sum(1 for r in roles if r == "police")
    if health < 2 or police < 1:
        return f"a tracing team needs at least 2 CDC/medical members and 1 police officer (has {health} and {police})"
    return None


@dataclass(frozen=True)
class TeamLoad:
    key: str
    jurisdiction: str
    load: int
    max_cases: int


def pick_team(teams: Iterable[TeamLoad], community: str | None) -> str | None:
    """The team for a new case in `community`: among teams whose jurisdiction covers it and that can take one
    more case, the least loaded; ties go to the most local team, then the lowest key. None when all are busy."""
    free = [tm for tm in teams if community and community.startswith(tm.jurisdiction) and tm.load < tm.max_cases]
    if not free:
        return None
    return min(free, key=lambda tm: (tm.load, -len(tm.jurisdiction), tm.key)).key
