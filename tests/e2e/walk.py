"""Every page as each role sees it (issue 25): an outbreak with sites, zones and a testing round, one user per
role, and a walk that opens each page the role's menu holds (plus the case page, the login and check-in pages
and a missing page) in a fresh browser context, in the language and at the viewport asked. The phone-width,
accessibility and language tests walk it and check each page they land on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from e2e.conftest import login
from sqlalchemy import select
from test_api import make_user

from fangkong import importer
from fangkong.demo import run_outbreak_day
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.checkins import service as checkins
from fangkong.measures.models import Measure, MeasureStatus
from fangkong.sim import standby
from fangkong.sim.city import generate_city
from fangkong.tasks.models import Task

ROLES = ["admin", "commander", "epidemiologist", "analyst", "verifier", "lab", "isolation", "citizen"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@dataclass
class World:
    day: str
    case: str
    community: str        # a community with open door-to-door checks
    checkin: str          # a personal check-in link
    person: str           # the citizen's person (under a measure)


def build_world(env, tmp_path, persons: int = 1200) -> World:
    """The demo's outbreak day at a small size, and a user per role (the server fixture made the admin)."""
    summary = generate_city(tmp_path / "city", persons=persons, days=4, seed=5)
    importer.import_folder(unit_of_work, env, tmp_path / "city")
    with unit_of_work() as s:
        standby.prepare_city(s, per_10k=env.rooms_per_10k, now=summary.index_sampled_at - timedelta(days=1))
    day, cases = run_outbreak_day(env, summary, {})
    with unit_of_work() as s:
        m = s.scalars(select(Measure).where(Measure.status == MeasureStatus.ACTIVE, Measure.kind != "temporary_control")
                      .order_by(Measure.id)).first()
        link, person = checkins.link_for(m, env.secret_key), m.person.person_id
        community = s.scalar(select(Task.jurisdiction).where(Task.kind == "verification", Task.status == "open")
                             .order_by(Task.id)) or ""
    for role in ROLES[1:]:
        make_user(role, role, jurisdiction=community if role == "verifier" else "",
                  person=person if role == "citizen" else None)
    return World(str(day), cases[0].trace.case.case_no, community, link, person)


def pages_of(role: str, w: World, menu: list[str]) -> list[str]:
    """What the role opens in a day: its menu (read from the page: a page another lane adds is walked too), the
    pages its work leads to, and a missing page."""
    more = [f"/cases/{w.case}"] if role in ("admin", "commander", "epidemiologist") else []
    if "/verify" in menu and w.community:
        more.append(f"/verify?community={w.community}")
    return [*dict.fromkeys([*menu, *more]), "/no/such/page"]


@dataclass
class Visit:
    role: str
    path: str
    lang: str
    page: object


def walk(browser, server, w: World, *, lang: str = "zh", viewport: dict | None = None,
         roles: list[str] | None = None) -> Iterator[Visit]:
    """Each page of each role, loaded (the testing round's figures and the charts included)."""
    viewport = viewport or DESKTOP
    for role in [*(roles or ROLES), "anonymous"]:
        context = browser.new_context(base_url=str(server.base_url), viewport=viewport)
        context.add_cookies([{"name": "lang", "value": lang, "url": str(server.base_url)}])
        pg = context.new_page()
        if role == "anonymous":
            paths = ["/login", "/citizen/login", w.checkin]
        else:
            login(pg, role)
            menu = pg.locator("#menu a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
            paths = pages_of(role, w, [h.split("?")[0] for h in menu if h.split("?")[0] != "/docs"])
        for path in paths:
            pg.goto(path)
            settle(pg)
            yield Visit(role, path, lang, pg)
        context.close()


def settle(pg) -> None:
    """Wait for what a page loads after it is shown (HTMX fragments, chart canvases)."""
    pg.wait_for_load_state("networkidle")
    if pg.locator("#round-progress[hx-trigger]").count():
        pg.wait_for_selector("#progress", timeout=20_000)
    pg.wait_for_function("[...document.querySelectorAll('.chart')].every(c => c.querySelector('canvas'))")


def each(browser, server, w: World, check: Callable[[Visit], list[str]], **kw) -> list[str]:
    """Run `check` on every visit; the problems found, each prefixed by where."""
    out = []
    for v in walk(browser, server, w, **kw):
        out += [f"{v.role} {v.lang} {v.path}: {p}" for p in check(v)]
    return out
