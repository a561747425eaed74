"""The isolation-site forms (issue 26) in Chromium, as the isolation-site manager: a site refused beside its field
(a jurisdiction that is no code, in Chinese), then registered with its rooms (the register, the rooms and the audit
checked); rooms and a staff member added; rooms added by someone else meanwhile are shown (409), not added twice; a
site where people stay is closed only after a confirmation stating how many, and a status changed by someone else
meanwhile is shown (409), not overwritten; the page fits a phone with no serious accessibility violation; the epidemiologist may not. One outbreak for the
module (its standby sites, people placed in their rooms)."""

from __future__ import annotations

import pytest
from builders.outbreak import outbreak as cached_outbreak
from e2e.conftest import SHOTS, signed_in
from e2e.walk import axe
from sqlalchemy import func, select

from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import IsolationSite, Room, SiteStaff
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites


@pytest.fixture
def outbreak_with_sites(sqlite_env, tmp_path):
    cached_outbreak(sqlite_env, tmp_path, standby=True)
    with unit_of_work(actor="setup") as s:   # people in rooms: everyone under centralized isolation placed
        sites.assign_rooms(s, now=utcnow())


_MADE: set[str] = set()


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, _MADE)


def _post(pg, click: str) -> None:
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(click)


def _rooms(site_id: str) -> int:
    with unit_of_work() as s:
        return s.scalar(select(func.count(Room.id)).join(IsolationSite).where(IsolationSite.site_id == site_id))


def test_register_equip_and_close_a_site(browser, server, outbreak_with_sites):
    ctx, pg = _as(browser, server, "isolation")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/isolation/sites']")
    pg.fill("#site-site_id", "S-E2E")
    pg.fill("#site-name", "迎泽宾馆")
    pg.fill("#site-jurisdiction", "太原")
    pg.fill("#site-rooms", "12")
    pg.check("#site-three_zones")
    _post(pg, "#site-submit")
    assert pg.locator("#site-jurisdiction-err").inner_text() == "辖区：“太原”格式不正确"
    pg.fill("#site-jurisdiction", "140106")
    _post(pg, "#site-submit")
    pg.wait_for_selector("#site-done")
    with unit_of_work() as s:
        site = s.scalar(select(IsolationSite).where(IsolationSite.site_id == "S-E2E"))
        assert (site.name, site.jurisdiction, site.status, site.three_zones_two_channels) == \
            ("迎泽宾馆", "140106", "open", True)
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "site.add",
                                                       AuditEntry.entity_id == "S-E2E")) == "isolation"
    assert _rooms("S-E2E") == 12
    panel = "#site-S-E2E"
    pg.fill("#rooms-S-E2E-count", "3")
    pg.fill("#rooms-S-E2E-beds", "2")
    _post(pg, f"{panel} button.add-rooms")
    pg.wait_for_selector("#site-S-E2E-rooms-done")
    assert _rooms("S-E2E") == 15
    pg.fill("#staff-S-E2E-name", "赵敏")
    _post(pg, f"{panel} button.add-staff")
    assert pg.locator("#staff-S-E2E-role-err").inner_text() == "缺少必填项：角色"
    pg.select_option("#staff-S-E2E-role", "medical")
    _post(pg, f"{panel} button.add-staff")
    pg.wait_for_selector("#site-S-E2E-staff-done")
    with unit_of_work() as s:
        assert [(m.name, m.role) for m in s.scalars(select(SiteStaff).join(IsolationSite)
                                                    .where(IsolationSite.site_id == "S-E2E"))] == [("赵敏", "medical")]
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.in_(("site.rooms", "site.staff")),
                                                                AuditEntry.entity_id == "S-E2E")) == 3
    # another manager adds rooms while the page is open: shown, not added a second time
    with unit_of_work(actor="another") as s:
        sites.add_rooms(s, sites.get_site(s, "S-E2E"), 5)
    pg.fill("#rooms-S-E2E-count", "5")
    _post(pg, f"{panel} button.add-rooms")
    assert "20" in pg.locator(f"{panel} .stale").inner_text()
    assert _rooms("S-E2E") == 20
    # a site where people stay: closing it says how many first
    with unit_of_work() as s:
        busy = next(o for o in capacity.occupancy(s) if o.persons > 0 and o.status == "open")
    sid, n = busy.site_id, busy.persons
    panel = f"#site-{sid}"
    pg.reload()
    pg.select_option(f"#site-{sid}-status", "closed")
    _post(pg, f"{panel} button.set-status")
    assert pg.locator(f"#site-{sid}-effect").get_attribute("data-persons") == str(n)
    assert f"其中 {n} 人仍在隔离" in pg.locator(f"#site-{sid}-effect").inner_text()
    with unit_of_work() as s:
        assert sites.get_site(s, sid).status == "open"   # nothing yet: asked first
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-sites-zh.png"), full_page=True)
    _post(pg, f"#site-{sid}-confirm")
    pg.wait_for_selector(f"#site-{sid}-status-done")
    with unit_of_work() as s:
        assert sites.get_site(s, sid).status == "closed"
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "site.update",
                                                       AuditEntry.entity_id == sid)) == "isolation"
    # another manager reopens it while the page is open: this page's change is shown as stale, not applied
    with unit_of_work(actor="another") as s:
        sites.update_site(s, sites.get_site(s, sid), status="open")
    pg.select_option(f"#site-{sid}-status", "preparing")
    _post(pg, f"{panel} button.set-status")
    assert pg.locator(f"{panel} .stale").count() == 1
    with unit_of_work() as s:
        assert sites.get_site(s, sid).status == "open"
    assert pg.errors == []
    ctx.close()
    ctx, pg = _as(browser, server, "isolation", width=390)
    pg.goto("/isolation/sites?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe(pg) == []   # no serious or critical accessibility violation (labels, names, contrast)
    pg.goto("/isolation/sites")
    assert axe(pg) == []
    ctx.close()
    ctx, pg = _as(browser, server, "epidemiologist")
    assert pg.request.get("/isolation/sites").status == 403
    assert pg.request.post("/isolation/sites/S-E2E/rooms", form={"count": "1", "seen": "20"},
                           headers={"HX-Request": "true"}).status == 403
    ctx.close()
