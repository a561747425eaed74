"""The room forms (issue 26) in Chromium, as the isolation-site manager: a person waiting for a room is refused
beside the field (no site; a taken room, in Chinese), then placed (the stay, its transfer task and the audit
checked); a person placed by someone else meanwhile is shown (409), not placed twice; everyone else is placed
after a confirmation stating how many people and free rooms; an arrival in the future is refused, a real one
closes the transfer task, one recorded by someone else meanwhile is shown (409); the page fits a phone; the
epidemiologist may not. One outbreak for the module."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders.outbreak import outbreak as cached_outbreak
from e2e.conftest import SHOTS, signed_in
from sqlalchemy import func, select

from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures.models import Measure, Room, RoomStay
from fangkong.measures.sites import service as sites
from fangkong.measures.sites.forms_web import waiting_count
from fangkong.tasks.models import Task


@pytest.fixture
def outbreak_with_sites(sqlite_env, tmp_path):
    cached_outbreak(sqlite_env, tmp_path, standby=True)


_MADE: set[str] = set()


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, _MADE)


def _escalated(n: int) -> list[tuple[int, str]]:
    """n people under home isolation escalated to centralized: they wait for a room."""
    with unit_of_work(actor="epi") as s:
        homes = s.scalars(select(Measure).where(Measure.status == "active", Measure.kind == "home_isolation")
                          .order_by(Measure.id).limit(n)).all()
        return [(lifecycle.escalate(s, m, now=utcnow(), reason="no room at home").id,
                 m.person.person_id) for m in homes]


def test_assign_arrive_all_and_a_stale_person(browser, server, outbreak_with_sites):
    (m1, p1), (m2, p2), *_ = _escalated(4)
    with unit_of_work() as s:
        taken = s.scalar(select(Room).where(Room.occupants > 0).order_by(Room.id).limit(1))
        taken_site, taken_no = taken.site.site_id, taken.room_no
        # a small new site: the outbreak has filled the standing ones
        site = sites.add_site(s, "S-E2E", name="体育馆临时隔离点", jurisdiction=taken.site.jurisdiction, rooms=3)
        site_id, free = site.site_id, ["001", "002"]
    ctx, pg = _as(browser, server, "isolation")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/isolation/rooms']")
    pg.fill("#rooms-person", p1)
    pg.click("#rooms-find")
    pg.wait_for_selector(f"#wait-{m1}")
    pg.click(f"#wait-{m1} button.assign")
    pg.wait_for_selector(f"#assign-{m1}-site_id-err")
    assert pg.locator(f"#assign-{m1}-site_id-err").inner_text() == "缺少必填项：隔离点"
    pg.select_option(f"#assign-{m1}-site_id", taken_site)
    pg.fill(f"#assign-{m1}-room_no", taken_no)
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(f"#wait-{m1} button.assign")
    pg.wait_for_selector(f"#assign-{m1}-room_no-err")
    assert pg.locator(f"#assign-{m1}-site_id-err").count() == 0
    assert "已有人" in pg.locator(f"#assign-{m1}-room_no-err").inner_text()
    pg.select_option(f"#assign-{m1}-site_id", site_id)
    pg.fill(f"#assign-{m1}-room_no", free[0])
    pg.click(f"#wait-{m1} button.assign")
    pg.wait_for_selector(f"#wait-{m1}-done")
    with unit_of_work() as s:
        m = s.get(Measure, m1)
        stay = sites.open_stay(s, m.person_fk)
        assert stay.room.room_no == free[0] and stay.room.site.site_id == site_id and stay.measure_fk == m1
        assert s.scalar(select(Task).where(Task.person_fk == m.person_fk, Task.kind == "transfer",
                                           Task.status == "open")) is not None
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "room.assign", AuditEntry.entity_id == str(m1)))
        assert entry.actor == "isolation"
        stay_id = stay.id
    # someone else places the second person while the page is open
    pg.goto(f"/isolation/rooms?person={p2}")
    pg.wait_for_selector(f"#wait-{m2}")
    with unit_of_work(actor="another") as s:
        sites.assign_room(s, s.get(Measure, m2), sites.get_site(s, site_id), free[1], now=utcnow())
    pg.select_option(f"#assign-{m2}-site_id", site_id)
    pg.fill(f"#assign-{m2}-room_no", free[0])
    pg.click(f"#wait-{m2} button.assign")
    pg.wait_for_selector(f"#wait-{m2} .stale")
    assert f"{site_id} {free[1]}" in pg.locator(f"#wait-{m2} .stale").inner_text()
    with unit_of_work() as s:
        assert s.scalar(select(func.count(RoomStay.id)).where(RoomStay.measure_fk == m2)) == 1
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-rooms-zh.png"), full_page=True)
    # everyone else at once, after the confirmation says how many
    pg.reload()
    with unit_of_work() as s:
        waiting = waiting_count(s)
    assert waiting >= 2 and int(pg.locator("#all-effect").get_attribute("data-waiting")) == waiting
    assert f"为 {waiting} 名" in pg.locator("#all-effect").inner_text()
    pg.click("#all-confirm")
    pg.wait_for_selector("#all-done")
    placed, left = (int(pg.locator("#all-done").get_attribute(f"data-{k}")) for k in ("assigned", "none"))
    assert placed >= 1 and placed + left == waiting     # the new site's last room, at least
    with unit_of_work() as s:
        assert waiting_count(s) == left
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "room.assign_all")
                        .order_by(AuditEntry.id.desc())).actor == "isolation"
    # the first person's arrival: not in the future, then now
    pg.goto(f"/isolation/rooms?person={p1}")
    pg.fill(f"#arrive-{stay_id}-at", (utcnow() + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M"))
    pg.click(f"#stay-{stay_id} button.arrive")
    pg.wait_for_selector(f"#arrive-{stay_id}-at-err")
    assert pg.locator(f"#arrive-{stay_id}-at-err").inner_text() == "到达时间不能晚于现在"
    assert pg.locator(f"#arrive-{stay_id}-at").get_attribute("type") == "datetime-local"
    pg.fill(f"#arrive-{stay_id}-at", "")
    pg.click(f"#stay-{stay_id} button.arrive")
    pg.wait_for_selector(f"#stay-{stay_id}-done")
    with unit_of_work() as s:
        stay = s.get(RoomStay, stay_id)
        assert stay.arrived_at is not None
        assert s.scalar(select(Task).where(Task.person_fk == stay.person_fk, Task.kind == "transfer",
                                           Task.status == "open")) is None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "room.arrive")
                        .order_by(AuditEntry.id.desc())).actor == "isolation"
    # the second person's arrival recorded by someone else while the page is open: shown, not recorded again
    with unit_of_work() as s:
        other = sites.open_stay(s, s.get(Measure, m2).person_fk).id
    pg.goto(f"/isolation/rooms?person={p2}")
    pg.wait_for_selector(f"#stay-{other} button.arrive")
    with unit_of_work(actor="another") as s:
        sites.arrive(s, s.get(Measure, m2).person, at=utcnow())
    pg.click(f"#stay-{other} button.arrive")
    pg.wait_for_selector(f"#stay-{other} .stale")
    with unit_of_work() as s:
        assert s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "room.arrive",
                                                        AuditEntry.entity_id == p2)).all() == ["another"]
    assert pg.errors == []
    ctx.close()
    # on a phone, in English: nothing wider than the screen
    ctx, pg = _as(browser, server, "isolation", width=390)
    pg.goto("/isolation/rooms?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    assert "Assign" in pg.content()
    ctx.close()
    ctx, pg = _as(browser, server, "epidemiologist")
    assert pg.request.get("/isolation/rooms").status == 403
    assert pg.request.post(f"/isolation/rooms/arrive/{stay_id}", form={"at": ""},
                           headers={"HX-Request": "true"}).status == 403
    ctx.close()
