"""Every page loads without console errors; filters, overrides, bulk actions and the language switch work."""

from __future__ import annotations

from e2e.conftest import SHOTS
from sqlalchemy import select

from fangkong.cases.models import Case
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_overview_and_language_switch(page, outbreak):
    day, cases = outbreak
    page.goto(f"/?day={day}")
    assert page.locator("[data-figure=new_cases] .value").inner_text() == "2"
    assert "追踪管控风险人员" in page.locator("#bulletin").inner_text()
    page.wait_for_selector("#chart-categories canvas")
    shot(page, "overview-zh")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert "Risk persons traced" in page.content()
    shot(page, "overview-en")
    page.goto(f"/?day={day}")  # the cookie keeps English
    assert "Overview" in page.locator("h1").inner_text()
    assert page.errors == []


def test_case_page_override_is_audited(page, outbreak):
    _, cases = outbreak
    page.goto(f"/cases/{cases[0]}")
    assert cases[0] in page.locator("h1").inner_text()
    assert page.locator("#trajectory tbody tr").count() > 0
    with unit_of_work() as s:   # 湖版本: the lake version of each table the case's last trace read
        stated = s.scalar(select(Case).where(Case.case_no == cases[0])).lake_versions
    for table in ("venue_visits", "cell_dwells"):
        shown = page.locator(f"#lake-versions [data-table={table}]").inner_text()
        assert f"第 {stated[table]['version']} 版" in shown and "提交于" in shown, shown
    page.wait_for_selector("#map canvas")
    shot(page, "case")
    row = page.locator("#risks tbody tr").first
    row_id = row.get_attribute("id")
    row.locator("select[name=category]").select_option("overlap")
    row.locator("input[name=reason]").fill("同桌但全程佩戴口罩")
    row.locator("button").click()
    page.wait_for_selector(f"#{row_id} >> text=已调整")
    with unit_of_work() as s:
        risk = s.get(RiskPerson, int(row_id.split("-")[1]))
        assert risk.category == "overlap" and risk.override_reason == "同桌但全程佩戴口罩"
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "risk_person.override")) is not None
    assert page.errors == []


def test_board_filters_and_bulk(page, outbreak):
    page.goto("/risk-persons")
    total = int(page.locator("#total").inner_text().split()[0])
    assert total > 0
    page.select_option("select[name=category]", "close")
    page.wait_for_function(f"document.querySelector('#total').innerText.split(' ')[0] != {total}")
    close = int(page.locator("#total").inner_text().split()[0])
    assert 0 < close < total
    shot(page, "board-close")
    page.locator("input[name=ids]").first.check()
    page.fill("#bulk input[name=reason]", "bulk review")
    page.select_option("#bulk > div.filters select[name=category]", "secondary")
    page.click("#bulk button")
    page.wait_for_load_state()
    with unit_of_work() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.after["reason"].as_string() == "bulk review")) is not None
    assert page.errors == []


def test_bulletin_page_and_exports(page, outbreak, server):
    day, _ = outbreak
    page.goto(f"/bulletin?day={day}")
    assert "新增本土感染者2例" in page.locator("#bulletin").inner_text()
    shot(page, "bulletin")
    csv = server.get(f"/bulletin.csv?day={day}")
    assert csv.status_code == 200 and "traced_total" in csv.text
    xlsx = server.get(f"/bulletin.xlsx?day={day}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert page.errors == []


def test_phone_width_overview(browser, server, outbreak):
    day, _ = outbreak
    ctx = browser.new_context(base_url=str(server.base_url), viewport={"width": 390, "height": 844})
    pg = ctx.new_page()
    pg.goto(f"/?day={day}")
    width = pg.evaluate("document.documentElement.scrollWidth")
    pg.screenshot(path=str(SHOTS / "overview-phone.png"), full_page=True)
    ctx.close()
    assert width <= 420
