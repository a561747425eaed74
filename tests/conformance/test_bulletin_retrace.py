"""Rule (issue 23): the bulletin of day D is counted as of D 24:00 from the records' history, so what happens on a
later day does not change it. A re-trace of the case on a later day (new data, a corrected window) replaces its
risk persons: those found again keep the instant they were first found, so D still counts them as traced that day
and its tests as they were then; the day of the re-trace counts no new risk person."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from conformance.scenario import at, ok
from sqlalchemy import select
from test_flow import city

from fangkong.contacts.models import RiskPerson
from fangkong.kit.clikit import unit_of_work
from fangkong.reports import issued

TZ = ZoneInfo("Asia/Shanghai")


def _figures(day: date) -> dict:
    with unit_of_work() as s:
        return issued.shown(s, day, tz=TZ, draft=True).figures.as_dict()


def test_a_re_trace_on_a_later_day_does_not_change_an_earlier_days_bulletin(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    case = ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at", "2022-03-11T20:00")
    ok("trace", case)
    at(monkeypatch, "2022-03-12T08:00+08:00")
    before = _figures(date(2022, 3, 11))
    assert before["traced_total"] == 6 and before["new_traced"] == 6
    at(monkeypatch, "2022-03-13T10:00+08:00")
    ok("trace", case)   # re-traced two days later: the same six people found again
    with unit_of_work() as s:
        found = {f.astimezone(TZ).date() for f in s.scalars(select(RiskPerson.found_at))}
    assert found == {date(2022, 3, 11)}, "a risk person found again keeps the day he was first found"
    assert _figures(date(2022, 3, 11)) == before
    at(monkeypatch, "2022-03-14T08:00+08:00")
    assert _figures(date(2022, 3, 13))["new_traced"] == 0
