"""The work views of issue 25 in the browser: one day control across the pages (kept in the address, carried by
the menu and the language switch, defaulting to the deployment's clock), one set of figures (the overview's
equal the bulletin's), the overdue board, the isolation queue and follow-up, search, the case list, exports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clihelp import set_clock
from e2e.conftest import SHOTS


def shot(pg, name):
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def xlsx_rows(path) -> list[str]:
    """The rows of an XLSX file's first sheet (its XML: no spreadsheet library needed to count them)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        return re.findall(r"<row [^>]*>", z.read("xl/worksheets/sheet1.xml").decode())


def _day_clock(monkeypatch, day) -> None:
    """The demo's clock: 23:30 on the outbreak day (fangkong.demo._set_clock)."""
    set_clock(monkeypatch, f"{day}T23:30:00+08:00")


def test_one_day_control_across_pages(page, outbreak, monkeypatch):
    day, _ = outbreak
    _day_clock(monkeypatch, day)
    page.goto("/")                                   # no day asked: the clock's today, on every page alike
    assert day.isoformat() in page.locator("h1").inner_text()
    assert page.locator("#day-picker").input_value() == day.isoformat()
    page.click("#menu a[href^='/bulletin']")
    page.wait_for_load_state()
    assert day.isoformat() in page.locator("h1").inner_text()   # the bulletin link opens the same day
    shot(page, "day-control-bulletin")

    before = (date.fromisoformat(str(day)) - timedelta(days=1)).isoformat()
    page.goto("/")
    page.fill("#day-picker", before)                 # the header's picker reloads the page on that day
    page.wait_for_url(f"**/?day={before}")
    assert before in page.locator("h1").inner_text()
    hrefs = page.locator("#menu a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.endswith(f"day={before}") for h in hrefs if h != "/docs?day=" + before), hrefs
    page.click("#menu a[href^='/bulletin']")
    page.wait_for_load_state()
    assert f"day={before}" in page.url and before in page.locator("h1").inner_text()
    page.click("#menu a[href^='/risk-persons']")   # the day rides along to pages that do not use it
    page.wait_for_load_state()
    assert page.locator("#day-picker").input_value() == before

    page.goto(f"/risk-persons?category=close&sort=deadline&day={before}")
    page.click("#lang-switch")                       # the language switch keeps every filter and the day
    page.wait_for_load_state()
    for kept in ("category=close", "sort=deadline", f"day={before}", "lang=en"):
        assert kept in page.url, page.url
    assert page.locator("#filters select[name=category]").input_value() == "close"
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert "lang=zh" in page.url and "category=close" in page.url
    assert page.errors == []


def _number(text: str) -> int | None:
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits) if digits else None


def test_overview_figures_equal_the_bulletin(page, outbreak, monkeypatch):
    """Issue 25's one set of figures, on the demo's flow (a pooled round, two cases, their contacts placed):
    every figure on the overview equals the same figure of that day's bulletin, and the risk-person chart
    counts the bulletin's people (each category's row adds up to its line), not per-case records."""
    from sqlalchemy import func, select

    from fangkong.contacts.models import RiskPerson
    from fangkong.kit.clikit import unit_of_work
    from fangkong.reports import dashboard
    from fangkong.reports.service import bulletin
    from fangkong.settings import get_settings

    day, _ = outbreak
    _day_clock(monkeypatch, day)
    page.goto("/bulletin")
    published = {r.get_attribute("data-figure"): _number(r.locator("td.n").inner_text())
                 for r in page.locator("#figures tr").all()}
    units = {r.get_attribute("data-figure"): r.locator("td.muted").inner_text() for r in page.locator("#figures tr").all()}
    assert units["traced_total"] == "人" and units["total_cases"] == "例"
    page.goto("/")
    shot(page, "overview-figures-zh")
    shown = {}
    for key in ("total_cases", "traced_total", "isolation_in_site", "tests_pending", "days_since_community_case"):
        shown[key] = _number(page.locator(f"[data-figure={key}] .value").inner_text())
    for key in ("new_community", "new_under_control"):
        shown[key] = _number(page.locator(f"[data-figure={key}]").inner_text())
    shown["new_cases"] = _number(page.locator("[data-figure=new_cases] .value").inner_text())
    published["new_cases"] = published["new_confirmed"] + published["new_asymptomatic"]
    assert {k: published[k] for k in shown} == shown
    assert shown["traced_total"] > 0 and shown["new_cases"] == 2
    assert "人" in page.locator("[data-figure=traced_total] .label").first.inner_text()
    with unit_of_work() as s:
        settings = get_settings()
        b = bulletin(s, day, tz=settings.zone)
        chart, records = dashboard.people_by_category_and_measure(s, day, tz=settings.zone)
        assert records == s.scalar(select(func.count(RiskPerson.id)))
    assert {c: sum(row.values()) for c, row in chart.items()} == {c: n for c, n in b.traced_by_category.items() if n}
    assert sum(row.get("centralized_isolation", 0) for row in chart.values()) <= b.isolation_in_site
    assert int(page.locator("#records").get_attribute("data-records")) == records >= b.traced_total
    assert page.errors == []


def _as(browser, server, role: str, jurisdiction: str = ""):
    from e2e.conftest import login
    from test_api import make_user

    make_user(role, role, jurisdiction)
    ctx = browser.new_context(base_url=str(server.base_url), viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    login(pg, role)
    return ctx, pg


def test_overdue_board_agrees_with_verify(browser, server, outbreak, monkeypatch):
    """The commander's overdue figure on the overview, the SLA board (/tasks) and its lists, and the risk persons
    board's 超时任务 filter count the same tasks as /verify, the next morning (the same-day checks are late)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from fangkong.db.core import utcnow
    from fangkong.kit.clikit import unit_of_work
    from fangkong.measures.verification import service as verification
    from fangkong.reports.board import BoardFilter, board
    from fangkong.tasks import sla
    from fangkong.tasks.models import Task

    day, _ = outbreak
    nxt = date.fromisoformat(str(day)) + timedelta(days=1)
    set_clock(monkeypatch, f"{nxt}T10:00:00+08:00")
    ctx, pg = _as(browser, server, "commander")
    pg.goto("/")
    shown = int(pg.locator("[data-figure=overdue_tasks] .value").inner_text())
    with unit_of_work() as s:
        now = utcnow()
        late = sla.overdue_at(s, now)
        since = datetime.combine(nxt, datetime.min.time(), tzinfo=ZoneInfo("Asia/Shanghai"))
        counts = verification.queue_counts(s, now=now, since=since)
        per_community = {}
        for c in counts:
            if c["overdue"]:
                _, rows = board(s, BoardFilter(community=c["community"], overdue=True), now=now, limit=100_000)
                tasks = s.query(Task).filter(Task.kind == "verification", Task.jurisdiction == c["community"],
                                             Task.status == "open", Task.due_at < now).all()
                per_community[c["community"]] = (c["overdue"], {r.risk_id for r in rows},
                                                 {t.risk_person_fk for t in tasks if t.risk_person_fk})
    assert shown == sum(late.values()) > 0 and late.get("verification", 0) > 0
    assert per_community, counts
    for community, (n, board_ids, task_ids) in per_community.items():
        assert task_ids <= board_ids, community       # every late door-to-door check is a late row of the board
        assert len(task_ids) == n, community           # one check per risk person: the same count as /verify
    pg.click("[data-figure=overdue_tasks] #overdue-kinds a[data-kind=verification]")
    pg.wait_for_load_state()
    assert int(pg.locator("#total").inner_text().split()[0]) == late["verification"]
    assert pg.locator("#sla-tasks tbody tr.late").count() == min(50, late["verification"])
    assert pg.locator("#sla-owners tbody tr").count() > 0
    owners = pg.locator("#sla-owners tbody").inner_text()
    assert "社区 ·" in owners and "1401" not in owners   # owners by name, not by code
    shot(pg, "sla-board")
    community, (n, _, _) = next(iter(per_community.items()))
    pg.goto(f"/risk-persons?community={community}&overdue=true")
    assert int(pg.locator("#total").inner_text().split()[0]) >= n
    pg.goto(f"/verify?community={community}")
    assert int(pg.locator("#verify-counts strong.late").inner_text()) == n
    assert pg.errors == []
    ctx.close()

    # a district's verifier picks among their own communities only, by name (the city's commander sees all)
    district = community[:6]
    ctx, pg = _as(browser, server, "verifier", district)
    pg.goto("/verify")
    values = pg.locator("#community option").evaluate_all("os => os.map(o => o.value)")[1:]
    labels = pg.locator("#community option").all_inner_texts()[1:]
    others = {c for c in per_community if not c.startswith(district)}
    assert values and all(v.startswith(district) for v in values), values
    assert others.isdisjoint(values) and not any(lbl.split(" · ")[0].isdigit() for lbl in labels), labels
    shot(pg, "verify-picker")
    ctx.close()


@pytest.fixture
def outbreak_with_sites(sqlite_env, tmp_path):
    """The outbreak as `fangkong demo` runs it: teams, isolation sites and a hospital stand ready first."""
    from builders.outbreak import outbreak as cached_outbreak

    return cached_outbreak(sqlite_env, tmp_path, standby=True)


def test_isolation_queue_and_followup(browser, server, outbreak_with_sites, monkeypatch):
    """The isolation manager sees who waits for a room and the transfers under way with their deadlines; the
    epidemiologist's follow-up view counts who checked in, who has not yet and who is lost, per community."""
    from sqlalchemy import func, select

    from fangkong.db.core import utcnow
    from fangkong.kit.clikit import unit_of_work
    from fangkong.measures.checkins import service as checkins
    from fangkong.measures.models import Measure
    from fangkong.settings import get_settings
    from fangkong.tasks.models import Task

    day, _ = outbreak_with_sites
    _day_clock(monkeypatch, day)
    ctx, pg = _as(browser, server, "isolation")
    pg.goto("/isolation")
    with unit_of_work() as s:
        def open_count(*kinds):
            return s.scalar(select(func.count(Task.id)).where(Task.kind.in_(kinds), Task.status == "open"))
        waiting, moving = open_count("room_needed"), open_count("transfer", "case_transfer")
    assert int(pg.locator("#waiting-total").get_attribute("data-total")) == waiting
    assert int(pg.locator("#transfers-total").get_attribute("data-total")) == moving
    assert waiting + moving > 0
    assert pg.locator("#transfers tbody tr[data-task]").count() == min(moving, 40)
    places = pg.locator("#sites tbody tr td:nth-child(2)").all_inner_texts()
    assert places and not any(p.strip().isdigit() for p in places), places   # jurisdictions by name
    shot(pg, "isolation-queues")
    assert pg.errors == []
    ctx.close()

    later = date.fromisoformat(str(day)) + timedelta(days=2)      # two days on, nobody has reported yet
    set_clock(monkeypatch, f"{later}T15:00:00+08:00")
    with unit_of_work() as s:
        m = s.scalars(select(Measure).where(Measure.status == "active", Measure.kind == "home_isolation")).first()
        checkins.record(s, m, temperature=36.6, symptoms=[], at=utcnow(), tz=get_settings().zone)
        community = m.person.community
    ctx, pg = _as(browser, server, "epidemiologist")
    pg.goto("/followup")
    with unit_of_work() as s:
        counts = checkins.followup_counts(s, day=later, tz=get_settings().zone)
    sums = {k: sum(c[k] for c in counts) for k in ("followed", "checked_in", "not_yet", "lost")}
    for k, n in sums.items():
        assert int(pg.locator(f"[data-figure={k}] .value").inner_text()) == n, k
    assert sums["checked_in"] == 1 and sums["lost"] > 0
    assert sums["followed"] == sums["checked_in"] + sums["not_yet"] + sums["lost"]
    assert "社区" in pg.locator("#fu-communities tbody tr").first.inner_text()   # by name, not by code
    pg.goto(f"/followup?community={community}")
    assert "社区" in pg.locator("#fu-list-title").inner_text() and community not in pg.locator("#fu-list-title").inner_text()
    assert pg.locator("#fu-people tr[data-state=checked_in]").count() == 1
    shot(pg, "followup")
    pg.click("#fu-list-title ~ p.filters a:has-text('失联')")
    pg.wait_for_load_state()
    states = pg.locator("#fu-people tbody tr").evaluate_all("rs => rs.map(r => r.dataset.state)")
    assert states and set(states) == {"lost"}
    assert pg.errors == []
    ctx.close()


def test_search_case_list_sorting_pages_and_exports(browser, server, outbreak, monkeypatch):
    """The epidemiologist searches by phone, ID number, name and person id (masked answers, each search
    audited), opens the case list (it answered 403 "needs users:admin"), sorts the board by a column header,
    goes to page 3 by number, and exports the filtered board as CSV and XLSX (audited, masked)."""
    import csv
    import io

    from sqlalchemy import select

    from fangkong.contacts.models import RiskPerson
    from fangkong.db.audit import AuditEntry
    from fangkong.kit.clikit import unit_of_work
    from fangkong.people.models import Person

    day, cases = outbreak
    _day_clock(monkeypatch, day)
    with unit_of_work() as s:
        p = s.scalars(select(Person).join(RiskPerson, RiskPerson.person_fk == Person.id)
                      .where(Person.phone.is_not(None), Person.id_number.is_not(None))).first()
        who = {"person_id": p.person_id, "phone": p.phone, "id_number": p.id_number, "name": p.name}
    ctx, pg = _as(browser, server, "epidemiologist")
    for kind, q in (("phone", who["phone"]), ("id_number", who["id_number"]), ("key_or_name", who["name"]),
                    ("key_or_name", who["person_id"])):
        pg.goto("/search")
        pg.fill("#q", q)
        pg.click("#search-form button")
        pg.wait_for_load_state()
        assert pg.locator("#search-kind").get_attribute("data-kind") == kind
        assert pg.locator(f"#people tr[data-person='{who['person_id']}']").count() == 1, q
        text = pg.locator("#people").inner_text()
        assert who["phone"] not in text and who["id_number"] not in text and who["name"] not in text  # masked
    shot(pg, "search")
    pg.goto(f"/search?q={cases[0]}")
    assert pg.locator(f"#found-cases tr[data-case='{cases[0]}']").count() == 1
    with unit_of_work() as s:
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "search")).all()
        assert len(logged) == 5 and all(e.actor == "epidemiologist" for e in logged)
        assert not any(who["phone"] in str(e.after) or who["id_number"] in str(e.after) for e in logged)

    pg.click("#menu a[href^='/cases']")                # the case list, for the roles that may read cases
    pg.wait_for_load_state()
    assert pg.locator("#error").count() == 0
    assert sorted(pg.locator("#cases tbody tr").evaluate_all("rs => rs.map(r => r.dataset.case)")) == sorted(cases)
    pg.click("#cases th a[data-sort=case]")           # the header sorts; again, the other way
    pg.wait_for_load_state()
    first = pg.locator("#cases tbody tr").first.get_attribute("data-case")
    pg.click("#cases th a[data-sort=case]")
    pg.wait_for_load_state()
    assert pg.locator("#cases tbody tr").first.get_attribute("data-case") != first
    shot(pg, "case-list")

    pg.goto("/risk-persons?category=secondary")
    pg.click("th a[data-sort=person]")
    pg.wait_for_load_state()
    ids = pg.locator("#board tbody tr td:nth-child(3)").evaluate_all("ts => ts.map(t => t.innerText.split(' ')[0])")
    assert ids == sorted(ids) and "sort=person" in pg.url and "category=secondary" in pg.url
    pg.click("nav.pager a[data-page='3']")
    pg.wait_for_load_state()
    assert "page=3" in pg.url and "category=secondary" in pg.url
    assert pg.locator("#total").inner_text().split()[-1].startswith("3/")
    shot(pg, "board-sorted-page3")
    total = int(pg.locator("#total").inner_text().split()[0])
    with pg.expect_download() as dl:
        pg.click("#export-csv")
    rows = list(csv.reader(io.StringIO(open(dl.value.path(), encoding="utf-8-sig").read())))
    assert len(rows) == total + 1 and all("*" in r[2] for r in rows[1:] if r[2])   # every row, names masked
    assert not any(r[4].isdigit() for r in rows[1:])                              # communities by name
    with pg.expect_download() as dl:
        pg.click("#export-xlsx")
    assert len(xlsx_rows(dl.value.path())) == total + 1
    with unit_of_work() as s:
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "export",
                                                      AuditEntry.entity == "risk_persons")).all()
        assert [e.after["format"] for e in exported] == ["csv", "xlsx"]
        assert all(e.after["rows"] == total and e.after["unmasked"] is False for e in exported)
    assert pg.errors == []
    ctx.close()
