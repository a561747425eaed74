"""Designated hospitals: the escalation plan by active case count, where the plan stands now, discharge criteria."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Step", "DEFAULT_PLAN", "PlanState", "plan_state", "DischargeSample", "discharge_refusal"]


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


@dataclass(frozen=True)
class DischargeSample:
    sampled_at: datetime
    #: the higher-risk of the N and ORF1ab Ct values (the lower number); None = no amplification (negative)
    ct: float | None


def discharge_refusal(samples: Sequence[DischargeSample], *, ct_min: float, needed: int, hours_apart: float
                      ) -> str | None:
    """Why a case may not be discharged yet under the edition's criteria, or None when it may: the last `needed`
    samples, consecutive, each at least `hours_apart` after the one before, all with Ct ≥ `ct_min` (诊疗方案
    第九版: two samples, 24 h apart, Ct ≥ 35; 第八版: Ct ≥ 40; PROTOCOL-NOTES §7)."""
    ordered = sorted(samples, key=lambda s: s.sampled_at)
    if len(ordered) < needed:
        return f"discharge needs {needed} consecutive samples with Ct ≥ {ct_min:g}, {hours_apart:g} h apart; " \
               f"{len(ordered)} given"
    last = ordered[-needed:]
    low = [s for s in last if s.ct is not None and s.ct < ct_min]
    if low:
        return f"the sample of {low[0].sampled_at.isoformat()} has Ct {low[0].ct:g} < {ct_min:g}"
    for a, b in zip(last, last[1:], strict=False):
        if b.sampled_at - a.sampled_at < timedelta(hours=hours_apart):
            return f"the samples of {a.sampled_at.isoformat()} and {b.sampled_at.isoformat()} are less than " \
                   f"{hours_apart:g} h apart"
    return None
