"""/isolation on a past day shows the sites as they stood at its 24:00 (issue 25; the rooms occupied already were):
the rooms in service, a site's status, its 三区两通道 flag and staff from the audit log (capacity._changes_after),
a site registered later left out, the reserve counted from those rooms. The clock (FANGKONG_NOW) is set before
each change, so the audit log's times are the history's. Real HTTP and the export."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from clihelp import set_clock
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites

PAGE = {"accept": "text/html"}
TZ = ZoneInfo("Asia/Shanghai")


def _history(monkeypatch) -> None:
    """S1 (3 rooms, open) and S2 (2 rooms, preparing) on 03-10; on 03-12 S2 opens, S1 gets 2 more rooms, a staff
    member and loses its 三区两通道 flag; S3 (4 rooms) is registered on 03-13; today is 03-14."""
    set_clock(monkeypatch, "2022-03-10T09:00:00+08:00")
    with unit_of_work() as s, acting_as(s, "test"):
        sites.add_site(s, "S1", name="一号点", jurisdiction="140105", rooms=3, three_zones_two_channels=True)
        sites.add_site(s, "S2", name="二号点", jurisdiction="140105", rooms=2, status="preparing")
    set_clock(monkeypatch, "2022-03-12T10:00:00+08:00")
    with unit_of_work() as s, acting_as(s, "test"):
        sites.update_site(s, sites.get_site(s, "S2"), status="open")
        s1 = sites.get_site(s, "S1")
        sites.add_rooms(s, s1, 2)
        sites.add_staff(s, s1, name="赵敏", role="medical")
        sites.update_site(s, s1, three_zones_two_channels=False)
    set_clock(monkeypatch, "2022-03-13T09:00:00+08:00")
    with unit_of_work() as s, acting_as(s, "test"):
        sites.add_site(s, "S3", name="三号点", jurisdiction="140105", rooms=4)
    set_clock(monkeypatch, "2022-03-14T09:00:00+08:00")


def _sites(html: str) -> dict[str, tuple[str, int, int]]:
    """site → (status shown, rooms in service, free) from /isolation's site table."""
    out = {}
    for sid, row in re.findall(r'<tr data-site="(S\d)">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out[sid] = (re.sub(r"<[^>]+>", "", cells[2]).strip(), int(cells[3]), int(cells[5]))
    return out


def test_a_past_day_shows_the_sites_as_they_stood(server, monkeypatch):  # noqa: F811
    _history(monkeypatch)
    staff = server.client_for("isolation")
    then = _sites(staff.get("/isolation", params={"day": "2022-03-11"}, headers=PAGE).text)
    assert then == {"S1": ("启用", 3, 3), "S2": ("筹备中", 2, 0)}, then          # S3 not registered yet
    on_12 = _sites(staff.get("/isolation", params={"day": "2022-03-12"}, headers=PAGE).text)
    assert on_12 == {"S1": ("启用", 5, 5), "S2": ("启用", 2, 2)}, on_12
    now = _sites(staff.get("/isolation", headers=PAGE).text)
    assert now == {"S1": ("启用", 5, 5), "S2": ("启用", 2, 2), "S3": ("启用", 4, 4)}, now
    page = staff.get("/isolation", params={"day": "2022-03-11"}, headers=PAGE).text
    assert 'data-figure="rooms_free"><div class="label">' in page
    assert re.search(r'data-figure="rooms_free">.*?<div class="value">3</div>', page, re.S)
    rows = list(csv.reader(io.StringIO(staff.get("/isolation", params={"day": "2022-03-11", "export": "csv"})
                                       .content.decode("utf-8-sig"))))
    assert [(r[1], r[4]) for r in rows[1:]] == [("S1", "3"), ("S2", "2")], rows


def test_the_flag_staff_and_reserve_of_a_past_day(env, monkeypatch):
    _history(monkeypatch)
    end_11 = datetime(2022, 3, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    with unit_of_work() as s:
        then = {o.site_id: o for o in capacity.occupancy(s, at=end_11)}
        now = {o.site_id: o for o in capacity.occupancy(s)}
        assert (then["S1"].three_zones_two_channels, then["S1"].staff) == (True, 0)
        assert (now["S1"].three_zones_two_channels, now["S1"].staff) == (False, 1)
        past = capacity.reserve(s, "140105", per_10k=20, sites=list(then.values()))
        assert past.rooms == 5 and capacity.reserve(s, "140105", per_10k=20).rooms == 11


def test_the_forecast_and_residents_of_a_past_day(server, tmp_path, monkeypatch):  # noqa: F811
    """The 7-day free-room forecast on a past day starts from the rooms free at its 24:00 and the rooms held then
    (P00002 left on 03-13: today their room is free, on 03-12 it was not); the residents are labelled today's
    (the register keeps no history of who lived where)."""
    from builders.risk import traced_city
    from test_lifecycle import measure_of
    from test_sites import two_sites

    set_clock(monkeypatch, "2022-03-10T09:00:00+08:00")
    two_sites()                         # NEAR 2 rooms, FAR 5
    traced_city(tmp_path / "city")      # 03-11 21:00: P00002 and P00003 in NEAR's two rooms
    set_clock(monkeypatch, "2022-03-13T10:00:00+08:00")
    with unit_of_work() as s, acting_as(s, "test"):
        assert sites.vacate(s, measure_of(s, "P00002"), at=datetime(2022, 3, 13, 10, tzinfo=TZ), reason="test") == 1
    set_clock(monkeypatch, "2022-03-14T09:00:00+08:00")
    end_12 = datetime(2022, 3, 13, tzinfo=TZ)
    with unit_of_work() as s:
        then = capacity.forecast(s, now=end_12, tz=TZ, sites=capacity.occupancy(s, at=end_12))
        now = capacity.forecast(s, now=datetime(2022, 3, 14, 9, tzinfo=TZ), tz=TZ)
    assert [n for _, n in then] == [5, 5, 5, 5, 6, 7, 7], then       # both NEAR rooms held on 03-12
    assert then[0][0].isoformat() == "2022-03-13"
    assert [n for _, n in now][:3] == [6, 6, 6], now                  # P00002's room free since 03-13
    staff = server.client_for("isolation")
    page = staff.get("/isolation", params={"day": "2022-03-12"}, headers=PAGE).text
    data = re.search(r'<table id="chart-forecast-data">(.*?)</table>', page, re.S).group(1)
    rows = [(re.sub(r"<[^>]+>", "", a).strip(), int(b)) for a, b in re.findall(r"<tr><th[^>]*>(.*?)</th><td>(\d+)</td>", data)]
    assert rows[:3] == [("当日24时", 5), ("2022-03-13", 5), ("2022-03-14", 5)], rows
    assert "常住人口（按今日登记）" in page
    today = staff.get("/isolation", headers=PAGE).text
    assert "常住人口（按今日登记）" not in today and "<th>常住人口</th>" in today
    en = staff.get("/isolation", params={"day": "2022-03-12", "lang": "en"}, headers=PAGE).text
    assert "Residents (as registered today)" in en and "at the day&#39;s end" in en
    assert 'const fc = [{day: "at the day\\u0027s end"' in en, "the chart's first point, escaped for a script"
