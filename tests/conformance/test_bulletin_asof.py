"""Finding 4 (issue 23): the bulletin of a past day, printed again after the zone was lowered and lifted and its
residents released, gives the same text; a correction is a new version, marked as such."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from builders.zones import traced_case
from clihelp import fk
from sqlalchemy import select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.cases import service as case_service
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure, TestTask
from fangkong.protocol.edition import load_edition
from fangkong.reports.models import IssuedBulletin
from fangkong.settings import get_settings
from fangkong.zones import service as zone_service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def _clock(monkeypatch, when: str) -> None:
    monkeypatch.setenv("FANGKONG_NOW", when)
    get_settings.cache_clear()


def _approve_all(when):
    with unit_of_work(actor="王指挥") as s:
        for z in zone_service.list_zones(s):
            zone_service.approve(s, z, edition=E9, tz=TZ, now=when)


def _lower_then_lift_the_sealed_zone():
    """Every resident's sealed-zone tests negative up to day 7: lowered on 03-20, lifted on 03-23 once the risk
    persons living in the zone have their results too."""
    with unit_of_work() as s:
        for task in s.scalars(select(TestTask).join(Measure).where(Measure.category == "sealed_resident")):
            task.result, task.result_at = "negative", at(2022, 3, 19, 18)
        sealed = next(z for z in zone_service.list_zones(s) if z.level == "sealed")
        with acting_as(s, "王指挥"):
            zone_service.step(s, sealed, edition=E9, tz=TZ, now=at(2022, 3, 20, 11))
        # the risk persons living in the zone have their results before it is lifted (issue 23)
        for task in s.scalars(select(TestTask).join(Measure).where(Measure.category != "sealed_resident",
                                                                    TestTask.result == "pending")):
            task.result, task.result_at = "negative", at(2022, 3, 22, 18)
        s.flush()
        with acting_as(s, "王指挥"):
            zone_service.step(s, sealed, edition=E9, tz=TZ, now=at(2022, 3, 23, 1))
        assert sealed.status == "lifted"


def test_a_past_bulletin_printed_again_is_the_text_issued(rollback_env, tmp_path, monkeypatch):
    traced_case(tmp_path)
    _approve_all(at(2022, 3, 12, 9))
    _clock(monkeypatch, "2022-03-12T20:00+08:00")
    r = fk("reports", "bulletin", "--date", "2022-03-12")   # the day has not ended: a draft, nothing stored
    assert r.exit_code == 0 and "draft" in r.stderr
    _clock(monkeypatch, "2022-03-13T08:00+08:00")
    first = fk("reports", "bulletin", "--date", "2022-03-12")
    assert first.exit_code == 0 and "issued version 1" in first.stderr
    assert "目前高风险区1个、中风险区1个、低风险区1个" in first.stdout
    issued = json.loads(fk("reports", "bulletin", "--date", "2022-03-12", "--format", "json").stdout)
    assert issued["issued"]["version"] == 1 and issued["zones"]["sealed_residents"] == 3  # P00002 too
    _lower_then_lift_the_sealed_zone()
    _clock(monkeypatch, "2022-03-25T09:00+08:00")
    again = fk("reports", "bulletin", "--date", "2022-03-12")
    assert again.exit_code == 0 and again.stdout == first.stdout and "issued version 1" in again.stderr
    # counted again from the records as of 03-12 24:00: the zone was high-risk then, whatever it is now
    draft = json.loads(fk("reports", "bulletin", "--date", "2022-03-12", "--draft", "--format", "json").stdout)
    assert draft["issued"] is None
    # and the residents released since were under the zone's measure then
    for figure in ("isolation_in_site", "isolation_at_home", "monitoring", "tests_pending", "traced_total"):
        assert draft[figure] == issued[figure], figure
    assert draft["zones"]["sealed_residents"] == 3
    assert {k: draft["zones"][k] for k in ("open_high", "open_medium", "open_low")} == \
        {"open_high": 1, "open_medium": 1, "open_low": 1}
    # the lowering and the lifting are counted on their own days
    assert json.loads(fk("reports", "bulletin", "--date", "2022-03-23", "--format", "json").stdout
                      )["zones"]["lifted"] == 1


def test_a_correction_is_a_new_marked_version_and_the_page_says_so(server, env, tmp_path, monkeypatch):  # noqa: F811
    traced_case(tmp_path)
    _approve_all(at(2022, 3, 12, 9))
    _clock(monkeypatch, "2022-03-12T22:00+08:00")
    early = server.post("/api/bulletin", json={"day": "2022-03-12"})
    assert early.status_code == 409 and "once the day has ended" in early.json()["detail"]
    _clock(monkeypatch, "2022-03-13T08:00+08:00")
    v1 = server.post("/api/bulletin", json={"day": "2022-03-12"})
    assert v1.status_code == 201 and v1.json()["issued"]["version"] == 1
    assert server.post("/api/bulletin", json={"day": "2022-03-12"}).status_code == 409   # issued already
    same = server.post("/api/bulletin", json={"day": "2022-03-12", "reason": "复核"})
    assert same.status_code == 409 and "unchanged" in same.json()["detail"]
    # a case of 03-12 reported late: declared at 23:00 that day, entered on 03-13
    with unit_of_work() as s:
        case_service.declare_case(s, "P00005", sampled_at=at(2022, 3, 12, 8), now=at(2022, 3, 12, 23))
    got = server.get("/api/bulletin", params={"day": "2022-03-12"}).json()
    assert got["issued"]["version"] == 1 and got["figures"]["total_cases"] == 1   # as issued
    r = fk("reports", "bulletin", "--date", "2022-03-12", "--reissue", "--reason", "补报病例1例")
    assert r.exit_code == 0 and "issued version 2" in r.stderr and "（更正，第2版）" in r.stdout
    assert "更正说明：补报病例1例" in r.stdout and "累计报告本土感染者2例" in r.stdout
    with unit_of_work() as s:  # who issued is read from the session: the signed-in user, the CLI's operator
        by = dict(s.execute(select(IssuedBulletin.version, IssuedBulletin.issued_by)).all())
    assert by[1] == "admin" and by[2].startswith("cli")
    got = server.get("/api/bulletin", params={"day": "2022-03-12"}).json()
    assert got["issued"]["version"] == 2 and got["issued"]["correction"] and got["figures"]["total_cases"] == 2
    old = server.get("/api/bulletin", params={"day": "2022-03-12", "version": 1, "lang": "en"}).json()
    assert old["issued"]["superseded"] and old["figures"]["total_cases"] == 1 and "Cumulative local cases: 1" \
        in old["text"]
    page = server.get("/bulletin", params={"day": "2022-03-12", "version": 1})
    assert page.status_code == 200 and 'data-version="1" data-latest="2"' in page.text and "请以第2版为准" in page.text
    page = server.get("/bulletin", params={"day": "2022-03-14"})
    assert 'data-state="draft"' in page.text
    assert fk("reports", "bulletin", "--date", "2022-03-12", "--version", "1").stdout == fk(
        "reports", "bulletin", "--date", "2022-03-12", "--version", "1").stdout
