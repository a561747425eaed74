"""Windows, measure schedules, the stricter measure, code colours: unit and property tests."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.codes import Reason, code_colour
from fangkong.protocol.edition import CATEGORIES, MEASURE_KINDS, load_edition
from fangkong.protocol.measures import measure_for, stricter, strictness
from fangkong.protocol.window import lookback_window

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_window_two_days_before_sample_date_until_isolation():
    w = lookback_window(E9, sampled_at=at(2022, 3, 14, 9, 30), isolated_at=at(2022, 3, 14, 20), tz=TZ)
    assert w.start == at(2022, 3, 12) and w.end == at(2022, 3, 14, 20)


def test_window_from_onset_date():
    w = lookback_window(E9, sampled_at=at(2022, 3, 14, 9), isolated_at=at(2022, 3, 14, 20),
                        onset_date=date(2022, 3, 13), tz=TZ)
    assert w.start == at(2022, 3, 11)


def test_local_preset_four_days():
    w = lookback_window(E9, sampled_at=at(2022, 3, 14, 9), isolated_at=at(2022, 3, 14, 20), days_before=4, tz=TZ)
    assert w.start == at(2022, 3, 10)


def test_serial_screening_starts_at_last_negative_in_ninth_only():
    kw = dict(sampled_at=at(2022, 3, 14, 9), isolated_at=at(2022, 3, 14, 20), last_negative_at=at(2022, 3, 13, 7),
              tz=TZ)
    assert lookback_window(E9, **kw).start == at(2022, 3, 13, 7)
    assert lookback_window(load_edition("8"), **kw).start == at(2022, 3, 12)


def test_close_contact_ninth_edition_schedule():
    p = measure_for(E9, "close", last_exposure_at=at(2022, 3, 14, 12), found_at=at(2022, 3, 14, 18), tz=TZ)
    assert p.kind == "centralized_isolation" and p.then_kind == "home_monitoring"
    assert p.phase_end_at == at(2022, 3, 22)          # 7 days from the last exposure
    assert p.end_at == at(2022, 3, 25)                # + 3 days home health monitoring
    assert p.test_dates == tuple(date(2022, 3, d) for d in (15, 16, 17, 19, 21, 24))


def test_missed_test_days_are_done_when_found():
    p = measure_for(E9, "close", last_exposure_at=at(2022, 3, 10, 12), found_at=at(2022, 3, 13, 18), tz=TZ)
    assert p.test_dates[0] == date(2022, 3, 13)
    assert date(2022, 3, 11) not in p.test_dates


def test_secondary_ninth_edition_home_isolation_1_4_7():
    p = measure_for(E9, "secondary", last_exposure_at=at(2022, 3, 14, 12), found_at=at(2022, 3, 14, 18), tz=TZ)
    assert p.kind == "home_isolation" and p.end_at == at(2022, 3, 22)
    assert p.test_dates == (date(2022, 3, 15), date(2022, 3, 18), date(2022, 3, 21))


def test_eighth_edition_close_is_14_plus_7():
    p = measure_for(load_edition("8"), "close", last_exposure_at=at(2022, 2, 20, 12), found_at=at(2022, 2, 20, 20), tz=TZ)
    assert p.phase_end_at == at(2022, 3, 7) and p.end_at == at(2022, 3, 14)
    assert p.test_dates[:4] == tuple(date(2022, 2, 20) + timedelta(days=n) for n in (1, 4, 7, 14))


plans = st.builds(
    lambda cat, h, f: measure_for(E9, cat, last_exposure_at=at(2022, 3, 1) + timedelta(hours=h),
                                  found_at=at(2022, 3, 1) + timedelta(hours=h + f), tz=TZ),
    st.sampled_from(CATEGORIES), st.integers(0, 500), st.integers(0, 200))


@given(plans, plans)
def test_stricter_never_shortens_or_loosens(a, b):
    kept = stricter(a, b)
    assert kept in (a, b)
    assert strictness(kept.kind) == min(strictness(a.kind), strictness(b.kind))
    if a.kind == b.kind:
        assert kept.end_at == max(a.end_at, b.end_at)


@given(plans)
def test_plan_tests_fall_inside_the_measure(p):
    for d in p.test_dates:
        assert p.start_at.astimezone(TZ).date() <= d <= p.end_at.astimezone(TZ).date()
    assert p.end_at >= p.start_at
    assert p.kind in MEASURE_KINDS


def test_code_colours_and_changes_at():
    now = at(2022, 3, 14, 12)
    assert code_colour(E9, [], now).colour == "green"
    red = code_colour(E9, [Reason("close", at(2022, 3, 25)), Reason("companion", at(2022, 3, 17))], now)
    assert red.colour == "red" and red.changes_at == at(2022, 3, 25)
    assert [r.label for r in red.reasons] == ["close"]
    assert code_colour(E9, [Reason("secondary", at(2022, 3, 22))], now).colour == "yellow"
    assert code_colour(E9, [Reason("case", None)], now).changes_at is None
    assert code_colour(E9, [Reason("close", at(2022, 3, 13))], now).colour == "green"  # already ended
    assert code_colour(E9, [Reason("overlap", at(2022, 3, 17))], now).colour == "green"
    assert code_colour(E9, [Reason("overdue_test", None)], now).colour == "yellow"


@given(st.lists(st.tuples(st.sampled_from(CATEGORIES + ("case", "suspected", "overdue_test")),
                          st.integers(-100, 100)), max_size=6))
def test_colour_is_the_worst_live_reason(items):
    now = at(2022, 3, 14)
    reasons = [Reason(lbl, now + timedelta(hours=h) if lbl not in ("case", "suspected", "overdue_test") else None)
               for lbl, h in items]
    live = {r.label for r in reasons if r.until is None or r.until > now}
    colour = code_colour(E9, reasons, now).colour
    expected = "red" if live & set(E9.red) else "yellow" if live & set(E9.yellow) else "green"
    assert colour == expected


@pytest.mark.parametrize("name", ["8", "9", "20"])
def test_every_category_has_a_measure(name):
    e = load_edition(name)
    for cat in CATEGORIES:
        assert cat in e.measures
