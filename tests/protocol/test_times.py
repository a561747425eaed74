"""Plausible times: any datetime, with any offset, is accepted or refused with ValueError, never overflows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.times import EARLIEST, check_date, check_time

NOW = datetime(2022, 3, 14, 12, tzinfo=UTC)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(timezones=st.none() | offsets), st.booleans())
def test_any_time_is_accepted_or_refused_never_overflows(t, planned):
    latest = NOW + (timedelta(days=366) if planned else timedelta(days=1))
    try:
        assert check_time(t, now=NOW, planned=planned) is t
    except ValueError as exc:
        assert "implausible" in str(exc)
        if t.tzinfo is not None and t.year not in (1, 9999):
            assert not EARLIEST <= t <= latest
    else:
        if t.tzinfo is not None:
            assert EARLIEST <= t <= latest


def test_the_edges():
    assert check_time(EARLIEST, now=NOW) and check_time(NOW + timedelta(hours=23), now=NOW)
    for bad in (EARLIEST - timedelta(seconds=1), NOW + timedelta(days=2), datetime(1, 1, 1, tzinfo=timezone(
            timedelta(hours=8))), datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-8)))):
        with pytest.raises(ValueError, match="implausible"):
            check_time(bad, now=NOW)
    assert check_time(NOW + timedelta(days=300), now=NOW, planned=True)
    assert check_date(date(2022, 3, 15), today=date(2022, 3, 14))
    with pytest.raises(ValueError, match="implausible"):
        check_date(date(1, 1, 1), today=date(2022, 3, 14), planned=True)
