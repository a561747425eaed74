"""The end condition of an obligation whose end needs results (protocol.lifecycle), against a brute-force reading."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.lifecycle import Test, results_met_at

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2022, 3, 21, tzinfo=TZ)   # the nominal end: the last day is 03-20
T0 = datetime(2022, 3, 11, tzinfo=TZ)

results = st.sampled_from(["pending", "negative", "positive", "invalid", "suspected"])
hours = st.integers(min_value=0, max_value=24 * 14)


@st.composite
def schedules(draw):
    tests, n = [], draw(st.integers(0, 5))
    for i in range(n):
        r = draw(results)
        tests.append(Test(i + 1, date(2022, 3, 11) + timedelta(days=draw(st.integers(0, 12))), r,
                          None if r == "pending" else T0 + timedelta(hours=draw(hours))))
    for t in list(tests):   # an invalid test may have a re-sample
        if t.result == "invalid" and draw(st.booleans()):
            r = draw(results)
            tests.append(Test(len(tests) + 1, t.due, r, None if r == "pending" else T0 + timedelta(hours=draw(hours)),
                              t.id))
    return tests


def brute(tests: list[Test], at: datetime) -> datetime | None:
    if at < END:
        return None
    originals = [t for t in tests if t.resample_of is None and t.due < END.date()]
    standing = []
    for t in originals:
        last = t
        for again in sorted(tests, key=lambda x: x.id):
            if again.resample_of == last.id and last.result == "invalid" and again.result != "pending":
                last = again
        standing.append(last)
    if any(t.result != "negative" or t.result_at is None or t.result_at > at for t in standing):
        return None
    return max([END, *(t.result_at for t in standing)])


@given(schedules(), hours)
def test_the_end_condition_is_met_exactly_when_every_required_result_is_in_and_negative(tests, h):
    at = T0 + timedelta(hours=h)
    assert results_met_at(tests, end_at=END, at=at, tz=TZ) == brute(tests, at)


@given(schedules(), hours, hours)
def test_once_met_it_stays_met_from_the_same_instant(tests, h1, h2):
    a, b = sorted((T0 + timedelta(hours=h1), T0 + timedelta(hours=h2)))
    met = results_met_at(tests, end_at=END, at=a, tz=TZ)
    if met is not None:
        assert results_met_at(tests, end_at=END, at=b, tz=TZ) == met
