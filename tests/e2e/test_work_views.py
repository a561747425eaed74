"""The work views of issue 25 in the browser: one day control across the pages (kept in the address, carried by
the menu and the language switch, defaulting to the deployment's clock), one set of figures (the overview's
equal the bulletin's), the overdue board, the isolation queue and follow-up, search, the case list, exports."""

from __future__ import annotations

from datetime import date, timedelta

from clihelp import set_clock
from e2e.conftest import SHOTS


def shot(pg, name):
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


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
