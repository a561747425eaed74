"""Pooled testing (混采): Dorfman maths, the single-tube rule for key groups, result follow-ups, round plans."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fangkong.protocol.edition import Edition

__all__ = ["RESULTS", "TestingRule", "testing_rule", "tests_per_person", "pool_tests", "expected_tests",
           "optimal_pool_size", "best_allowed_size", "needs_single_tube", "FollowUp", "follow_up",
           "result_from_ct", "LabShare", "RoundPlan", "plan_round", "assign_tubes", "split_by_capacity"]

#: what a lab may report for a tube (FORMATS.md lab_results.result)
RESULTS = ("negative", "positive", "suspected", "weak_positive", "invalid")
#: results that make a pooled tube's members re-tested singly (a grey-zone pool is not a negative pool)
_POOL_REACTIVE = ("positive", "suspected", "weak_positive")


@dataclass(frozen=True)
class TestingRule:
    """The testing numbers of an edition (`[testing]` in editions/*.toml)."""

    __test__ = False
    pool_sizes: tuple[int, ...]
    max_pool_size: int
    single_tube_groups: tuple[str, ...]
    round_target_hours: float
    people_per_point: int
    tables_per_point: int
    swabs_per_table_hour: float
    ship_hours: float
    test_hours: float
    temporary_control_hours: int
    ct_positive_below: float
    ct_negative_from: float


def testing_rule(edition: Edition) -> TestingRule:
    t = edition.raw["testing"]
    return TestingRule(
        pool_sizes=tuple(t["pool_sizes"]), max_pool_size=t["max_pool_size"],
        single_tube_groups=tuple(t["single_tube_groups"]), round_target_hours=t["round_target_hours"],
        people_per_point=t["people_per_point"], tables_per_point=t["tables_per_point"],
        swabs_per_table_hour=t["swabs_per_table_hour"], ship_hours=t["ship_hours"], test_hours=t["test_hours"],
        temporary_control_hours=t["temporary_control_hours"], ct_positive_below=t["ct_positive_below"],
        ct_negative_from=t["ct_negative_from"])


def _check_p(p: float) -> None:
    if not (isinstance(p, (int, float)) and 0 < p < 1):
        raise ValueError(f"prevalence must lie strictly between 0 and 1, got {p!r}")


def tests_per_person(p: float, k: int) -> float:
    """Dorfman: expected tests per person with pools of k = 1/k + 1 − (1 − p)^k (k = 1: one test each)."""
    _check_p(p)
    if k < 1:
        raise ValueError(f"pool size must be at least 1, got {k}")
    return 1.0 if k == 1 else 1 / k + 1 - (1 - p) ** k


def pool_tests(p: float, m: int) -> float:
    """Expected tests for one tube of m people: the tube, plus m single re-tests when it is positive."""
    return 1.0 if m <= 1 else 1 + m * (1 - (1 - p) ** m)


def expected_tests(n: int, p: float, k: int) -> float:
    """Expected tests for n people pooled by k, counting the last, smaller tube exactly."""
    _check_p(p)
    if n < 0 or k < 1:
        raise ValueError("n must be ≥ 0 and k ≥ 1")
    full, rest = divmod(n, k)
    return full * pool_tests(p, k) + (pool_tests(p, rest) if rest else 0.0)


def optimal_pool_size(p: float, max_k: int = 100) -> int:
    """The k in 1..max_k with the fewest expected tests per person (ties: the smaller pool)."""
    _check_p(p)
    return min(range(1, max_k + 1), key=lambda k: (tests_per_person(p, k), k))


def best_allowed_size(p: float, allowed: tuple[int, ...]) -> int:
    """Among validated sizes (e.g. 1, 5, 10, 20), the one with the fewest expected tests per person."""
    _check_p(p)
    return min(allowed, key=lambda k: (tests_per_person(p, k), k))


def needs_single_tube(groups: set[str] | frozenset[str], rule: TestingRule) -> bool:
    """单人单管: a person in any key group (risk person, sealed-zone resident, symptomatic, port worker)."""
    return bool(set(groups) & set(rule.single_tube_groups))


@dataclass(frozen=True)
class FollowUp:
    """What a tube's result asks for: hold the people in place, a re-test (and why), a suspected case."""

    hold: bool = False
    retest: str | None = None          # pool_positive | recheck | repeat | resample
    single_retest: bool = True
    report_positive: bool = False
    clears: bool = False               # a negative closes open re-tests and lifts a hold


def follow_up(result: str, *, members: int, environmental: bool = False) -> FollowUp:
    """DOMAIN.md §6 and PROTOCOL-NOTES §5.2/§7 as one table.

    A reactive pool (positive, grey zone) holds every member in place and re-tests each singly;
    a positive single tube is a suspected case awaiting its re-check (复核); a grey-zone or weak
    single tube is repeated; an invalid tube is re-sampled (a pool may be re-pooled).
    Environmental samples are recorded and counted, never turned into people's measures.
    """
    if result not in RESULTS:
        raise ValueError(f"unknown result {result!r}; expected one of {', '.join(RESULTS)}")
    if environmental:
        return FollowUp()
    pooled = members > 1
    if result == "negative":
        return FollowUp(clears=True)
    if result == "invalid":
        return FollowUp(retest="resample", single_retest=not pooled)
    if pooled:
        return FollowUp(hold=True, retest="pool_positive")
    if result == "positive":
        return FollowUp(hold=True, retest="recheck", report_positive=True)
    return FollowUp(hold=True, retest="repeat")


def result_from_ct(ct_orf1ab: float | None, ct_n: float | None, rule: TestingRule) -> str:
    """Kit rule (PROTOCOL-NOTES §7): both targets < 37 positive; one target, or 37–40, repeat; else negative."""
    cts = [c for c in (ct_orf1ab, ct_n) if c is not None and not math.isnan(c)]
    positive = [c for c in cts if c < rule.ct_positive_below]
    if len(positive) == 2:
        return "positive"
    if positive or any(c < rule.ct_negative_from for c in cts):
        return "suspected"
    return "negative"


@dataclass(frozen=True)
class LabShare:
    lab_id: str
    capacity: int
    tubes: int
    hours: float

    @property
    def over_capacity(self) -> bool:
        return self.tubes > self.capacity


@dataclass(frozen=True)
class RoundPlan:
    persons: int
    single_tube_persons: int
    prevalence: float
    optimal_k: int
    optimal_tests_per_person: float
    pool_size: int
    tests_per_person: float
    first_tubes: int
    expected_retests: float
    expected_tests: float
    points: int
    points_recommended: int
    capacity_per_day: int
    lab_days: float
    sampling_hours: float
    hours: float
    target_hours: float
    labs: tuple[LabShare, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @property
    def meets_target(self) -> bool:
        return self.hours <= self.target_hours


def split_by_capacity(total: int, capacities: list[int]) -> list[int]:
    """Largest-remainder split of `total` tubes in proportion to each lab's daily capacity."""
    cap = sum(capacities)
    if cap <= 0:
        raise ValueError("labs need a positive total daily capacity")
    exact = [total * c / cap for c in capacities]
    out = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: (out[i] - exact[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


def plan_round(rule: TestingRule, *, persons: int, prevalence: float, points: int, labs: dict[str, int],
               single_tube_persons: int = 0, pool_size: int | None = None) -> RoundPlan:
    """Tests, tubes, lab-days, sampling hours and duration of a round, against the 24 h target."""
    _check_p(prevalence)
    if persons < 1:
        raise ValueError("a round needs at least one person")
    if points < 1:
        raise ValueError("a round needs at least one sampling point")
    if not labs or min(labs.values()) < 1:
        raise ValueError("a round needs at least one lab with a daily capacity of at least 1 tube")
    if not 0 <= single_tube_persons <= persons:
        raise ValueError("single-tube persons must lie between 0 and the number of persons")
    opt = optimal_pool_size(prevalence, rule.max_pool_size)
    k = pool_size if pool_size is not None else best_allowed_size(prevalence, rule.pool_sizes)
    if not 1 <= k <= rule.max_pool_size:
        raise ValueError(f"pool size must lie between 1 and {rule.max_pool_size} (validated maximum)")
    pooled = persons - single_tube_persons
    first = single_tube_persons + math.ceil(pooled / k)
    tests = single_tube_persons + expected_tests(pooled, prevalence, k)
    capacity = sum(labs.values())
    per_hour = capacity / 24
    sampling_h = persons / (points * rule.tables_per_point * rule.swabs_per_table_hour)
    first_h = max(sampling_h, first / per_hour) + rule.ship_hours + rule.test_hours
    retest_h = (tests - first) / per_hour + rule.ship_hours + rule.test_hours if k > 1 else 0.0
    shares = split_by_capacity(first, list(labs.values()))
    lab_rows = tuple(LabShare(lid, cap, n, n / (cap / 24)) for (lid, cap), n in zip(labs.items(), shares, strict=False))
    warnings = []
    if tests > capacity:
        warnings.append(f"expected tests {tests:,.0f} exceed the labs' daily capacity {capacity:,}: "
                        f"{tests / capacity:.2f} lab-days")
    warnings += [f"lab {s.lab_id}: {s.tubes:,} tubes over its daily capacity {s.capacity:,}"
                 for s in lab_rows if s.over_capacity]
    recommended = math.ceil(persons / rule.people_per_point)
    if points < recommended:
        warnings.append(f"{points:,} sampling points for {persons:,} people: the guide asks one point per "
                        f"{rule.people_per_point:,} people ({recommended:,})")
    hours = first_h + retest_h
    if hours > rule.round_target_hours:
        warnings.append(f"the round takes {hours:.1f} h, over the {rule.round_target_hours:g} h target")
    return RoundPlan(persons=persons, single_tube_persons=single_tube_persons, prevalence=prevalence,
                     optimal_k=opt, optimal_tests_per_person=tests_per_person(prevalence, opt), pool_size=k,
                     tests_per_person=tests / persons, first_tubes=first, expected_retests=tests - first,
                     expected_tests=tests, points=points, points_recommended=recommended,
                     capacity_per_day=capacity, lab_days=tests / capacity, sampling_hours=sampling_h, hours=hours,
                     target_hours=rule.round_target_hours, labs=lab_rows, warnings=tuple(warnings))


def _stable_order(key: np.ndarray) -> np.ndarray:
    """Stable sort order of non-negative int keys: LSD radix on 16-bit digits (numpy's radix sort), O(n)."""
    if key.size == 0 or key.max() < 1 << 16:
        return np.argsort(key.astype(np.uint16), kind="stable")
    if key.max() < 1 << 32:
        lo = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
        return lo[np.argsort((key[lo] >> 16).astype(np.uint16), kind="stable")]
    return np.argsort(key, kind="stable")


def assign_tubes(point: np.ndarray, single: np.ndarray, k: int) -> np.ndarray:
    """Tube number for each person: per point, key-group people one per tube, the rest k per tube.

    `point` holds each person's sampling-point index (≥ 0), `single` whether they need a single tube.
    Tubes are numbered 0.. in (point, single-first) order, people in their input order within a
    group; vectorised (one radix sort) for city-wide rounds.
    """
    if point.shape != single.shape:
        raise ValueError("point and single must have the same length")
    if k < 1:
        raise ValueError("pool size must be at least 1")
    n = point.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if point.min() < 0:
        raise ValueError("sampling-point indexes must be ≥ 0")
    key = point.astype(np.int64) * 2 + ~single.astype(bool)   # single tubes first within a point
    order = _stable_order(key)
    ks = key[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    sizes = np.diff(np.r_[starts, n])
    per_tube = np.where(ks[starts] & 1, k, 1)
    first_tube = np.r_[0, np.cumsum(-(-sizes // per_tube))[:-1]]
    rank = np.arange(n) - np.repeat(starts, sizes)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.repeat(first_tube, sizes) + rank // np.repeat(per_tube, sizes)
    return out
