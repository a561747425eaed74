"""Designated hospitals: the escalation plan by active case count, where the plan stands now, discharge criteria."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["DISCHARGE_REFUSALS", "DEFAULT_PLAN", "DischargeSample", "PlanState", "Step", "discharge_refusal",
           "discharge_refusal_reason", "plan_state"]


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


#: each refusal's English text (the service's message, the API's detail); the pages show the key's translation
DISCHARGE_REFUSALS = {
    "discharge_few": "discharge needs {needed} consecutive samples with Ct ≥ {ct_min}, {hours} h apart; {given} given",
    "discharge_low_ct": "the sample of {at} has Ct {ct} < {ct_min}",
    "discharge_close": "the samples of {a} and {b} are less than {hours} h apart",
}


def discharge_refusal_reason(samples: Sequence[DischargeSample], *, ct_min: float, needed: int, hours_apart: float
                             ) -> tuple[str, dict[str, str]] | None:
    """Why a case may not be discharged yet under the edition's criteria, as a key of DISCHARGE_REFUSALS and its
    parameters, or None when it may: the last `needed` samples, consecutive, each at least `hours_apart` after the
    one before, all with Ct ≥ `ct_min` (诊疗方案第九版: two samples, 24 h apart, Ct ≥ 35; 第八版: Ct ≥ 40;
    PROTOCOL-NOTES §7)."""
    ordered = sorted(samples, key=lambda s: s.sampled_at)
    if len(ordered) < needed:
        return "discharge_few", {"needed": str(needed), "ct_min": f"{ct_min:g}", "hours": f"{hours_apart:g}",
                                 "given": str(len(ordered))}
    last = ordered[-needed:]
    low = [s for s in last if s.ct is not None and s.ct < ct_min]
    if low:
        return "discharge_low_ct", {"at": low[0].sampled_at.isoformat(), "ct": f"{low[0].ct:g}", "ct_min": f"{ct_min:g}"}
    for a, b in zip(last, last[1:], strict=False):
        if b.sampled_at - a.sampled_at < timedelta(hours=hours_apart):
            return "discharge_close", {"a": a.sampled_at.isoformat(), "b": b.sampled_at.isoformat(),
                                       "hours": f"{hours_apart:g}"}
    return None


def discharge_refusal(samples: Sequence[DischargeSample], *, ct_min: float, needed: int, hours_apart: float
                      ) -> str | None:
    """discharge_refusal_reason in English, or None when the case may be discharged."""
    why = discharge_refusal_reason(samples, ct_min=ct_min, needed=needed, hours_apart=hours_apart)
    return None if why is None else DISCHARGE_REFUSALS[why[0]].format(**why[1])
