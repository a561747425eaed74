"""Booster due dates and ages: unit and property tests."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.vaccination import add_months, age_on, booster_due, born_by, primary_done_by


def test_booster_due_six_months_after_the_primary_series():
    assert booster_due(date(2021, 6, 15)) == date(2021, 12, 15)
    assert booster_due(date(2021, 8, 31)) == date(2022, 2, 28)
    assert booster_due(date(2023, 8, 31)) == date(2024, 2, 29)


def test_age_on_a_day():
    assert age_on(date(1962, 3, 15), date(2022, 3, 14)) == 59
    assert age_on(date(1962, 3, 15), date(2022, 3, 15)) == 60


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(0, 600))
def test_property_add_months_lands_in_the_right_month_never_past_the_day(d, n):
    r = add_months(d, n)
    assert (r.year * 12 + r.month) - (d.year * 12 + d.month) == n
    assert r.day <= d.day and (r.day == d.day or (r + timedelta(days=1)).day == 1)


_days = st.dates(date(1900, 1, 1), date(2100, 1, 1))


@given(_days, _days, st.integers(0, 100))
def test_property_an_age_band_is_a_birth_date_range(birth, on, years):
    assert (age_on(birth, on) >= years) == (birth <= born_by(on, years))


@given(_days, _days)
def test_property_booster_due_iff_primary_done_by_the_cutoff(done, on):
    assert (booster_due(done) <= on) == (done <= primary_done_by(on))
