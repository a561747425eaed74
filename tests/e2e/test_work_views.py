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
