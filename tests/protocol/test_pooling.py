"""Pooling maths (Dorfman), the single-tube rule, result follow-ups, round plans: known values and properties."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol import pooling
from fangkong.protocol.edition import available_editions, load_edition
from fangkong.protocol.pooling import (
    RESULTS,
    assign_tubes,
    best_allowed_size,
    expected_tests,
    follow_up,
    needs_single_tube,
    optimal_pool_size,
    plan_round,
    result_from_ct,
    split_by_capacity,
)

RULE = pooling.testing_rule(load_edition("9"))
prevalence = st.floats(min_value=1e-6, max_value=0.999, allow_nan=False)


def test_known_values_from_the_issue():
    assert optimal_pool_size(0.01) == 11
    assert round(pooling.tests_per_person(0.01, 11), 3) == 0.196
    assert round(expected_tests(10_000_000, 0.001, 10)) == 1_099_551


def test_small_pools_and_singles():
    assert pooling.tests_per_person(0.2, 1) == 1.0
    assert expected_tests(7, 0.1, 1) == 7
    # 7 people in pools of 3: two full pools and one pool of 1 (a single test, never re-tested)
    assert expected_tests(7, 0.1, 3) == pytest.approx(2 * (1 + 3 * (1 - 0.9 ** 3)) + 1)
    assert best_allowed_size(0.01, (1, 5, 10, 20)) == 10
    assert best_allowed_size(0.4, (1, 5, 10, 20)) == 1  # pooling stops paying above ~30 %


@pytest.mark.parametrize("p", [0, 1, -0.1, 1.5, float("nan")])
def test_prevalence_outside_zero_one_is_refused(p):
    with pytest.raises(ValueError, match="prevalence"):
        pooling.tests_per_person(p, 5)
    with pytest.raises(ValueError, match="prevalence"):
        plan_round(RULE, persons=10, prevalence=p, points=1, labs={"L": 10})


def test_every_edition_has_testing_numbers():
    for name in available_editions():
        r = pooling.testing_rule(load_edition(name))
        assert 1 in r.pool_sizes and max(r.pool_sizes) <= r.max_pool_size
        assert r.ct_positive_below < r.ct_negative_from


def test_single_tube_for_key_groups():
    assert needs_single_tube({"risk_person"}, RULE)
    assert needs_single_tube({"general", "port_worker"}, RULE)
    assert not needs_single_tube(set(), RULE) and not needs_single_tube({"general"}, RULE)


def test_follow_ups():
    assert follow_up("negative", members=10).clears
    pool = follow_up("positive", members=10)
    assert pool.hold and pool.retest == "pool_positive" and pool.single_retest and not pool.report_positive
    assert follow_up("suspected", members=5).retest == "pool_positive"
    single = follow_up("positive", members=1)
    assert single.report_positive and single.retest == "recheck"
    assert follow_up("weak_positive", members=1).retest == "repeat"
    inv = follow_up("invalid", members=10)
    assert inv.retest == "resample" and not inv.single_retest and not inv.hold
    assert follow_up("positive", members=0, environmental=True) == follow_up("negative", members=0,
                                                                              environmental=True)
    with pytest.raises(ValueError):
        follow_up("maybe", members=1)


def test_result_from_ct():
    assert result_from_ct(25.1, 27.3, RULE) == "positive"
    assert result_from_ct(25.1, None, RULE) == "suspected"    # single target: repeat
    assert result_from_ct(38.0, 39.0, RULE) == "suspected"    # grey zone
    assert result_from_ct(None, None, RULE) == "negative"
    assert result_from_ct(41, 40, RULE) == "negative"


def test_plan_round_figures_and_warnings():
    p = plan_round(RULE, persons=10_000_000, prevalence=0.001, points=4000, labs={"own": 143_000, "contract": 80_000},
                   pool_size=10)
    assert p.first_tubes == 1_000_000 and round(p.expected_tests) == 1_099_551
    assert p.optimal_k == 20 and p.pool_size == 10
    assert sum(s.tubes for s in p.labs) == p.first_tubes
    assert not p.meets_target and any("lab-days" in w for w in p.warnings)
    small = plan_round(RULE, persons=20_000, prevalence=0.01, points=8, labs={"L": 48_000}, single_tube_persons=500)
    assert small.pool_size == 10 and small.optimal_k == 11 and small.meets_target and not small.warnings
    assert small.first_tubes == 500 + 1950


def test_plan_round_bad_input():
    with pytest.raises(ValueError, match="sampling point"):
        plan_round(RULE, persons=10, prevalence=0.01, points=0, labs={"L": 10})
    with pytest.raises(ValueError, match="lab"):
        plan_round(RULE, persons=10, prevalence=0.01, points=1, labs={})
    with pytest.raises(ValueError, match="pool size"):
        plan_round(RULE, persons=10, prevalence=0.01, points=1, labs={"L": 10}, pool_size=30)


@given(prevalence, st.integers(1, 100))
def test_dorfman_between_one_over_k_and_one_plus(p, k):
    e = pooling.tests_per_person(p, k)
    assert (e == 1) if k == 1 else (1 / k < e <= 1 / k + 1)


@given(prevalence)
def test_optimum_is_no_worse_than_any_size(p):
    k = optimal_pool_size(p, 40)
    assert all(pooling.tests_per_person(p, k) <= pooling.tests_per_person(p, j) + 1e-12 for j in range(1, 41))


@given(st.integers(0, 5000), prevalence, st.integers(1, 30))
def test_expected_tests_at_least_one_per_tube(n, p, k):
    assert math.ceil(n / k) <= expected_tests(n, p, k) <= n + math.ceil(n / k)


@given(st.integers(0, 10**7), st.lists(st.integers(1, 10**6), min_size=1, max_size=6))
def test_split_by_capacity_sums_and_is_fair(total, caps):
    out = split_by_capacity(total, caps)
    assert sum(out) == total
    assert all(abs(n - total * c / sum(caps)) < 1 for n, c in zip(out, caps, strict=False))


@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=200), st.integers(1, 20))
def test_assign_tubes_respects_pool_size_points_and_single_tubes(people, k):
    point = np.array([p for p, _ in people], dtype=np.int64)
    single = np.array([s for _, s in people], dtype=bool)
    tube = assign_tubes(point, single, k)
    assert len(tube) == len(people)
    for t in set(tube.tolist()):
        members = np.flatnonzero(tube == t)
        assert len(set(point[members].tolist())) == 1              # one point per tube
        assert len(members) <= (1 if single[members].any() else k)  # key groups alone
    if people:  # tubes numbered without gaps, and as few as the rule allows
        n_tubes = len(set(tube.tolist()))
        assert sorted(set(tube.tolist())) == list(range(n_tubes))
        expect = sum(int(single[point == p].sum()) + math.ceil(int((~single[point == p]).sum()) / k)
                     for p in set(point.tolist()))
        assert n_tubes == expect


def test_results_match_the_formats_contract():
    assert RESULTS == ("negative", "positive", "suspected", "weak_positive", "invalid")
