"""The command-centre pages (issue 7): isolation, testing, zones and the phone verification queue load without
console errors, show the outbreak's records, switch language, and their one-tap actions write through services."""

from __future__ import annotations

import pytest
from builders.outbreak import outbreak as cached_outbreak
from e2e.conftest import SHOTS
from sqlalchemy import func, select

from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import IsolationSite
from fangkong.measures.sites import service as sites
from fangkong.measures.verification import service as verification
from fangkong.people.models import Venue
from fangkong.protocol.edition import load_edition
from fangkong.tasks.models import Task
from fangkong.zones import service as zone_service
from fangkong.zones.models import Zone


@pytest.fixture
def outbreak(sqlite_env, tmp_path):
    """conftest's outbreak as `fangkong demo` runs it: teams, isolation sites and a hospital stand ready first."""
    return cached_outbreak(sqlite_env, tmp_path, standby=True)


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


#: who a page writes as: the signed-in user (the e2e conftest's admin, once the login lands), else "web"
WEB_ACTORS = ("web", "admin")


def _not_http_refusals(errors: list[str]) -> list[str]:
    """Chromium logs every 4xx answer as a console error; a 409 shown in the row is what the test asks for."""
    return [e for e in errors if "status of 409" not in e]


def test_isolation_page_and_language(page, outbreak):
    page.goto("/isolation")
    assert page.locator("#sites tbody tr[data-site]").count() > 0
    assert int(page.locator("[data-figure=rooms_used] .value").inner_text()) > 0
    assert page.locator("#reserve tbody tr").count() > 0
    assert page.locator("#hospitals tbody tr[data-hospital]").count() > 0
    assert page.locator("#plan-next").inner_text().strip()
    page.wait_for_selector("#chart-forecast canvas")
    shot(page, "isolation-zh")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Isolation sites and hospitals"
    assert "Free rooms over the next 7 days" in page.content()
    shot(page, "isolation-en")
    # a district whose only site closes falls below the reserve: the page warns
    with unit_of_work() as s:
        site = s.scalars(select(IsolationSite).order_by(IsolationSite.site_id)).first()
        district = site.jurisdiction[:6]
        sites.update_site(s, site, status="closed")
    page.goto("/isolation")
    assert page.locator(f"[data-warning='{district}']").count() == 1
    assert page.errors == []


def test_testing_page(page, outbreak):
    page.goto("/testing")
    assert page.locator("#rounds a.on").count() == 1
    page.wait_for_selector("#progress")  # the round's figures load into the page (HTMX)
    assert int(page.locator("[data-figure=expected] .value").inner_text()) > 0
    assert int(page.locator("[data-figure=sampled] .value").inner_text()) > 0
    assert page.locator("#communities tbody tr").count() > 0
    assert page.locator("#pools tbody tr").count() > 0
    shot(page, "testing-zh")
    page.goto("/testing?lang=en")
    page.wait_for_selector("#turnaround")
    assert "By sampling point" in page.content() and "Positive pools" in page.content()
    shot(page, "testing-en")
    assert page.errors == []


def test_zones_map_and_approve(page, outbreak):
    with unit_of_work() as s:
        venue = s.scalars(select(Venue).where(Venue.lat.is_not(None)).order_by(Venue.id)).first()
        with acting_as(s, "test"):
            zone = zone_service.create_zone(s, level="controlled", places=[("venue", venue.venue_id, "manual")],
                                            name="测试管控区", edition=load_edition("9"), now=utcnow())
        zone_no = zone.zone_no
    page.goto("/zones")
    page.wait_for_selector("#zone-map canvas")
    assert page.locator("#zones tbody tr[data-status=approved]").count() > 0
    assert page.locator("#risk-areas tbody tr").count() > 0
    assert page.locator("#zones .countdown").first.inner_text().strip() != "–"
    shot(page, "zones-zh")
    page.click(f"#zone-{zone_no} a.approve")  # the zone's page states the effect, then the approval is confirmed
    page.wait_for_selector("#approve-effect")
    page.click("#approve-confirm")
    page.wait_for_selector("#zone-panels[data-status=approved]")
    with unit_of_work() as s:
        z = s.scalar(select(Zone).where(Zone.zone_no == zone_no))
        assert z.status == "approved" and z.approved_by in WEB_ACTORS
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "zone.approve",
                                                 AuditEntry.entity_id == zone_no)) is not None
    page.goto("/zones?lang=en")
    assert "Published risk-area list" in page.content()
    page.wait_for_selector("#zone-map canvas")
    shot(page, "zones-en")
    assert page.errors == []


def test_verify_queue_on_a_phone(page, outbreak):
    with unit_of_work() as s:
        community, n = s.execute(select(Task.jurisdiction, func.count()).where(
            Task.kind == "verification", Task.status == "open").group_by(Task.jurisdiction)
            .order_by(func.count().desc())).first()
    assert n >= 2
    pg = page  # conftest's page (signed in once the login lands), at a phone's width
    pg.set_viewport_size({"width": 390, "height": 844})
    pg.goto("/verify")
    assert pg.locator("#verify-pick").count() == 1
    pg.select_option("#community", community)
    pg.wait_for_selector("#verify-list li[data-status=open]")
    assert f"community={community}" in pg.url
    rows = pg.locator("#verify-list li[data-status=open]")
    assert rows.count() == min(n, 30)
    shot(pg, "verify-phone")
    width = pg.evaluate("document.documentElement.scrollWidth")
    first_id = rows.first.get_attribute("id")
    task_id = int(first_id.split("-")[1])
    pg.click(f"#{first_id} button[value=found_placed]")
    pg.wait_for_selector(f"#{first_id}[data-status=done]")
    assert pg.locator("#done-today").inner_text() == "1"  # the counts came back with the row (out of band)
    with unit_of_work() as s:
        task = s.get(Task, task_id)
        assert task.status == "done" and task.done_by in WEB_ACTORS and task.version == 2
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "task.done",
                                                 AuditEntry.entity_id == str(task_id))) is not None
    # someone else records the next one first: the verifier's tap is refused with 409, shown in the row
    second_id = pg.locator("#verify-list li[data-status=open]").first.get_attribute("id")
    with unit_of_work(actor="other verifier") as s:
        other = s.get(Task, int(second_id.split("-")[1]))
        verification.record_outcome(s, other, "not_found", jurisdiction=community, version=other.version,
                                    at=utcnow())
    pg.click(f"#{second_id} button[value=found_placed]")
    pg.wait_for_selector(f"#{second_id} .error")
    assert "409" in pg.locator(f"#{second_id} .error").inner_text()
    assert pg.locator(f"#{second_id}").get_attribute("data-status") == "not_found"
    shot(pg, "verify-phone-after")
    pg.goto(f"/verify?community={community}&lang=en")
    assert "Door-to-door checks" in pg.content() and "Found, placed" in pg.content()
    pg.select_option("#community", "")  # the queue comes back (HTMX) in the page's language
    pg.wait_for_selector("#verify-pick")
    assert "choose a community" in pg.locator("#verify-pick").inner_text()
    shot(pg, "verify-phone-en")
    assert width <= 400
    assert _not_http_refusals(pg.errors) == []
