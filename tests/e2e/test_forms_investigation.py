"""The investigation form (issue 26) in Chromium, as the tracing team's epidemiologist: the diff beside the form
lists the data points the declaration leaves out and shrinks as a point is typed (before saving); a row without
its start time is refused beside the field; the saved declaration, status and notes are checked in the record and
the audit; a record changed by someone else meanwhile is shown (409), not overwritten; the live diff is throttled in
the page and rate-limited by the server; the page fits a phone; the lab may not. One outbreak for the module."""

from __future__ import annotations

import pytest
from builders.outbreak import outbreak as cached_outbreak
from e2e.conftest import SHOTS, signed_in
from sqlalchemy import select

from fangkong.cases.models import Case
from fangkong.contacts.teams import service as teams
from fangkong.contacts.teams.models import Investigation
from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work


@pytest.fixture
def outbreak_with_teams(sqlite_env, tmp_path):
    return cached_outbreak(sqlite_env, tmp_path, standby=True)[1]


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, _MADE)


_MADE: set[str] = set()


def _missing(pg) -> int:
    return int(pg.locator("#inv-diff").get_attribute("data-missing"))


def test_declare_with_the_diff_beside_it_and_a_stale_record(browser, server, outbreak_with_teams):
    with unit_of_work() as s:
        invs = s.scalars(select(Investigation).where(Investigation.status == "assigned")
                         .order_by(Investigation.id)).all()
        case_no = next(i.case.case_no for i in invs if i.case.window_start is not None)
    ctx, pg = _as(browser, server, "epidemiologist")
    pg.goto(f"/cases/{case_no}")
    pg.click("#investigation-link")
    pg.wait_for_selector("#inv-diff-points")
    before = _missing(pg)
    assert before > 0, "the case's data has points its (empty) declaration does not cover"
    point = pg.locator("#inv-diff-points tr[data-declared=no]").first
    place, start, end = (point.get_attribute(f"data-{k}") for k in ("place", "start", "end"))
    # typed, not saved: the diff follows the form
    pg.fill("#inv-place-0", place)
    with pg.expect_response(lambda r: "/investigation/diff" in r.url):
        pg.fill("#inv-start-0", start)
    pg.fill("#inv-end-0", end)
    pg.wait_for_function(f"document.querySelector('#inv-diff').dataset.missing < {before}")
    assert pg.locator(f"#inv-diff-points tr[data-place='{place}'][data-declared=yes]").count() >= 1
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-investigation-zh.png"), full_page=True)
    # a second row without its start: refused beside the field, nothing saved
    pg.fill("#inv-place-1", "某超市")
    pg.select_option("#inv-status", "interviewing")
    with pg.expect_response(lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith("/investigation")):
        pg.click("#inv-submit")
    pg.wait_for_selector("#inv-start-1-err")
    assert pg.locator("#inv-start-1-err").inner_text() == "缺少必填项：开始时间"
    with unit_of_work() as s:
        inv = teams.get_investigation(s, s.scalar(select(Case).where(Case.case_no == case_no)))
        assert inv.declared_trajectory == [] and inv.status == "assigned"
        version = inv.version
    pg.fill("#inv-place-1", "")
    pg.fill("#inv-notes", "电话访谈，自述当日去过超市")
    pg.click("#inv-submit")
    pg.wait_for_selector("#inv-done")
    with unit_of_work() as s:
        inv = teams.get_investigation(s, s.scalar(select(Case).where(Case.case_no == case_no)))
        assert inv.status == "interviewing" and inv.version == version + 1
        assert [p["place"] for p in inv.declared_trajectory] == [place]
        assert inv.notes == "电话访谈，自述当日去过超市"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "investigation.update",
                                                  AuditEntry.entity_id == case_no).order_by(AuditEntry.id.desc()))
        assert entry.actor == "epidemiologist"
    assert _missing(pg) < before   # the saved declaration is compared now
    # someone else saves the record while the page is open
    with unit_of_work(actor="another") as s:
        inv = teams.get_investigation(s, s.scalar(select(Case).where(Case.case_no == case_no)))
        teams.update_investigation(s, inv, version=inv.version, now=utcnow(), notes="另一位流调员的记录")
    pg.fill("#inv-notes", "mine")
    pg.click("#inv-submit")
    pg.wait_for_selector("#inv-body .stale")
    assert "另一位流调员的记录" in pg.locator("#inv-body .stale").inner_text()
    with unit_of_work() as s:
        assert teams.get_investigation(s, s.scalar(select(Case).where(Case.case_no == case_no))).notes == \
            "另一位流调员的记录"
    assert pg.errors == []
    # the diff asks the lake: the page asks at most once every 2 s after a typing pause (six pauses of 0.7 s, one
    # request each before), and the server refuses a client that asks faster (429, the diff shown stays)
    asked: list[str] = []
    pg.on("request", lambda r: asked.append(r.url) if "/investigation/diff" in r.url else None)
    pg.reload()
    pg.wait_for_selector("#inv-diff-points")
    pg.evaluate("""() => new Promise(done => {
        const box = document.querySelector('#inv-note-0');
        for (let i = 0; i < 6; i++) setTimeout(() => { box.value = 'x'.repeat(i + 1);
            box.dispatchEvent(new Event('input', {bubbles: true})); }, 700 * i);
        setTimeout(done, 700 * 6 + 2600); })""")
    assert 1 <= len(asked) <= 4, asked
    answers = [pg.request.post(f"/cases/{case_no}/investigation/diff", form={"place": place, "start": start},
                               headers={"HX-Request": "true"}) for _ in range(8)]
    refused = [a for a in answers if a.status == 429]
    assert refused and int(refused[0].headers["retry-after"]) >= 1
    assert [a.status for a in answers][:3] != [429, 429, 429]
    ctx.close()
    ctx, pg = _as(browser, server, "epidemiologist", width=390)
    pg.goto(f"/cases/{case_no}/investigation?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    assert "not covered by the declaration" in pg.locator("#inv-diff-count").inner_text()
    ctx.close()
    ctx, pg = _as(browser, server, "lab")
    assert pg.request.get(f"/cases/{case_no}/investigation").status == 403
    assert pg.request.post(f"/cases/{case_no}/investigation", form={"version": "1", "status": "closed"},
                           headers={"HX-Request": "true"}).status == 403
    ctx.close()
