"""One day control on every page (issue 25): the header's picker chooses a day, every page that shows something
that changes with the day shows it as it stood at that day's end (the SLA board, the verification queue, the
case list, the board of risk persons, the isolation queues, the zones' countdown, the testing round), and the
day is kept by any link, not only the menu's, until "back to today". On the session's world (its outbreak day
is past by the real clock)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from e2e.conftest import SHOTS, login
from e2e.walk import DESKTOP


def _total(pg) -> int:
    return int(re.match(r"\d+", pg.locator("#total").inner_text().strip()).group(0))


def test_a_past_day_on_every_page_kept_by_any_link(browser, shared):
    w = shared.world
    before = (date.fromisoformat(w.day) - timedelta(days=1)).isoformat()
    context = browser.new_context(base_url=shared.base_url, viewport=DESKTOP)
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    login(pg, "commander")
    pg.goto("/cases")
    today_cases = _total(pg)
    assert today_cases >= 1 and pg.locator("#as-of").count() == 0      # today: no "as of" line
    pg.goto("/")
    pg.fill("#day-picker", w.day)                   # the outbreak day, from the header's picker
    pg.wait_for_url(f"**/?day={w.day}")
    assert w.day in pg.locator("#as-of").inner_text()
    card = int(pg.locator("[data-figure=overdue_tasks] .value").inner_text())
    pg.click("[data-figure=overdue_tasks] .value a")   # its link carries no day: the picker's day is kept anyway
    pg.wait_for_load_state()
    assert "day=" not in pg.url and w.day in pg.locator("#as-of").inner_text()
    assert pg.locator("#day-picker").input_value() == w.day
    assert _total(pg) == card, "the SLA board at the day's end says what the overview's card says"
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "day-control-tasks-past.png"), full_page=True)

    pg.goto("/")                                      # the day before the outbreak: nothing known yet
    pg.fill("#day-picker", before)
    pg.wait_for_url(f"**/?day={before}")
    for path in ("/cases", "/risk-persons", "/tasks?state=open"):
        pg.goto(path)
        assert before in pg.locator("#as-of").inner_text(), path
        assert _total(pg) == 0, (path, pg.locator("#total").inner_text())
    pg.goto("/isolation")
    assert pg.locator("[data-task]").count() == 0     # nobody waited for a room, no transfer
    pg.click("#back-to-today")                         # back to the clock's today: the picker's day is dropped
    pg.wait_for_load_state()
    pg.goto("/cases")
    assert pg.locator("#as-of").count() == 0 and _total(pg) == today_cases
    context.close()

    context = browser.new_context(base_url=shared.base_url, viewport=DESKTOP)   # the verifier's queue, that day
    pg = context.new_page()
    login(pg, "verifier")
    pg.goto(f"/verify?community={w.community}&day={before}")
    assert pg.locator("#verify-list li[id^=task-]").count() == 0
    pg.goto(f"/verify?community={w.community}")
    assert pg.locator("#verify-list li[id^=task-]").count() > 0
    context.close()
    assert errors == []
