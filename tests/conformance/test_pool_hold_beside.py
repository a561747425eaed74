"""Rule (issue 23): a pool hold (临时管控, a reactive pooled tube) is an obligation beside the person's others, never
skipped because another is in force: an overlap under three-day health monitoring, free to go about and green, is
held and turns yellow. A later hold of the same person outlasting the first ends it as `extended` (its history
kept) instead of rewriting its end."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conformance.scenario import at, code, obligations, ok
from sqlalchemy import select
from test_flow import city

from fangkong.kit.clikit import unit_of_work
from fangkong.measures import service as measure_service
from fangkong.people.models import Person

TZ = ZoneInfo("Asia/Shanghai")


def _hold(person_id: str, since: datetime, hours: int) -> int:
    with unit_of_work() as s:
        fk = s.scalar(select(Person.id).where(Person.person_id == person_id))
        return measure_service.place_temporary_control(s, [fk], since=since, until=since + timedelta(hours=hours),
                                                       edition="9", reason="tube T000001 positive")


def test_a_pool_hold_is_added_beside_an_overlaps_health_monitoring(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    assert obligations("P00005") == [("overlap", "health_monitoring", None)]
    assert code("P00005")["colour"] == "green"  # 三天两检: free to go about
    at(monkeypatch, "2022-03-12T10:00+08:00")
    assert _hold("P00005", datetime(2022, 3, 12, 10, tzinfo=TZ), 24) == 1
    assert obligations("P00005") == [("overlap", "health_monitoring", None),
                                     ("pool_member", "temporary_control", None)]
    assert code("P00005")["colour"] == "yellow" and "pool_member" in code("P00005")["reasons"]
    at(monkeypatch, "2022-03-12T20:00+08:00")  # a second reactive tube: held longer, the first hold extended
    assert _hold("P00005", datetime(2022, 3, 12, 20, tzinfo=TZ), 24) == 1
    assert obligations("P00005", active_only=False) == [("overlap", "health_monitoring", None),
                                                        ("pool_member", "temporary_control", "extended"),
                                                        ("pool_member", "temporary_control", None)]
    assert _hold("P00005", datetime(2022, 3, 12, 21, tzinfo=TZ), 2) == 0  # already held longer: nothing added
    at(monkeypatch, "2022-03-13T19:00+08:00")
    assert "pool_member" in code("P00005")["reasons"]  # until 03-13 20:00, not the first hold's 10:00
