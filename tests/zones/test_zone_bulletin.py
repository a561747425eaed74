"""The bulletin's zone figures reconcile with the zone records, and the text carries them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from builders.zones import traced_case
from sqlalchemy import text

from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition
from fangkong.reports import service as report_service
from fangkong.reports.text import render
from fangkong.zones import service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def test_zone_figures_in_the_bulletin(rollback_env, tmp_path):
    traced_case(tmp_path)
    with unit_of_work(actor="王指挥") as s:
        for z in service.list_zones(s):
            service.approve(s, z, edition=E9, tz=TZ, now=datetime(2022, 3, 12, 9, tzinfo=TZ))
    with unit_of_work() as s:
        b = report_service.bulletin(s, date(2022, 3, 12), tz=TZ)
        approved = s.execute(text("SELECT initial_level, count(*) FROM zone WHERE status = 'approved' "
                                  "GROUP BY initial_level")).all()
        residents = s.execute(text("SELECT count(*) FROM measure WHERE category = 'sealed_resident' "
                                   "AND status = 'active'")).scalar_one()
        before = report_service.bulletin(s, date(2022, 3, 11), tz=TZ)
    assert dict(approved) == {"sealed": 1, "controlled": 1, "precaution": 1}
    assert b.zones == {"new_high": 1, "new_medium": 1, "lifted": 0, "open_high": 1, "open_medium": 1,
                       "open_low": 1, "sealed_residents": residents}
    assert "当日新增封控区1个、管控区1个，解除0个；目前高风险区1个、中风险区1个、低风险区1个" in render(b)
    assert "Zones: 1 sealed and 1 controlled today, 0 lifted" in render(b, lang="en")
    assert before.zones["open_high"] == 0 and "封控区" not in render(before)
