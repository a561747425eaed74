"""Every page the app serves, not only those of the menus (issue 25, issue 26): the GET routes are read from the app
itself (`app.routes`), their path and query parameters filled from the shared world's records, so a page another
lane adds is walked without anyone listing it. Each page is asked for by each role (and by nobody signed in): the
roles it answers with a whole HTML page open it in Chromium at 390×844 in Chinese; the others must get a refusal
page (403, 404 or 422 as an HTML page in Chinese, never raw JSON). On every page opened: not wider than the phone,
no console error, no request leaving the server, no English word outside the allow-list; axe-core (no serious or
critical violation) once per page (the first role to open it) and once per kind of refusal."""

from __future__ import annotations

import re

import httpx
from e2e.conftest import SHOTS, login
from e2e.walk import AXE_RUN, PHONE, ROLES, TEXT, WIDTH, english_words, settle
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from fangkong.api import app
from fangkong.assist.models import AssistRequest
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


def test_every_page_of_the_app_as_each_role_on_a_phone(browser, shared):
    base = shared.base_url.rstrip("/")
    values = records(shared)
    paths = [fill(t, q, values) for t, q in page_routes()]
    problems: list[str] = []
    walked: dict[str, list[str]] = {}
    axed: set[str] = set()
    errors: list[str] = []     # the page's console errors and uncaught exceptions, of the current visit
    outside: list[str] = []    # requests to anywhere but the app's server, of the current visit
    SHOTS.mkdir(exist_ok=True)
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
        walked[role] = opened
        context = browser.new_context(base_url=base, viewport=PHONE)
        context.add_cookies([{"name": "lang", "value": "zh", "url": base}])
        pg = context.new_page()
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
        for path, status in [*((p, 200) for p in opened), *((p, s) for s, p in refused.items())]:
            errors.clear()
            outside.clear()
            pg.goto(path)
            try:
                settle(pg)
            except Exception as exc:  # noqa: BLE001 - a page that never settles is a finding, not a crash
                problems.append(f"{role} {path}: did not settle ({str(exc)[:80]})")
            where = f"{role} {path}" + (f" ({status})" if status != 200 else "")
            width = pg.evaluate(WIDTH)
            if width > PHONE["width"]:
                problems.append(f"{where}: {width} px wide")
                pg.screenshot(path=str(SHOTS / f"wide-{role}-{re.sub(r'[^A-Za-z0-9]+', '_', path)[:40]}.png"),
                              full_page=True)
            words = english_words(pg.evaluate(TEXT))
            if words:
                problems.append(f"{where}: English {sorted(words)[:8]}")
            key = path.split("?")[0] if status == 200 else str(status)
            if key not in axed:
                axed.add(key)
                pg.add_script_tag(url="/static/axe/axe.min.js")
                problems += [f"{where}: {v}" for v in pg.evaluate(AXE_RUN)]
            # a refusal answers with its status: Chromium logs the document's own failed load, nothing else may
            errs = [e for e in errors if not (status != 200 and "status of" in e)]
            if errs:
                problems.append(f"{where}: console {errs[:3]}")
            if outside:
                problems.append(f"{where}: outside requests {outside[:3]}")
        context.close()
    print("\n" + "\n".join(f"{role}: {len(ps)} pages" for role, ps in walked.items()))
    print(f"{len(problems)} problems:\n" + "\n".join(problems))
    assert len(walked["admin"]) > 25 and walked["anonymous"]
    assert problems == [], "\n".join(problems)
