"""The measure lifecycle rules: release only after the full period with every test negative; upgrades."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.edition import load_edition
from fangkong.protocol.lifecycle import release_decision, upstream_verdict
from fangkong.protocol.measures import measure_for

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")
EXPOSED = datetime(2022, 3, 10, 12, tzinfo=TZ)
CLOSE = measure_for(E9, "close", last_exposure_at=EXPOSED, found_at=EXPOSED + timedelta(hours=5), tz=TZ)
SECONDARY = measure_for(E9, "secondary", last_exposure_at=EXPOSED, found_at=EXPOSED + timedelta(hours=5), tz=TZ)


def decide(plan, now, results, upstream="negative"):
    tests = list(zip(plan.test_dates, results, strict=True))
    return release_decision(now=now, phase_end_at=plan.phase_end_at, end_at=plan.end_at, then_kind=plan.then_kind,
                            tests=tests, tz=TZ, upstream=upstream)


def test_close_contact_steps_down_after_seven_days_then_is_released_after_ten():
    assert CLOSE.phase_end_at == datetime(2022, 3, 18, tzinfo=TZ) and CLOSE.end_at == datetime(2022, 3, 21, tzinfo=TZ)
    neg = ["negative"] * len(CLOSE.test_dates)
    assert decide(CLOSE, datetime(2022, 3, 17, 23, tzinfo=TZ), neg).action == "refuse"
    assert decide(CLOSE, CLOSE.phase_end_at, neg[:5] + ["pending"]).action == "step_down"  # day-3 home test later
    assert decide(CLOSE, CLOSE.end_at, neg[:5] + ["pending"]).reason == "the test of 2022-03-20 is missing"
    assert decide(CLOSE, CLOSE.end_at, neg).action == "release"


def test_a_release_before_the_period_ends_or_with_a_missing_test_is_refused():
    neg = ["negative"] * 3
    d = decide(SECONDARY, SECONDARY.end_at - timedelta(minutes=1), neg)
    assert d.action == "refuse" and d.reason == "the period runs until 2022-03-18 00:00"
    assert decide(SECONDARY, SECONDARY.end_at, ["negative", "pending", "negative"]).reason == (
        "the test of 2022-03-14 is missing")
    assert "is invalid" in decide(SECONDARY, SECONDARY.end_at, ["negative", "invalid", "negative"]).reason
    assert "is positive" in decide(SECONDARY, SECONDARY.end_at, ["negative", "positive", "negative"]).reason


def test_secondary_contact_needs_the_close_contacts_first_two_tests():
    neg = ["negative"] * 3
    assert decide(SECONDARY, SECONDARY.end_at, neg, upstream="pending").reason.startswith("waiting for the close")
    assert decide(SECONDARY, SECONDARY.end_at - timedelta(days=3), neg, upstream="positive").action == "upgrade"
    assert upstream_verdict([["negative", "negative", "pending"]], 2) == "negative"
    assert upstream_verdict([["negative", "pending"]], 2) == "pending"
    assert upstream_verdict([["negative"]], 2) == "pending"
    assert upstream_verdict([["negative", "negative"], ["negative", "positive"]], 2) == "positive"
    assert upstream_verdict([["negative", "negative", "positive"]], 2) == "negative"  # a late positive: not upstream
    assert upstream_verdict([], 2) == "pending" and upstream_verdict([], 0) == "negative"


RESULTS = st.sampled_from(["negative", "negative", "negative", "pending", "positive", "invalid", "suspected"])


@given(st.sampled_from(["close", "secondary", "arrival_medium", "sealed_resident", "companion"]),
       st.integers(0, 20 * 24), st.data())
def test_release_only_after_the_full_period_with_every_test_negative(category, hours, data):
    plan = measure_for(E9, category, last_exposure_at=EXPOSED, found_at=EXPOSED + timedelta(hours=3), tz=TZ)
    results = data.draw(st.lists(RESULTS, min_size=len(plan.test_dates), max_size=len(plan.test_dates)))
    now = EXPOSED + timedelta(hours=hours)
    d = decide(plan, now, results)
    if d.action == "release":
        assert now >= plan.end_at and all(r == "negative" for r in results)
    if d.action == "step_down":
        assert plan.then_kind and plan.phase_end_at <= now < plan.end_at
        first = [r for day, r in zip(plan.test_dates, results, strict=True) if day < plan.phase_end_at.date()]
        assert all(r == "negative" for r in first)
    if now >= plan.end_at and all(r == "negative" for r in results):
        assert d.action == "release"
    assert d.action != "upgrade"


@given(st.lists(st.lists(RESULTS, max_size=5), max_size=4), st.integers(1, 3))
def test_upgrade_exactly_when_an_early_upstream_test_is_positive(results, required):
    verdict = upstream_verdict(results, required)
    assert (verdict == "positive") == any("positive" in r[:required] for r in results)
    if verdict == "negative":
        assert results and all(len(r) >= required and set(r[:required]) == {"negative"} for r in results)


def test_sealed_residents_are_tested_every_day_in_each_edition():
    for name in ("8", "9"):
        e = load_edition(name)
        plan = measure_for(e, "sealed_resident", last_exposure_at=EXPOSED, found_at=EXPOSED, tz=TZ)
        days = plan.test_dates
        assert len(days) == e.measures["sealed_resident"].days
        assert all(b - a == timedelta(days=1) for a, b in zip(days, days[1:], strict=False))
        assert days[0] == date(2022, 3, 11)


def test_a_close_contacts_first_tests_count_a_re_sample_for_an_invalid_test_as_known_then():
    from fangkong.protocol.lifecycle import Test, first_results

    at = datetime(2022, 3, 12, 10, tzinfo=TZ)
    tests = [Test(1, date(2022, 3, 11), "invalid", at), Test(2, date(2022, 3, 12), "negative", at),
             Test(3, date(2022, 3, 13), "pending"), Test(9, date(2022, 3, 12), "negative", at + timedelta(hours=5), 1)]
    assert first_results(tests, 2) == ["negative", "negative"]  # the re-sample stands for day 1, on day 1
    assert upstream_verdict([first_results(tests, 2)], 2) == "negative"
    assert first_results(tests, 2, at + timedelta(hours=1)) == ["invalid", "negative"]  # not in yet then
    assert first_results(tests, 2, at - timedelta(hours=1)) == ["pending", "pending"]


@given(st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["negative", "positive", "invalid", "pending"]),
                          st.integers(0, 48), st.booleans()), max_size=8), st.integers(0, 48), st.integers(0, 48),
       st.integers(1, 3))
def test_first_results_known_at_an_instant_only_fill_in_later(rows, h1, h2, required):
    """A result known at an instant is still there later (an invalid one may give way to its re-sample's), and
    nothing that came in after the instant is read."""
    from fangkong.protocol.lifecycle import Test, first_results

    t0 = datetime(2022, 3, 11, tzinfo=TZ)
    tests = []
    for i, (d, r, h, again) in enumerate(rows):
        of = next((t.id for t in reversed(tests) if t.result == "invalid" and t.resample_of is None), None) \
            if again else None
        tests.append(Test(i, date(2022, 3, 11) + timedelta(days=d), r,
                          None if r == "pending" else t0 + timedelta(hours=h), of))
    early, late = sorted((t0 + timedelta(hours=h1), t0 + timedelta(hours=h2)))
    before, after = first_results(tests, required, early), first_results(tests, required, late)
    assert len(before) == len(after) == min(required, len([t for t in tests if t.resample_of is None]))
    for a, b in zip(before, after, strict=True):
        assert a == "pending" or a == b or (a == "invalid" and b != "pending")
    known = [t for t in tests if t.result_at is None or t.result_at <= early]
    assert set(before) - {"pending"} <= {t.result for t in known}
