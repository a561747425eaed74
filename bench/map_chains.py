"""Benchmark (issue 26): the map and the city-wide chains view of a 10 000-case city, measured in the browser.

The store is built with direct inserts (no trace): a synthetic city's districts, subdistricts and communities
(boundaries.geojson, imported), its venues, persons, 10 000 declared cases over 20 days, each with 10 close
contacts (100 000 risk persons; a case found as another case's contact is that case's link), and zones (a sealed
compound, controlled venues and a ring of grid cells) for 1 case in 20. Then Debian's Chromium (Playwright) opens the
pages as a signed-in admin and reads ECharts' 'finished' event with performance.now():

- first render: from the navigation's start to the chart's first 'finished' (HTML, scripts, the JSON it fetches,
  the drawing), for /map (district boundaries, every venue, every open zone) and /chains (every case);
- pan / filter: from the action to 'finished': the map panned by a drag's worth and a zone level turned off, the
  chains filtered by a district, by a cluster, by a date range and panned. Median of --repeat.

Goals (issue 26): first render < 2 000 ms, pan and filter < 200 ms.

    .venv/bin/python bench/map_chains.py [--cases 10000] [--contacts 10] [--persons 300000]

tests/test_bench.py runs it at a tiny size.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, free_port, machine, page_store, serve_api

PASSWORD = "bench-" + "k7P" * 8
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _persons(s, areas, n: int, rng: random.Random) -> None:
    from sqlalchemy import insert

    from fangkong.people.models import Person

    codes = [str(c) for c in areas.comm_code]
    for lo in range(0, n, 50_000):
        s.execute(insert(Person), [{"id": i + 1, "person_id": f"P{i:07d}", "name": "王小明", "phone": f"139{i:08d}",
                                    "household_id": f"H{i // 3:07d}", "community": rng.choice(codes), "sex": "M"}
                                   for i in range(lo, min(n, lo + 50_000))])


def _cases(s, n_cases: int, contacts: int, persons: int, base: datetime, rng: random.Random) -> list[int]:
    """Cases on persons 1..n_cases over 20 days, growing about 25 % a day from a handful of index cases (an outbreak's
    curve, not a flat rain). A case after the first day was found, nine times in ten, as a close contact of a case
    declared one to four days earlier (its likely source, so chains run over many generations and a few large
    clusters); the rest have no known source (sporadic cases, new clusters). Each case has `contacts` further close
    contacts among the other persons."""
    import bisect
    import math

    from sqlalchemy import insert

    from fangkong.cases.models import Case
    from fangkong.contacts.models import RiskPerson

    days = 20
    weights = [math.exp(0.25 * d) for d in range(days)]
    day_of = sorted(rng.choices(range(days), weights=weights, k=n_cases))
    day_of[0] = 0  # the first case opens the outbreak
    declared = sorted(base + timedelta(days=d, minutes=rng.randrange(600)) for d in day_of)
    s.execute(insert(Case), [
        {"id": i + 1, "case_no": f"C{i + 1:06d}", "person_fk": i + 1, "status": "confirmed" if i % 3 else "asymptomatic",
         "sampled_at": declared[i] - timedelta(hours=6), "declared_at": declared[i], "traced_at": declared[i],
         "window_start": declared[i] - timedelta(days=4), "window_end": declared[i], "edition": "9"}
        for i in range(n_cases)])
    risks, rid = [], 0
    evidence = [{"kind": "venue", "via": "P0000001", "place": "V0000001", "start": "2022-03-13T12:00:00+08:00",
                 "end": "2022-03-13T12:30:00+08:00"}]
    sourced = 0
    start_of_day = [bisect.bisect_left(day_of, d) for d in range(days + 1)]
    for i in range(1, n_cases):
        d = day_of[i]
        lo, hi = start_of_day[max(0, d - 4)], start_of_day[d]   # the cases of days d-4 … d-1
        if hi > lo and rng.random() < 0.9:
            j = rng.randrange(lo, hi)
            rid += 1
            sourced += 1
            risks.append({"id": rid, "case_fk": j + 1, "who": f"p:{i + 1}", "person_fk": i + 1, "category": "close",
                          "found_category": "close", "evidence": evidence, "first_exposure_at": declared[j],
                          "last_exposure_at": declared[j], "found_at": declared[j]})
    for j in range(n_cases):
        for k in range(contacts):
            p = rng.randrange(n_cases + 1, persons + 1)
            rid += 1
            risks.append({"id": rid, "case_fk": j + 1, "who": f"p:{p}:{k}", "person_fk": p, "category": "close",
                          "found_category": "close", "evidence": evidence, "first_exposure_at": declared[j],
                          "last_exposure_at": declared[j], "found_at": declared[j]})
    for lo in range(0, len(risks), 50_000):
        s.execute(insert(RiskPerson), risks[lo:lo + 50_000])
    return [sourced, len(risks)]


def _zones(s, n_cases: int, venue_ids: list[str], lats, lons, base: datetime, rng: random.Random) -> int:
    from sqlalchemy import insert

    from fangkong.protocol.grid import grid_id
    from fangkong.protocol.zones import surrounding_cells
    from fangkong.zones.models import Zone, ZonePlace

    zones, places, zid = [], [], 0
    for c in range(1, n_cases + 1, 20):
        v = rng.randrange(len(venue_ids))
        row, col = (int(x) for x in grid_id(float(lats[v]), float(lons[v])).split(":"))
        for level, refs in (("sealed", [("venue", venue_ids[v])]),
                            ("controlled", [("venue", venue_ids[rng.randrange(len(venue_ids))]) for _ in range(3)]),
                            ("precaution", [("grid", c) for c in sorted(surrounding_cells([f"{row}:{col}"], 1))])):
            zid += 1
            zones.append({"id": zid, "zone_no": f"Z{zid:06d}", "name": f"区域{zid}", "level": level, "initial_level": level,
                          "status": "approved", "case_fk": c, "proposed_at": base, "proposed_by": "bench",
                          "approved_at": base, "approved_by": "bench", "clock_from": base, "edition": "9"})
            places += [{"zone_fk": zid, "kind": k, "ref": r, "name": r, "reason": "visit"} for k, r in refs]
    s.execute(insert(Zone), zones)
    s.execute(insert(ZonePlace), places)
    return zid


def build(folder: Path, persons: int, n_cases: int, contacts: int) -> str:
    from sqlalchemy import insert

    from fangkong.kit.clikit import unit_of_work
    from fangkong.people.boundaries import service as boundaries
    from fangkong.people.models import VENUE_KINDS, Venue
    from fangkong.sim.boundaries import write_boundaries
    from fangkong.sim.city import _build, _place_name_rows

    rng = random.Random(26)
    city = _build(7, persons, date(2022, 3, 1))
    geo = write_boundaries(folder / "boundaries.geojson", city.areas, city.venues,
                           {code: name for code, name, _ in _place_name_rows(7, city.areas)})
    base = datetime(2022, 3, 1, 2, tzinfo=UTC)
    v = city.venues
    venue_ids = [f"V{i + 1:07d}" for i in range(v.size)]
    with unit_of_work(actor="bench") as s:
        r = boundaries.import_boundaries(s, geo)
        assert not r.errors, r.errors[:3]
        s.execute(insert(Venue), [{"venue_id": venue_ids[i], "name": v.names[i], "kind": VENUE_KINDS[int(v.kind[i])],
                                   "lat": float(v.lat[i]), "lon": float(v.lon[i]),
                                   "community": str(city.areas.comm_code[v.community[i]])} for i in range(v.size)])
        _persons(s, city.areas, persons, rng)
        sourced, risks = _cases(s, n_cases, contacts, persons, base, rng)
        zones = _zones(s, n_cases, venue_ids, v.lat, v.lon, base, rng)
        from fangkong.auth import service as auth_service
        from fangkong.db.scope import acting_as

        with acting_as(s, "bench"):
            auth_service.create_user(s, "bench-admin", role="admin", password=PASSWORD)
    return (f"{r.inserted} boundaries, {v.size:,} venues, {persons:,} persons, {n_cases:,} cases ({sourced:,} with a "
            f"likely source), {risks:,} risk persons, {zones:,} zones")


def _median(values: list[float]) -> float:
    values = [v for v in values if v >= 0]
    return statistics.median(values) if values else float("nan")


#: Before any page script: every ECharts instance the page makes reports each frame that shows what it painted
#: (ECharts' 'rendered', then the browser's next animation frame, after the script that painted is done) with
#: performance.now() (0 = the navigation's start). Independent of the page's own scripts, so the code of another
#: commit is measured the same way (--baseline).
WATCH = """(() => {
  const fk = window.__fk = {renders: []};
  let ec;
  Object.defineProperty(window, 'echarts', {configurable: true, set(v) { ec = v; }, get() {
    if (ec && ec.init && !ec.__fkWatched) {
      const init = ec.init;
      ec.init = function (...args) {
        const chart = init.apply(this, args);
        // the frame that shows what was painted: the browser draws it once the script running now is done
        chart.on('rendered', () => requestAnimationFrame(() => fk.renders.push(performance.now())));
        return chart;
      };
      ec.__fkWatched = true;
    }
    return ec;
  }});
  // act(), then the time from before it to the last frame painted before the charts stay still for `quiet` ms
  // (a progressive draw paints in several frames; ECharts' 'finished' is not waited for: it may never come)
  fk.measure = (act, quiet = 300, limit = 20000) => new Promise(resolve => {
    const n0 = fk.renders.length, t0 = performance.now();
    act();
    (function check() {
      const last = fk.renders.length > n0 ? fk.renders[fk.renders.length - 1] : null, now = performance.now();
      if (last !== null && now - last >= quiet) return resolve(last - t0);
      if (now - t0 > limit) return resolve(last === null ? -1 : last - t0);
      setTimeout(check, 10);
    })();
  });
})();"""


def _first_render(pg, url: str) -> float:
    """From the navigation's start to the last frame painted once every request of the page is answered."""
    pg.goto(url)
    pg.wait_for_load_state("networkidle", timeout=120_000)
    pg.wait_for_function("() => window.__fk.renders.length > 0", timeout=120_000)
    return pg.evaluate("""() => new Promise(resolve => { const fk = window.__fk; (function check() {
        const last = fk.renders[fk.renders.length - 1];
        if (performance.now() - last >= 300) return resolve(last);
        setTimeout(check, 10); })(); })""")


def _timed(pg, act: str) -> float:
    return pg.evaluate(f"() => window.__fk.measure(() => {{ {act}; }})")


def measure(base_url: str, repeat: int) -> dict[str, list[float]]:
    """The figures of one server, in Debian's Chromium as a signed-in admin (every request outside it refused): each
    measurement of each figure."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        ctx = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 900})
        ctx.add_init_script(WATCH)
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base_url) else r.abort())
        pg.goto("/login")
        pg.fill("input[name=username]", "bench-admin")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("#login-submit")
        pg.wait_for_load_state()
        chart = "echarts.getInstanceByDom(document.getElementById('{}'))"
        geo = chart.format("city-map")
        firsts, pans, zooms, toggles, level = [], [], [], [], []
        for _ in range(repeat):
            firsts.append(_first_render(pg, "/map"))
            for dx, dy in ((150, 0), (-80, 60), (0, -120)):
                pans.append(_timed(pg, f"{geo}.dispatchAction({{type: 'geoRoam', componentType: 'geo', geoIndex: 0, "
                                       f"dx: {dx}, dy: {dy}}})"))
            for zoom in (4, 0.25):
                zooms.append(_timed(pg, f"{geo}.dispatchAction({{type: 'geoRoam', componentType: 'geo', geoIndex: 0, "
                                        f"zoom: {zoom}, originX: 700, originY: 300}})"))
            for name in ("防范区", "防范区", "场所", "场所"):
                toggles.append(_timed(pg, f"{geo}.dispatchAction({{type: 'legendToggleSelect', name: '{name}'}})"))
            for lv in ("community", "district"):
                level.append(_timed(pg, "const s = document.getElementById('map-level'); "
                                        f"s.value = '{lv}'; s.dispatchEvent(new Event('change'))"))
        out["map first render"] = firsts
        out["map pan"] = pans
        out["map zoom in/out"] = zooms
        out["map layer on/off"] = toggles
        out["map boundary level (fetch + draw)"] = level

        graph = chart.format("chains-graph")
        firsts, filters, pans = [], [], []
        for _ in range(repeat):
            firsts.append(_first_render(pg, "/chains"))
            for field, value in (("cf-district", "1"), ("cf-district", "-1"), ("cf-cluster", "0"), ("cf-cluster", "-1"),
                                 ("cf-min", "5"), ("cf-min", "1"), ("cf-from", "2022-03-15"), ("cf-from", "2022-03-01")):
                filters.append(_timed(pg, f"const e = document.getElementById('{field}'); e.value = '{value}'; "
                                          "e.dispatchEvent(new Event('change'))"))
            for start, end in ((20, 60), (40, 90), (0, 100)):
                pans.append(_timed(pg, f"{graph}.dispatchAction({{type: 'dataZoom', dataZoomIndex: 0, "
                                       f"start: {start}, end: {end}}})"))
        out["chains first render"] = firsts
        out["chains filter (graph, timeline, table)"] = filters
        out["chains pan / zoom"] = pans
        out["chains cases shown"] = [float(pg.locator("#cf-n-cases").inner_text())]
        browser.close()
    if errors:
        raise SystemExit(f"page errors: {errors[:3]}")
    return out


def _server_times(base_url: str) -> dict[str, tuple[float, float]]:
    """Each data request warm (the second of two), in ms and KB."""
    import httpx

    out = {}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        token = client.post("/api/auth/token", json={"username": "bench-admin", "password": PASSWORD}).json()
        head = {"Authorization": f"Bearer {token['access_token']}"}
        for url in SERVER_URLS:
            client.get(url, headers=head)
            t = time.perf_counter()
            r = client.get(url, headers=head)
            if r.status_code == 404:   # another commit without this request
                continue
            assert r.status_code == 200, (url, r.status_code)
            out[url] = ((time.perf_counter() - t) * 1000, len(r.content) / 1024)
    return out


SERVER_URLS = ("/chains", "/chains/data.json", "/map/boundaries.json?level=district", "/map/zones.json",
               "/map/venues.json", "/map")


def _serve_baseline(checkout: Path, port: int):
    """The same store served by the code of another checkout (its own fangkong first on sys.path)."""
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(checkout.resolve()))
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "fangkong.api:app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning"], cwd=checkout, env=env)
    import httpx

    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the baseline server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--contacts", type=int, default=10, help="close contacts per case")
    ap.add_argument("--persons", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where the store is built (wiped first)")
    ap.add_argument("--keep", action="store_true", help="measure the store a previous run built in --dir again")
    ap.add_argument("--serve", action="store_true", help="only serve the store (to look at it) until interrupted")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="a checkout of another commit (same schema): its server on the same store is measured too, "
                         "rounds alternating, and each figure's ratio printed")
    args = ap.parse_args()
    if args.persons < args.cases * 2:
        raise SystemExit("--persons must be at least twice --cases (cases and their contacts are persons)")
    folder = args.dir or OUT / f"map-chains-{args.cases}"
    keep = args.keep and (folder / "fangkong.db").is_file()
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    page_store(folder)

    t0 = time.perf_counter()
    built = "kept the store of a previous run" if keep else "built " + build(folder, args.persons, args.cases, args.contacts)
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.2f}; store: SQLite; {built} in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    srv, base_url = serve_api()
    servers = {"this": base_url}
    if args.serve:
        print(f"serving {servers['this']} (bench-admin / {PASSWORD}); Ctrl-C stops", flush=True)
        while True:
            time.sleep(3600)
    baseline = None
    if args.baseline:
        bport = free_port()
        baseline = _serve_baseline(args.baseline, bport)
        servers["baseline"] = f"http://127.0.0.1:{bport}"
    try:
        for name, url in servers.items():
            for path, (ms, kb) in _server_times(url).items():
                print(f"server {name:8} {path:40} {ms:8.0f} ms  {kb:8.0f} KB", flush=True)
        figures: dict[str, dict[str, list[float]]] = {name: {} for name in servers}
        for _ in range(args.repeat):   # rounds alternate between the servers
            for name, url in servers.items():
                for key, values in measure(url, 1).items():
                    figures[name].setdefault(key, []).extend(values)
    finally:
        if baseline is not None:
            baseline.terminate()
    for key in figures["this"]:
        value = _median(figures["this"][key])
        goal = " (goal < 2000 ms)" if "first render" in key else (" (goal < 200 ms)" if any(
            w in key for w in ("pan", "filter", "on/off", "zoom")) else "")
        unit = "" if "shown" in key else " ms"
        line = f"browser {key:42} {value:8.0f}{unit}{goal}"
        if "baseline" in figures and figures["baseline"].get(key):
            base = _median(figures["baseline"][key])
            line += f"   baseline {base:8.0f}{unit}, ratio {value / base:.2f}" if base == base and base else ""
        print(line, flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    srv.should_exit = True


if __name__ == "__main__":
    main()
