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
from common import OUT, machine, page_store, serve_api

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
    """Cases on persons 1..n_cases; a case after the first day is usually found as a close contact of a case one to
    four days earlier (its link), otherwise it has no known source. Each case has `contacts` close contacts."""
    from sqlalchemy import insert

    from fangkong.cases.models import Case
    from fangkong.contacts.models import RiskPerson

    days = 20
    day_of = sorted(min(days - 1, int(rng.expovariate(1 / 7))) if i else 0 for i in range(n_cases))
    declared = [base + timedelta(days=d, minutes=rng.randrange(600)) for d in day_of]
    order = sorted(range(n_cases), key=lambda i: declared[i])
    declared = [declared[i] for i in order]
    s.execute(insert(Case), [
        {"id": i + 1, "case_no": f"C{i + 1:06d}", "person_fk": i + 1, "status": "confirmed" if i % 3 else "asymptomatic",
         "sampled_at": declared[i] - timedelta(hours=6), "declared_at": declared[i], "traced_at": declared[i],
         "window_start": declared[i] - timedelta(days=4), "window_end": declared[i], "edition": "9"}
        for i in range(n_cases)])
    risks, rid = [], 0
    evidence = [{"kind": "venue", "via": "P0000001", "place": "V0000001", "start": "2022-03-13T12:00:00+08:00",
                 "end": "2022-03-13T12:30:00+08:00"}]
    sourced = 0
    for i in range(1, n_cases):
        earlier = [j for j in range(max(0, i - 400), i) if 1 <= (declared[i] - declared[j]).days <= 4]
        if earlier and rng.random() < 0.85:
            j = rng.choice(earlier)
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
    from fangkong.zones.models import Zone, ZonePlace

    zones, places, zid = [], [], 0
    for c in range(1, n_cases + 1, 20):
        v = rng.randrange(len(venue_ids))
        row, col = (int(x) for x in grid_id(float(lats[v]), float(lons[v])).split(":"))
        for level, refs in (("sealed", [("venue", venue_ids[v])]),
                            ("controlled", [("venue", venue_ids[rng.randrange(len(venue_ids))]) for _ in range(3)]),
                            ("precaution", [("grid", f"{row + dr}:{col + dc}") for dr in (-1, 0, 1) for dc in (-1, 0, 1)])):
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
    return statistics.median(values) if values else float("nan")


def measure(base_url: str, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        ctx = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 900})
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base_url) else r.abort())
        pg.goto("/login")
        pg.fill("input[name=username]", "bench-admin")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("#login-submit")
        pg.wait_for_load_state()
        firsts, pans, toggles = [], [], []
        for _ in range(repeat):
            pg.goto("/map")
            pg.wait_for_function("() => window.fkCityMap && window.fkMapTiming !== undefined", timeout=120_000)
            firsts.append(pg.evaluate("() => window.fkCityMap.ready.then(() => performance.now())"))
            for dx, dy in ((150, 0), (-80, 60), (0, -120)):
                pans.append(pg.evaluate(f"() => window.fkCityMap.pan({dx}, {dy}).then(() => window.fkMapTiming)"))
            for name in ("防范区", "防范区", "场所", "场所"):
                toggles.append(pg.evaluate(f"() => window.fkCityMap.toggle('{name}').then(() => window.fkMapTiming)"))
        out["map first render"] = _median(firsts)
        out["map pan"] = _median(pans)
        out["map layer on/off"] = _median(toggles)
        level = []
        for lv in ("community", "district"):
            level.append(pg.evaluate(f"() => {{ const t = performance.now(); return window.fkCityMap.setLevel('{lv}')"
                                     f".then(() => performance.now() - t); }}"))
        out["map boundary level (fetch + draw)"] = _median(level)

        firsts, filters, pans = [], [], []
        apply = """(set) => { const t = performance.now(); set(); return window.fkChainsApply()
                   .then(() => performance.now() - t); }"""
        for _ in range(repeat):
            pg.goto("/chains")
            pg.wait_for_function("() => window.fkChainsReady && window.fkChainsTiming !== undefined", timeout=120_000)
            firsts.append(pg.evaluate("() => window.fkChainsReady.then(() => performance.now())"))
            for step in ("document.getElementById('cf-district').value = '1'",
                         "document.getElementById('cf-district').value = '-1'",
                         "document.getElementById('cf-cluster').value = '0'",
                         "document.getElementById('cf-cluster').value = '-1'",
                         "document.getElementById('cf-min').value = '5'",
                         "document.getElementById('cf-min').value = '1'"):
                filters.append(pg.evaluate(f"() => ({apply})(() => {{ {step}; }})"))
            for start, end in ((20, 60), (40, 90), (0, 100)):
                pans.append(pg.evaluate(f"() => window.fkChainsView.pan({start}, {end}).then(() => window.fkChainsTiming)"))
        out["chains first render"] = _median(firsts)
        out["chains filter (graph, timeline, table)"] = _median(filters)
        out["chains pan / zoom"] = _median(pans)
        out["chains cases drawn"] = pg.evaluate("() => window.fkChainsView.shown.length")
        browser.close()
    if errors:
        raise SystemExit(f"page errors: {errors[:3]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--contacts", type=int, default=10, help="close contacts per case")
    ap.add_argument("--persons", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where the store is built (wiped first)")
    args = ap.parse_args()
    if args.persons < args.cases * 2:
        raise SystemExit("--persons must be at least twice --cases (cases and their contacts are persons)")
    folder = args.dir or OUT / f"map-chains-{args.cases}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    page_store(folder)
    import httpx

    t0 = time.perf_counter()
    built = build(folder, args.persons, args.cases, args.contacts)
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.2f}; store: SQLite; built {built} in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    srv, base_url = serve_api()
    with httpx.Client(base_url=base_url, timeout=120) as client:
        token = client.post("/api/auth/token", json={"username": "bench-admin", "password": PASSWORD}).json()
        head = {"Authorization": f"Bearer {token['access_token']}"}
        for url in ("/chains/data.json", "/map/boundaries.json?level=district", "/map/venues.json", "/map"):
            client.get(url, headers=head)
            t = time.perf_counter()
            r = client.get(url, headers=head)
            assert r.status_code == 200, (url, r.status_code)
            print(f"server {url:40} {(time.perf_counter() - t) * 1000:8.0f} ms  {len(r.content) / 1024:8.0f} KB")
    figures = measure(base_url, args.repeat)
    for name, value in figures.items():
        goal = " (goal < 2000 ms)" if "first render" in name else (" (goal < 200 ms)" if any(
            w in name for w in ("pan", "filter", "on/off")) else "")
        unit = "" if "drawn" in name else " ms"
        print(f"browser {name:42} {value:8.0f}{unit}{goal}")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    srv.should_exit = True


if __name__ == "__main__":
    main()
