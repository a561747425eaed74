"""The testing set-up forms (issue 26) in Chromium, as the lab: a sampling point and a lab refused beside their
fields, then registered (checked in the register and the audit); a point registered by someone else meanwhile
under the same id is shown (409), not overwritten; a round is previewed with the number of people living in its
area (checked against the register), refused for an unknown point, then created on its confirmation; one of the
same id registered by someone else between the preview and the confirmation is shown (409), not overwritten; the page
fits a phone; the epidemiologist may read testing but not set it up. One outbreak for the module."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from e2e.conftest import SHOTS, signed_in
from sqlalchemy import func, select

from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person
from fangkong.protocol.edition import load_edition
from fangkong.protocol.pooling import testing_rule as rule_of
from fangkong.settings import get_settings
from fangkong.testing import service
from fangkong.testing.models import Lab, SamplingPoint, TestingRound

_MADE: set[str] = set()


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, _MADE)


def _post(pg, click: str) -> None:
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(click)


def _audited(action: str, entity: str) -> str:
    with unit_of_work() as s:
        return s.scalar(select(AuditEntry.actor).where(AuditEntry.action == action, AuditEntry.entity_id == entity))


def test_points_labs_and_a_round_with_its_preview(browser, server, outbreak):
    with unit_of_work() as s:
        community, people = s.execute(select(Person.community, func.count()).group_by(Person.community)
                                      .order_by(func.count().desc()).limit(1)).one()
    ctx, pg = _as(browser, server, "lab")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/testing/setup']")
    pg.fill("#point-point_id", "PT-E2E")
    pg.fill("#point-community", "abc")
    _post(pg, "#point-submit")
    assert pg.locator("#point-community-err").inner_text().startswith("社区")
    pg.fill("#point-community", community)
    pg.fill("#point-tables", "4")
    _post(pg, "#point-submit")
    pg.wait_for_selector("#point-done")
    with unit_of_work() as s:
        p = s.scalar(select(SamplingPoint).where(SamplingPoint.point_id == "PT-E2E"))
        assert (p.community, p.tables) == (community, 4)
    assert _audited("testing.point_add", "PT-E2E") == "lab"
    pg.fill("#lab-lab_id", "LAB-E2E")
    pg.fill("#lab-daily_capacity", "5000")
    _post(pg, "#lab-submit")
    assert pg.locator("#lab-kind-err").inner_text() == "缺少必填项：类型"
    pg.select_option("#lab-kind", "contracted")
    _post(pg, "#lab-submit")
    pg.wait_for_selector("#lab-done")
    with unit_of_work() as s:
        lab = s.scalar(select(Lab).where(Lab.lab_id == "LAB-E2E"))
        assert (lab.kind, lab.daily_capacity) == ("contracted", 5000)
    assert _audited("testing.lab_add", "LAB-E2E") == "lab"
    # someone else registers PT-X while the page is open: ours is shown what it is now, not stored
    with unit_of_work(actor="another") as s:
        service.add_point(s, "PT-X", name="体育中心", community=community, tables=8)
    pg.fill("#point-point_id", "PT-X")
    pg.fill("#point-name", "学校")
    pg.fill("#point-community", community)
    _post(pg, "#point-submit")
    assert "体育中心" in pg.locator("#point-panel .stale").inner_text()
    with unit_of_work() as s:
        assert s.scalar(select(SamplingPoint.name).where(SamplingPoint.point_id == "PT-X")) == "体育中心"
    # a round over the community: previewed, an unknown point refused, then created
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).strftime("%Y-%m-%d")
    pg.fill("#round-round_id", "R-E2E")
    pg.fill("#round-name", "第一轮区域核酸")
    pg.select_option("#round-kind", "zone")
    pg.fill("#round-start_date", tomorrow)
    assert pg.locator("#round-start_date").get_attribute("type") == "date"
    pg.fill("#round-points", "PT-E2E\nNOPE")
    pg.fill("#round-communities", community)
    _post(pg, "#round-submit")
    assert int(pg.locator("#round-effect").get_attribute("data-people")) == people
    assert f"区域内居民 {people} 人" in pg.locator("#round-effect").inner_text()
    _post(pg, "#round-confirm")
    assert pg.locator("#round-points-err").inner_text() == "未登记的采样点：NOPE"
    pg.fill("#round-points", "PT-E2E")
    _post(pg, "#round-submit")
    _post(pg, "#round-confirm")
    pg.wait_for_selector("#round-done")
    with unit_of_work() as s:
        rnd = s.scalar(select(TestingRound).where(TestingRound.round_id == "R-E2E"))
        assert rnd.communities == [community] and [p.point_id for p in rnd.points] == ["PT-E2E"]
    assert _audited("testing.round_create", "R-E2E") == "lab"
    # another round registered by someone else under the same id between the preview and the confirmation: shown
    pg.fill("#round-round_id", "R-X")
    pg.fill("#round-name", "学校专项")
    pg.select_option("#round-kind", "zone")
    pg.fill("#round-start_date", tomorrow)
    pg.fill("#round-points", "PT-E2E")
    pg.fill("#round-communities", community)
    _post(pg, "#round-submit")
    pg.wait_for_selector("#round-confirm")
    with unit_of_work(actor="another") as s:
        day = date.fromisoformat(tomorrow)
        service.create_round(s, "R-X", rule=rule_of(load_edition(get_settings().edition)), name="第二轮",
                             kind="zone", start_date=day, end_date=day, point_ids=["PT-E2E"])
    _post(pg, "#round-confirm")
    assert "第二轮" in pg.locator("#round-panel .stale").inner_text()
    with unit_of_work() as s:
        assert s.scalar(select(TestingRound.name).where(TestingRound.round_id == "R-X")) == "第二轮"
    assert _audited("testing.round_create", "R-X") == "another"
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-testing-setup-zh.png"), full_page=True)
    assert pg.errors == []
    ctx.close()
    ctx, pg = _as(browser, server, "lab", width=390)
    pg.goto("/testing/setup?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()
    ctx, pg = _as(browser, server, "epidemiologist")
    assert pg.request.get("/testing/setup").status == 403
    assert pg.request.post("/testing/setup/lab", form={"lab_id": "X"}, headers={"HX-Request": "true"}).status == 403
    ctx.close()
