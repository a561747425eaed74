"""Every page as each role sees it (issue 25): an outbreak with sites, zones and a testing round, one user per
role, and a walk that opens each page the role's menu holds (plus the case page, the login and check-in pages
and a missing page) in a fresh browser context, in the language and at the viewport asked. The phone-width,
accessibility and language tests read one walk of it (tests/e2e/conftest.py `zh_phone_walk`): one world and one
server for the whole run (`shared`), each page of each role opened once in Chinese on a phone and every check made
on it, then the English pages once each."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
    tokens: dict[str, str] = field(default_factory=dict)   # role → a bearer token of the role's user
    task: tuple[int, int] = (0, 0)                          # an open verification task of `community`, its version


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
        task = s.scalars(select(Task).where(Task.kind == "verification", Task.status == "open")
                         .order_by(Task.id)).first()
        community, task = (task.jurisdiction, (task.id, task.version)) if task else ("", (0, 0))
    tokens = {role: make_user(role, role, jurisdiction=community if role == "verifier" else "",
                              person=person if role == "citizen" else None) for role in ROLES[1:]}
    return World(str(day), cases[0].trace.case.case_no, community, link, person, tokens, task)


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
         roles: list[str] | None = None, once: bool = False) -> Iterator[Visit]:
    """Each page of each role, loaded (the testing round's figures and the charts included); `once`: a page an
    earlier role opened is not opened again (the role changes the menu and the buttons, which the Chinese walk
    checks for every role)."""
    viewport = viewport or DESKTOP
    seen: set[str] = set()
    for role in [*(roles or ROLES), "anonymous"]:
        context = browser.new_context(base_url=str(server.base_url), viewport=viewport)
        context.add_cookies([{"name": "lang", "value": lang, "url": str(server.base_url)}])
        pg = context.new_page()
        track(pg)
        if role == "anonymous":
            paths = ["/login", "/citizen/login", w.checkin]
        else:
            login(pg, role)
            menu = pg.locator("#menu a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
            paths = pages_of(role, w, [h.split("?")[0] for h in menu if h.split("?")[0] != "/docs"])
        for path in paths:
            if once and path in seen:
                continue
            seen.add(path)
            pg.goto(path)
            settle(pg)
            yield Visit(role, path, lang, pg)
        context.close()


def track(pg) -> None:
    """Count the page's requests under way (`settle` waits for none): attached once, before the first goto."""
    if not hasattr(pg, "inflight"):
        pg.inflight = set()
        pg.on("request", lambda r: pg.inflight.add(r))
        pg.on("requestfinished", lambda r: pg.inflight.discard(r))
        pg.on("requestfailed", lambda r: pg.inflight.discard(r))


def settle(pg, quiet_ms: int = 120, timeout_ms: int = 20_000) -> None:
    """Wait for what a page loads after it is shown (HTMX fragments, the charts' and the map's data, chart
    canvases). A page `track`ed waits until no request has been under way for `quiet_ms` (a request a response
    starts begins within it); any other page for Playwright's network idle (no request for 500 ms)."""
    if hasattr(pg, "inflight"):
        quiet, waited = 0, 0
        while quiet < quiet_ms:
            if waited > timeout_ms:
                raise TimeoutError(f"requests still under way: {[r.url for r in pg.inflight][:3]}")
            pg.wait_for_timeout(30)
            waited += 30
            quiet = quiet + 30 if not pg.inflight else 0
    else:
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


# --- what is checked on each page (the phone-width, accessibility and language tests) -------------------------

#: the page's width (wider than the viewport: the phone scrolls sideways)
WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
#: axe-core's serious and critical violations (the app's own copy, /static/axe/axe.min.js)
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""
#: the text a user reads (and a screen reader is told): the menu's too, folded on a phone
TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const a of document.querySelectorAll('#menu a')) parts.push(a.textContent);
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], img[alt]'))
    parts.push(el.getAttribute('aria-label') || '', el.getAttribute('placeholder') || '', el.getAttribute('title') || '',
               el.getAttribute('alt') || '');
  for (const el of document.querySelectorAll('option')) parts.push(el.textContent);
  return parts.join('\\n');
}"""
#: words that stay as they are on a Chinese page: the brand and the CLI command named in the demo banner, the
#: language switch, file formats, percentiles, units; the demo's user names (an identifier, like a case id);
ALLOWED = {"fangkong", "demo", "English", "CSV", "XLSX", "HTMX", "°C", "p50", "p90", "p99", "ID", *ROLES,
           "backup",   # the backup job's id, in the tooltip of its row on /jobs (the others have a dot: codes.recolour)
           "Ct",       # the PCR cycle threshold, as labs write it (the discharge samples on /isolation/admissions)
           # what the user types in a zone's absences (/zones/{zone}/act): the reasons' codes, each given beside its
           # Chinese name in the hint
           "moved_out", "in_hospital", "isolated_elsewhere", "died", "not_found"}
#: a word of two letters or more (a snake_case code too), not part of an identifier (letters touching digits,
#: '-', '.', '/', '@', or a code's ':' as in a permission cases:write or a zone's place venue:V0000012)
WORD = re.compile(r"(?<![\w./@-])(?<![\w]:)[A-Za-z][A-Za-z_']*[A-Za-z](?![\w./@-]|:\w)")


def english_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text) if w not in ALLOWED}


def axe(pg) -> list[str]:
    pg.add_script_tag(url="/static/axe/axe.min.js")
    return pg.evaluate(AXE_RUN)


def shot_name(v: Visit) -> str:
    return f"phone-{v.lang}-{v.role}-{v.path.strip('/').replace('/', '_').replace('?', '_')[:30] or 'home'}.png"


def menu_folds(pg) -> list[str]:
    """On a phone the menu folds into a button and opens from it."""
    out = []
    toggle = pg.locator("#menu-toggle")
    if pg.locator("#menu").is_visible():
        out.append("the menu is not folded")
    toggle.click()
    if not pg.locator("#menu a").first.is_visible() or toggle.get_attribute("aria-expanded") != "true":
        out.append("the menu button does not open it")
    return out


@dataclass
class Seen:
    """What one visit found: the page's width, its English words (a Chinese page), its axe violations, and
    whether the menu folded (the first page of each signed-in role)."""
    role: str
    path: str
    lang: str
    width: int
    words: set[str]
    axe: list[str]
    menu: list[str] | None


def look(v: Visit, shots=None, *, fold: bool = False) -> Seen:
    """Every check on one page, in the order that leaves the page as loaded for each: width, screenshot, text,
    axe, then the menu button (which opens the menu)."""
    width = v.page.evaluate(WIDTH)
    if shots is not None:
        v.page.screenshot(path=str(shots / shot_name(v)), full_page=True)
    words = english_words(v.page.evaluate(TEXT)) if v.lang == "zh" else set()
    violations = axe(v.page)
    menu = menu_folds(v.page) if fold and v.page.locator("#menu-toggle").count() else None
    return Seen(v.role, v.path, v.lang, width, words, violations, menu)


def walk_and_look(browser, server, w: World, shots=None, **kw) -> list[Seen]:
    """A walk with every check made on each page (the menu's fold on the first page of each role)."""
    out, folded = [], set()
    for v in walk(browser, server, w, **kw):
        fold = v.role not in folded and v.role != "anonymous"
        out.append(look(v, shots, fold=fold))
        if out[-1].menu is not None:
            folded.add(v.role)
    return out
