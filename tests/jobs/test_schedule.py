"""protocol.schedule: when a job runs next (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.schedule import DailyAt, Every, next_run

TZ = ZoneInfo("Asia/Shanghai")


def test_daily_runs_at_the_local_time_strictly_after():
    at = DailyAt(3, 30)
    assert next_run(at, datetime(2022, 3, 12, 1, 0, tzinfo=TZ), TZ) == datetime(2022, 3, 12, 3, 30, tzinfo=TZ)
    assert next_run(at, datetime(2022, 3, 12, 3, 30, tzinfo=TZ), TZ) == datetime(2022, 3, 13, 3, 30, tzinfo=TZ)
    # 19:30 UTC is 03:30 the next morning in Shanghai
    assert next_run(at, datetime(2022, 3, 12, 19, 0, tzinfo=UTC), TZ) == datetime(2022, 3, 13, 3, 30, tzinfo=TZ)


def test_every_counts_from_the_end_of_the_last_run():
    t = datetime(2022, 3, 12, 1, 0, tzinfo=TZ)
    assert next_run(Every(60), t, TZ) == t + timedelta(seconds=60)
    assert Every(60).describe() == "every 1 min" and DailyAt(3, 0).describe() == "daily 03:00"


@given(when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
       hour=st.integers(0, 23), minute=st.integers(0, 59),
       zone=st.sampled_from(["Asia/Shanghai", "UTC", "Asia/Urumqi"]))
def test_daily_is_the_next_occurrence_within_a_day(when, hour, minute, zone):
    tz = ZoneInfo(zone)
    nxt = next_run(DailyAt(hour, minute), when, tz)
    assert when < nxt <= when + timedelta(days=1)
    local = nxt.astimezone(tz)
    assert (local.hour, local.minute, local.second) == (hour, minute, 0)


def test_the_deployment_sets_an_interval_jobs_period():
    """FANGKONG_JOBS_EVERY: other periods by name for interval jobs; a night job or an unknown name is refused."""
    import pytest

    from fangkong.errors import InvalidInput
    from fangkong.jobs import registry
    from fangkong.settings import Settings

    jobs = {j.name: j for j in registry.scheduled(Settings(jobs_every={"notify.collect": 2}))}
    assert jobs["notify.collect"].spec == Every(2.0) and jobs["inbox.scan"].spec == Every(10)
    assert jobs["notify.collect"].run is registry.notify.collect
    for bad in ({"backup": 60}, {"no.such": 1}, {"inbox.scan": 0}):
        with pytest.raises(InvalidInput):
            registry.scheduled(Settings(jobs_every=bad))
