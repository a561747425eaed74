"""The hospital forms (issue 26) in Chromium, as the isolation / hospital manager: a hospital refused beside its
field (more negative-pressure beds than beds), then registered (the register and the audit); a step of the
escalation plan refused without its action, then set; the same step changed by someone else while the page was
open is shown (409), not overwritten; a step removed; the page fits a phone; the epidemiologist may not. No
outbreak: hospitals and the plan need none."""

from __future__ import annotations

from e2e.conftest import SHOTS, login, signed_in
from sqlalchemy import select
from test_api import make_user

from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.hospitals import service
from fangkong.measures.models import EscalationStep, Hospital


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, None)


def _post(pg, click: str) -> None:
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(click)


def test_hospital_and_the_escalation_plan(browser, server):
    ctx, pg = _as(browser, server, "isolation")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/isolation/hospitals']")
    pg.fill("#hospital-hospital_id", "H-E2E")
    pg.fill("#hospital-name", "第四医院")
    pg.fill("#hospital-jurisdiction", "140105")
    pg.fill("#hospital-beds", "100")
    pg.fill("#hospital-negative_pressure_beds", "120")
    _post(pg, "#hospital-submit")
    assert pg.locator("#hospital-negative_pressure_beds-err").inner_text() == "负压床位不能多于总床位"
    pg.fill("#hospital-negative_pressure_beds", "20")
    _post(pg, "#hospital-submit")
    pg.wait_for_selector("#hospital-done")
    with unit_of_work() as s:
        h = s.scalar(select(Hospital).where(Hospital.hospital_id == "H-E2E"))
        assert (h.name, h.beds, h.negative_pressure_beds) == ("第四医院", 100, 20)
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "hospital.add")) == "isolation"
    pg.fill("#step-threshold", "50")
    _post(pg, "#step-submit")
    assert pg.locator("#step-action-err").inner_text() == "缺少必填项：措施"
    pg.fill("#step-action", "腾空第四医院1号楼")
    pg.fill("#step-beds", "200")
    _post(pg, "#step-submit")
    pg.wait_for_selector("#step-done")
    assert pg.locator("#plan-steps tr[data-threshold='50']").count() == 1
    with unit_of_work() as s:
        assert s.scalar(select(EscalationStep.action).where(EscalationStep.threshold == 50)) == "腾空第四医院1号楼"
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "hospital.plan_step")) == "isolation"
    # another manager changes the same step while the page is open
    with unit_of_work(actor="another") as s:
        service.set_step(s, 50, action="启用省级储备医院", beds=500)
    pg.fill("#step-threshold", "50")
    pg.fill("#step-action", "腾空第四医院2号楼")
    _post(pg, "#step-submit")
    stale = pg.locator("#plan-panel .stale").inner_text()
    assert "腾空第四医院1号楼" in stale and "启用省级储备医院" in stale
    with unit_of_work() as s:
        assert s.scalar(select(EscalationStep.action).where(EscalationStep.threshold == 50)) == "启用省级储备医院"
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-hospitals-zh.png"), full_page=True)
    _post(pg, "#plan-steps tr[data-threshold='50'] button.remove")
    pg.wait_for_selector("#step-done")
    with unit_of_work() as s:
        assert s.scalar(select(EscalationStep).where(EscalationStep.threshold == 50)) is None
    assert pg.errors == []
    ctx.close()
    ctx, pg = _as(browser, server, "commander", width=390)   # reads /isolation, not the forms
    assert pg.request.get("/isolation/hospitals").status == 403
    ctx.close()
    make_user("iso2", "isolation")
    ctx = browser.new_context(base_url=str(server.base_url), viewport={"width": 390, "height": 844})
    pg = ctx.new_page()
    login(pg, "iso2")
    pg.goto("/isolation/hospitals?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()
    ctx, pg = _as(browser, server, "epidemiologist")
    assert pg.request.post("/isolation/hospitals/plan", form={"threshold": "1", "action": "x"},
                           headers={"HX-Request": "true"}).status == 403
    ctx.close()
