"""Rule (issue 23): a past day's bulletin and figures do not change when counted again or re-issued. A
re-trace on a later day that drops risk persons or gives them another category (here the case's isolation
time is corrected to 03-10 12:40, so the window ends before most meetings) counts from the re-trace on; the
days before it still count what was known then. A correction is a new version, marked as such, and only when
the figures of that day as of its end changed; an epidemiologist's override counts from when it was made."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from clihelp import fk
from conformance.scenario import at, ok
from sqlalchemy import select
from test_flow import city

from fangkong.cases.models import Case
from fangkong.contacts import service as contacts
from fangkong.contacts.models import RiskPerson
from fangkong.kit.clikit import unit_of_work
from fangkong.reports import issued

TZ = ZoneInfo("Asia/Shanghai")


def _figures(day: date) -> dict:
    with unit_of_work() as s:
        return issued.shown(s, day, tz=TZ, draft=True).figures.as_dict()


def _categories() -> dict[str, str]:
    with unit_of_work() as s:
        return {w.removeprefix("p:"): c for w, c in s.execute(select(RiskPerson.who, RiskPerson.category))}


def test_a_re_trace_that_drops_and_recategorizes_leaves_earlier_days_as_they_were(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    case = ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
              "2022-03-11T20:00")
    ok("trace", case)
    at(monkeypatch, "2022-03-12T08:00+08:00")
    text_11 = ok("reports", "bulletin", "--date", "2022-03-11")  # issued: version 1
    before = _figures(date(2022, 3, 11))
    assert (before["traced_by_category"], before["traced_total"]) == (
        {"close": 2, "secondary": 2, "companion": 1, "overlap": 1}, 6)
    at(monkeypatch, "2022-03-13T10:00+08:00")
    with unit_of_work() as s:  # the case was in fact isolated at 03-10 12:40: the window is corrected
        corrected = s.scalar(select(Case).where(Case.case_no == case))
        corrected.isolated_at = datetime(2022, 3, 10, 12, 40, tzinfo=TZ)
    ok("trace", case)
    assert _categories() == {"P00002": "close", "P00003": "overlap"}  # 4 dropped, P00003 close -> overlap
    # 03-11 and 03-12, counted again, count what was known then
    assert _figures(date(2022, 3, 11)) == before
    assert _figures(date(2022, 3, 12))["traced_by_category"] == before["traced_by_category"]
    assert ok("reports", "bulletin", "--date", "2022-03-11") == text_11
    r = fk("reports", "bulletin", "--date", "2022-03-11", "--reissue", "--reason", "re-traced")
    assert r.exit_code != 0 and "unchanged" in r.output, "nothing known by 03-11 24:00 changed: no correction"
    # the day of the re-trace counts what it found, and no one as new
    at(monkeypatch, "2022-03-14T08:00+08:00")
    after = _figures(date(2022, 3, 13))
    assert (after["traced_by_category"], after["traced_total"], after["new_traced"]) == (
        {"close": 1, "secondary": 0, "companion": 0, "overlap": 1}, 2, 0)
    # an override on 03-14 counts from then on: 03-13 keeps P00003 an overlap
    with unit_of_work() as s:
        rid = s.scalar(select(RiskPerson.id).where(RiskPerson.who == "p:P00003"))
    at(monkeypatch, "2022-03-14T09:00+08:00")
    with unit_of_work() as s:
        contacts.override_category(s, s.get(RiskPerson, rid), "close", reason="流调：同桌用餐")
    assert _figures(date(2022, 3, 13)) == after
    at(monkeypatch, "2022-03-15T08:00+08:00")
    assert _figures(date(2022, 3, 14))["traced_by_category"] == {"close": 2, "secondary": 0, "companion": 0,
                                                                 "overlap": 0}
