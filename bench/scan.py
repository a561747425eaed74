"""Benchmark: the busiest endpoints over loopback with wrk, next to a bare FastAPI endpoint served the same way in
the same run: a venue's device scanning a health code (POST /api/scans), a citizen reading their own code (GET
/api/me/code), staff reading a person's code (GET /api/persons/{id}/code). Goal: ≥ 50 % of the bare throughput,
p99 < 20 ms.

    .venv/bin/python bench/scan.py [--persons 20000] [--seconds 10] [--connections 8]

Each server is one uvicorn worker (as `fangkong serve` runs); wrk runs with one thread beside it on the
same 2 cores. wrk's connections all come from one address, so a real per-client rate limit would refuse
most of them: the servers run with `--rate-limit` (default a limit no run reaches, so the bucket's cost is
measured but it never refuses; `--rate-limit 0` turns it off, FANGKONG_RATE_LIMIT). Each request draws a person from `--people` chosen at random (a gate's population) and a
venue device from `--devices` (each bound to its own venue). A scan carries the device's token and the person's
code token (minted here with the deployment's secret, valid an hour: a phone refreshes every 3 minutes); a
citizen's read carries that citizen's token (`--citizens` accounts), a staff read a commander's. Before
measuring, each person's code is asked for once, so the run shows the steady state of the code cache; the cost
of a miss is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, free_port, machine, point_settings

ROOT = Path(__file__).resolve().parent.parent

_LUA = """
local persons = {%(persons)s}
local tokens = {%(tokens)s}
local devices = {%(devices)s}
local citizens = {%(citizens)s}
local staff = "%(staff)s"
math.randomseed(%(seed)d)
request = function()
  local i = math.random(#persons)
  local p = persons[i]
  %(body)s
end
"""
_SCAN = """local d = devices[math.random(#devices)]
  return wrk.format("POST", "/api/scans", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. d},
                    '{"code_token":"' .. tokens[i] .. '"}')"""
_CODE = """return wrk.format("GET", "/api/persons/" .. p .. "/code", {["Authorization"] = "Bearer " .. staff})"""
_ME = """return wrk.format("GET", "/api/me/code", {["Authorization"] = "Bearer " .. citizens[(i - 1) % #citizens + 1]})"""
_BARE = """return wrk.format("GET", "/bare")"""


def _serve(app: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/api/health", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server {app} did not start")


def _wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(re.search(rf"^\s+{p}%\s+(\S+)", out, re.MULTILINE).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"], "non2xx": int(errors.group(1)) if errors else 0,
            "requests": total}


def _warm(url: str, persons: list[str], ids: dict) -> float:
    """Ask once for each person's code (fills the server's cache); returns the mean ms of such a miss."""
    t0 = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/api/scans", json={"code_token": ids["tokens"][0]},
                    headers={"Authorization": f"Bearer {ids['devices'][0]}"}).raise_for_status()
        for p in persons:
            client.get(f"/api/persons/{p}/code", headers={"Authorization": f"Bearer {ids['staff']}"}).raise_for_status()
    return (time.perf_counter() - t0) * 1000 / (len(persons) + 1)


def _identities(persons: list[str], venues: list[str], *, devices_n: int, citizens_n: int) -> dict:
    """Device tokens at the first venues, code tokens of the persons, citizen accounts of the first persons, a
    commander's token (the whole city). Citizens' users are written directly (no argon2 hash per account: they
    sign in by code, and hashing a thousand passwords would take the bench a minute)."""
    from datetime import timedelta as td

    from sqlalchemy import select

    from fangkong.auth import service as auth_service
    from fangkong.auth.devices import service as devices
    from fangkong.auth.models import User
    from fangkong.codes.tokens import make_token
    from fangkong.db.core import utcnow
    from fangkong.db.scope import acting_as
    from fangkong.kit.clikit import unit_of_work
    from fangkong.people.models import Person
    from fangkong.settings import get_settings

    secret, now = get_settings().secret_key, utcnow()
    out = {"tokens": [make_token(p, secret=secret, now=now, ttl=td(hours=1))[0] for p in persons]}
    with unit_of_work() as s:
        with acting_as(s, "bench"):
            out["devices"] = [devices.issue_device(s, kind="venue", venue_id=v, label="bench")[1]
                              for v in venues[:devices_n]]
            staff = auth_service.create_user(s, "bench", role="commander", password="quiet-lantern-42")
        out["staff"] = auth_service.issue_token(s, staff, label="bench")
        fks = {p: fk for p, fk in s.execute(select(Person.person_id, Person.id).where(
            Person.person_id.in_(persons[:citizens_n])))}
        users = [User(username=f"citizen-{p}", password_hash="!", role="citizen", jurisdiction="", active=True,
                      created_by="bench", person_fk=fks[p]) for p in persons[:citizens_n]]
        s.add_all(users)
        s.flush()
        out["citizens"] = [auth_service.issue_token(s, u, label="bench") for u in users]
    return out


def _stored_scans(folder: Path) -> int:
    """Venue-visit rows the scans added to the lake: the rows of the commits of scan flushes (lake.append)."""
    from fangkong.lake import store

    dt = store.open_table(folder / "lake", "venue_visits", fresh=True)
    if dt is None:
        return 0
    return sum(int((h.get("operationMetrics") or {}).get("num_added_rows", 0)) for h in dt.history()
               if h.get("fangkong.writer") == "scan")


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _city(folder: Path, persons: int) -> tuple[list[str], list[str]]:
    """Generate and import a city, run its index case (trace, measures, codes, zones approved)."""
    from fangkong import flows, importer
    from fangkong.cases import service as case_service
    from fangkong.db.core import utcnow
    from fangkong.db.migrate import upgrade
    from fangkong.db.scope import acting_as
    from fangkong.kit.clikit import unit_of_work
    from fangkong.protocol.edition import load_edition
    from fangkong.settings import get_settings
    from fangkong.sim.city import generate_city
    from fangkong.zones import service as zone_service

    settings = get_settings()
    s = generate_city(folder / "city", persons=persons, days=3, seed=7)
    upgrade(settings.database_url)
    importer.import_folder(unit_of_work, settings, folder / "city")
    with unit_of_work() as session:
        # the case is declared now, so that its measures and zones are live while the benchmark runs
        now = utcnow()
        case = case_service.declare_case(session, s.index_person_id, sampled_at=s.index_sampled_at,
                                         isolated_at=s.index_sampled_at + timedelta(hours=6), now=now)
        r = flows.respond(session, settings, case, now=now)
        for z in r.zones.created:
            with acting_as(session, "bench"):
                zone_service.approve(session, z, edition=load_edition(settings.edition), tz=settings.zone, now=now)
    import pyarrow.csv as pc

    persons_ids = pc.read_csv(folder / "city" / "persons.csv").column("person_id").to_pylist()
    venue_ids = pc.read_csv(folder / "city" / "venues.csv").column("venue_id").to_pylist()
    return persons_ids, venue_ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=5, help="length of one run")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved runs per endpoint (medians reported)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--people", type=int, default=2000, help="distinct people scanning during the run")
    ap.add_argument("--devices", type=int, default=50, help="venue devices scanning (one venue each)")
    ap.add_argument("--citizens", type=int, default=500, help="citizens reading their own code")
    ap.add_argument("--rate-limit", default="1000000/s burst 1000000",
                    help="FANGKONG_RATE_LIMIT of the server: on but never reached by default, 0 = off")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    folder = OUT / f"scan-{args.persons}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    point_settings(folder)
    persons, venues = _city(folder, args.persons)
    rng = random.Random(7)
    chosen = rng.sample(persons, min(len(persons), args.people))
    ids = _identities(chosen, venues, devices_n=args.devices, citizens_n=args.citizens)
    quoted = lambda xs: ", ".join(f'"{x}"' for x in xs)
    scripts = {}
    for name, body in (("scan", _SCAN), ("code", _CODE), ("me", _ME), ("bare", _BARE)):
        path = folder / f"{name}.lua"
        path.write_text(_LUA % {"persons": quoted(chosen), "tokens": quoted(ids["tokens"]),
                                "devices": quoted(ids["devices"]), "citizens": quoted(ids["citizens"]),
                                "staff": ids["staff"], "seed": 7, "body": body})
        scripts[name] = path
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent), FANGKONG_RATE_LIMIT=args.rate_limit,
               FANGKONG_DEMO="1")   # a synthetic city: the demo secret is fine
    servers = {"bare": _serve("bare_app:app", env), "fangkong": _serve("fangkong.api:app", env)}
    try:
        miss = _warm(servers["fangkong"][1], chosen, ids)   # steady state: the gate population is cached
        url = {"bare": servers["bare"][1], "scan": servers["fangkong"][1], "me": servers["fangkong"][1],
               "code": servers["fangkong"][1]}
        scans = 1   # the warm-up's own
        for name in url:   # warm-up: connections, allocator
            w = _wrk(url[name], scripts[name], 2, args.connections)
            scans += w["requests"] - w["non2xx"] if name == "scan" else 0
        # the machine may be shared: interleave short runs and keep the median of each endpoint
        runs: dict[str, list[dict]] = {name: [] for name in url}
        for _ in range(args.rounds):
            for name in url:
                runs[name].append(_wrk(url[name], scripts[name], args.seconds, args.connections))
        scans += sum(r["requests"] - r["non2xx"] for r in runs["scan"])
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(30)
    results = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}
    bare = results["bare"]["rps"]
    print(f"{machine()}; wrk -t1 -c{args.connections}, {args.rounds} interleaved runs of {args.seconds} s each, "
          f"medians; city {args.persons:,} persons; one uvicorn worker per server, SQLite records; "
          f"rate limit {args.rate_limit!r}")
    print(f"{'endpoint':<38}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}{'non-2xx':>9}")
    labels = {"bare": "GET /bare (bare FastAPI, baseline)", "scan": "POST /api/scans (device)",
              "me": "GET /api/me/code (citizen)", "code": "GET /api/persons/{id}/code (staff)"}
    for name, r in results.items():
        print(f"{labels[name]:<38}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['rps'] / bare:>8.0%}"
              f"{r['non2xx']:>9}")
    print(f"scans answered 201: {scans:,} by wrk's count (it leaves out requests in flight when a run stops); "
          f"rows in the lake once the server stopped: {_stored_scans(folder):,}")
    print(f"cache filled before the runs: {len(chosen):,} people, {miss:.2f} ms per miss (one request at a time: "
          "the cost of a first scan by someone not yet cached)")


if __name__ == "__main__":
    main()
