"""Every page the app serves, not only those of the menus (issue 25, issue 26): the GET routes are read from the app
itself (`app.routes`), their path and query parameters filled from the shared world's records, so a page another
lane adds is walked without anyone listing it. Each page is asked for by each role (and by nobody signed in): the
roles it answers with a whole HTML page open it in Chromium; the others must get a refusal page (403, 404 or 422
as an HTML page, never raw JSON), opened too (one of each status per role).

Two walks, each role in its own browser context: in Chinese (the lang cookie) and in English (switched as a user
does: the header's English link after signing in, then the menu's pages in English without asking again). Each
page is read at 390×844, then the same page at 1440×900: at both widths no page wider than the window, no console
error, no request leaving the server, the page in the language asked (<html lang>); in Chinese no English word
outside the allow-list, in English no Chinese text but what is data (the world's stored names of persons, places,
sites, teams, zones: shown as entered) and the Chinese terms the English labels give in brackets. axe-core (no
serious or critical violation) once per page and per kind of refusal in each walk: the Chinese on the phone, the
English on the desktop."""

from __future__ import annotations

import re

import httpx
import pytest
from e2e.conftest import SHOTS, login
from e2e.walk import AXE_RUN, DESKTOP, PHONE, ROLES, TEXT, WIDTH, english_words, settle, track
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import String, Text, select

from fangkong.api import app
from fangkong.assist.models import AssistRequest
from fangkong.db.core import Base
from fangkong.kit.i18n import _TABLE
from fangkong.kit.i18n_forms import FORMS
from fangkong.reports.text import _PHRASES
from fangkong.testing.models import TestingRound
from fangkong.zones.models import Zone

#: GET routes that are no page: downloads, data for the charts, the API docs, and the one that signs out
NOT_PAGES = re.compile(r"^/(api|static)/|\.(csv|xlsx|json)$|^/docs|^/logout$")


def page_routes() -> list[tuple[str, list[str]]]:
    """(path template, names of its query parameters) of every GET route outside the API."""
    out = []
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if isinstance(route, APIRoute) and "GET" in route.methods and not NOT_PAGES.search(rc.path):
            out.append((rc.path, [p.alias for p in route.dependant.query_params
                                  if p.field_info.is_required() or p.alias in ("q", "person", "case")]))
    return out


def records(shared) -> dict[str, str]:
    """A value for each path or query parameter, from the shared world: its case, its citizen, a zone, an
    assistance request, a testing round, its check-in link."""
    w = shared.world
    with shared.session() as s:
        zone = s.scalar(select(Zone.zone_no).order_by(Zone.id).limit(1))
        request = s.scalar(select(AssistRequest.request_no).order_by(AssistRequest.id).limit(1))
        rnd = s.scalar(select(TestingRound.round_id).order_by(TestingRound.id).limit(1))
    return {"case_id": w.case, "case": w.case, "person": w.person, "q": w.person, "zone_id": zone or "Z9",
            "request_no": request or "A9", "round": rnd or "R9", "round_id": rnd or "R9", "day": w.day,
            "token": w.checkin.rsplit("/", 1)[-1]}


def fill(template: str, query: list[str], values: dict[str, str]) -> str:
    path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "1"), template)
    qs = "&".join(f"{k}={values.get(k, '1')}" for k in query)
    return f"{path}?{qs}" if qs else path


def test_route_list_is_read_from_the_app():
    paths = {t for t, _ in page_routes()}
    assert {"/isolation/admissions", "/me", "/citizen/login", "/map", "/chains", "/zones/{zone_id}/act"} <= paths
    assert not any(NOT_PAGES.search(p) for p in paths)


def _whole_page(r: httpx.Response) -> bool:
    return r.headers.get("content-type", "").startswith("text/html") and "<html" in r.text[:500].lower()


#: Chinese characters and the full-width punctuation (、，：；（）) an English page must not print around them
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
#: Chinese an English page shows on purpose: the switch back to Chinese, named in Chinese; the brand beside
#: "fangkong"; the terms an English label or the English bulletin gives in brackets ("The deadlines (以快制快)",
#: "community zero (社会面清零)") or in an example
ZH_ALLOWED = {"中文", "防控"} | {run for _zh, en in [*_TABLE.values(), *FORMS.values()] for run in CJK.findall(en)} \
    | {run for v in _PHRASES["en"].values() if isinstance(v, str) for run in CJK.findall(v)}


def stored_chinese(shared) -> str:
    """Every stored text that holds Chinese, one a line: names of persons (masked to the surname), communities,
    places, sites, hospitals, teams, zones, reasons typed: data, which an English page shows as entered."""
    found: set[str] = set()
    with shared.session() as s:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text):
                    found.update(v for v in s.scalars(select(column).distinct()) if isinstance(v, str) and CJK.search(v))
    return "\n".join(sorted(found))


def chinese_words(text: str, data: str) -> set[str]:
    """The Chinese runs of an English page's text that are neither data (part of a stored text) nor allowed."""
    return {run for run in CJK.findall(text) if run not in ZH_ALLOWED and run not in data}


def test_the_chinese_finder():
    data = "王小明\n迎阳嘉园\n地铁2号线并州站"
    text = "Person P0001 王** · places 迎阳嘉园, 地铁2号线并州站 · The deadlines (以快制快) · 中文"
    assert chinese_words(text, data) == set()
    assert chinese_words("status：approved · 迎阳嘉园、地铁 · 确诊病例 3", data) == {"：", "迎阳嘉园、地铁", "确诊病例"}


@pytest.fixture(scope="module")
def answers(shared) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """What each role (and nobody signed in) is answered for every page path, asked over HTTP as a browser asks:
    ({role: [(path, 200) for the whole pages] + [(path, status), one per refusal status]}, problems: an answer
    that is neither a page, a fragment, a redirect nor a refusal page)."""
    base = shared.base_url.rstrip("/")
    values = records(shared)
    paths = [fill(t, q, values) for t, q in page_routes()]
    problems: list[str] = []
    out: dict[str, list[tuple[str, int]]] = {}
    for role in [*ROLES, "anonymous"]:
        http = shared.client_for(role) if role != "anonymous" else httpx.Client(base_url=base)
        http.cookies.set("lang", "zh")
        http.headers["Accept"] = "text/html"   # as a browser asks: refusals come as pages
        opened, refused = [], {}
        for path in paths:
            r = http.get(path, follow_redirects=False)
            if r.status_code in (303, 307) or (r.status_code == 401 and role == "anonymous"):
                continue   # elsewhere: the login page, the citizen's own page
            if r.status_code == 200 and _whole_page(r):
                opened.append(path)
            elif r.status_code == 200:
                continue   # a fragment (HTMX) or a download
            elif r.status_code in (403, 404, 422) and _whole_page(r):
                refused.setdefault(r.status_code, path)
            else:
                problems.append(f"{role} {path}: {r.status_code} {r.headers.get('content-type')} {r.text[:120]!r}")
        if role == "anonymous":
            http.close()
        out[role] = [*((p, 200) for p in opened), *((p, s) for s, p in refused.items())]
    return out, problems


def walk_routes(browser, shared, pages: dict[str, list[tuple[str, int]]], lang: str) -> list[str]:
    """Each role's pages in `lang`, each read at 390×844 then at 1440×900 (the same page, the window resized):
    the problems found, each prefixed by the role and the page."""
    base = shared.base_url.rstrip("/")
    data = stored_chinese(shared) if lang == "en" else ""
    html_lang = "en" if lang == "en" else "zh-CN"
    problems: list[str] = []
    axed: set[str] = set()
    errors: list[str] = []     # the page's console errors and uncaught exceptions, of the current visit
    outside: list[str] = []    # requests to anywhere but the app's server, of the current visit
    SHOTS.mkdir(exist_ok=True)
    for role, visits in pages.items():
        context = browser.new_context(base_url=base, viewport=PHONE)
        if lang == "zh":
            context.add_cookies([{"name": "lang", "value": "zh", "url": base}])
        pg = context.new_page()
        track(pg)
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))

        def route(rt):
            if rt.request.url.startswith(base):
                return rt.continue_()
            outside.append(rt.request.url)
            return rt.abort()

        pg.route("**/*", route)
        if role != "anonymous":
            login(pg, role)
        if lang == "en":       # as a user switches: the header's link, on the page signing in led to
            if role == "anonymous":
                pg.goto("/login")
            pg.click("#lang-switch")
            pg.wait_for_load_state()
        for path, status in visits:
            errors.clear()
            outside.clear()
            pg.set_viewport_size(PHONE)
            pg.goto(path)
            try:
                settle(pg)
            except Exception as exc:  # noqa: BLE001 - a page that never settles is a finding, not a crash
                problems.append(f"{role} {path}: did not settle ({str(exc)[:80]})")
            where = f"{role} {lang} {path}" + (f" ({status})" if status != 200 else "")
            if (shown := pg.evaluate("document.documentElement.lang")) != html_lang:
                problems.append(f"{where}: shown in {shown!r}")
            text = pg.evaluate(TEXT)
            if words := (english_words(text) if lang == "zh" else chinese_words(text, data)):
                problems.append(f"{where}: {'English' if lang == 'zh' else 'Chinese'} {sorted(words)[:8]}")
            key = path.split("?")[0] if status == 200 else str(status)
            for viewport in (PHONE, DESKTOP):
                pg.set_viewport_size(viewport)
                if (width := pg.evaluate(WIDTH)) > viewport["width"]:
                    problems.append(f"{where}: {width} px wide at {viewport['width']}")
                    pg.screenshot(path=str(SHOTS / f"wide-{lang}-{viewport['width']}-{role}-"
                                                   f"{re.sub(r'[^A-Za-z0-9]+', '_', path)[:40]}.png"), full_page=True)
                # axe once per page and per kind of refusal: the Chinese on the phone, the English on the desktop
                if key not in axed and viewport is (PHONE if lang == "zh" else DESKTOP):
                    axed.add(key)
                    pg.add_script_tag(url="/static/axe/axe.min.js")
                    problems += [f"{where} at {viewport['width']}: {v}" for v in pg.evaluate(AXE_RUN)]
            # a refusal answers with its status: Chromium logs the document's own failed load, nothing else may
            errs = [e for e in errors if not (status != 200 and "status of" in e)]
            if errs:
                problems.append(f"{where}: console {errs[:3]}")
            if outside:
                problems.append(f"{where}: outside requests {outside[:3]}")
        context.close()
    return problems


def test_every_page_of_the_app_as_each_role_in_chinese(browser, shared, answers):
    pages, problems = answers
    problems = problems + walk_routes(browser, shared, pages, "zh")
    print("\n" + "\n".join(f"{role}: {sum(s == 200 for _, s in ps)} pages" for role, ps in pages.items()))
    print(f"{len(problems)} problems:\n" + "\n".join(problems))
    assert sum(s == 200 for _, s in pages["admin"]) > 25 and pages["anonymous"]
    assert problems == [], "\n".join(problems)


def test_every_page_of_the_app_as_each_role_in_english(browser, shared, answers):
    pages, _ = answers
    problems = walk_routes(browser, shared, pages, "en")
    print(f"\n{len(problems)} problems:\n" + "\n".join(problems))
    assert problems == [], "\n".join(problems)
