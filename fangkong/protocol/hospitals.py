"""Designated hospitals: the escalation plan by active case count, and where the plan stands now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Step", "DEFAULT_PLAN", "PlanState", "plan_state"]


@dataclass(frozen=True)
class Step:
    #: the step applies when active cases are MORE than this
    threshold: int
    action: str
    beds: int = 0


#: seed 003 (Taiyuan 2022-02): >100 cases → empty building 1 of hospital 4; >200 → hospital 2's isolation wards;
#: >500 → the provincial reserve hospital. A deployment replaces it with its own steps.
DEFAULT_PLAN = (
    Step(100, "腾空第四医院1号楼 (empty building 1 of hospital 4)"),
    Step(200, "启用第二医院隔离病区 (open hospital 2's isolation wards)"),
    Step(500, "启用省级储备医院 (open the provincial reserve hospital)"),
)


@dataclass(frozen=True)
class PlanState:
    active_cases: int
    #: the steps in force (every threshold exceeded), lowest first
    in_force: tuple[Step, ...]
    next_step: Step | None
    #: more active cases before the next step applies (next threshold − active + 1)
    cases_to_next: int | None


def plan_state(active_cases: int, steps: Sequence[Step]) -> PlanState:
    """Which steps apply at this many active cases, and the next one with how far away it is."""
    ordered = sorted(steps, key=lambda s: s.threshold)
    in_force = tuple(s for s in ordered if active_cases > s.threshold)
    upcoming = [s for s in ordered if active_cases <= s.threshold]
    nxt = upcoming[0] if upcoming else None
    return PlanState(active_cases, in_force, nxt, nxt.threshold - active_cases + 1 if nxt else None)
