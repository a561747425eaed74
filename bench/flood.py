"""Load test: anonymous clients flood the public routes while a commander works (issue 22).

`fangkong serve --public-port` (real HTTP: the staff's process and the public listener's process, as an office
open to the public runs it; --one-port: one process for everyone, as before) on a generated city; N anonymous
clients, each from its own loopback address (so the per-client rate limit alone cannot stop them: the bulkhead
must), send to the public port two-code checks and scans with forged tokens (half without a signature, half
with a wrong one), own-code reads with a forged citizen token, sign-in code requests for random phones, forged
check-in links and wrong logins as fast as the server answers, for --seconds. Meanwhile a commander (bearer
token, another process) reads GET /api/cases, /api/risk-persons and /api/bulletin in a loop on the staff port.
The same commander loop first runs alone for --baseline seconds: its latency with no flood is the yardstick.
Target: commander p99 < 1 s under the flood, and the flood gets 429/503 (or 401/404), never 500.

    .venv/bin/python bench/flood.py [--seconds 60] [--clients 200] [--persons 20000] [--risk 2000] [--one-port]

The last line is RESULT {json} (read by tests/reliability/test_flood.py, which runs this at a tiny size).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, free_port, machine, point_settings

COMMANDER_ROUTES = ["/api/cases", "/api/risk-persons?limit=100", "/api/bulletin?day=2022-03-14"]


def _up(url: str, proc: subprocess.Popen) -> bool:
    import httpx

    for _ in range(600):
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def _serve(folder: Path, env: dict, one_port: bool) -> tuple[subprocess.Popen, str, str]:
    """`fangkong serve`: the staff's URL and the public's (the same with --one-port)."""
    port, public_port = free_port(), free_port()
    exe = Path(sys.executable).parent / "fangkong"
    log = open(folder / "server.log", "w")  # noqa: SIM115 - kept open for the server's life
    command = [str(exe), "serve", "--port", str(port)]
    if not one_port:
        command += ["--public-port", str(public_port)]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    public = url if one_port else f"http://127.0.0.1:{public_port}"
    if _up(url, proc) and _up(public, proc):
        return proc, url, public
    proc.kill()
    raise SystemExit(f"fangkong serve did not start: see {folder / 'server.log'}")


def _commander(url: str, token: str, seconds: float, out) -> None:
    """One signed-in user reading the office's lists back to back (a process of its own: the flood's event loop
    must not delay its clock)."""
    import httpx

    rows = []
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as c:
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline:
            route = COMMANDER_ROUTES[i % len(COMMANDER_ROUTES)]
            i += 1
            t = time.perf_counter()
            try:
                status = c.get(route).status_code
            except httpx.TimeoutException:
                status = "time-out"
            rows.append((route, status, (time.perf_counter() - t) * 1000))
    out.put(rows)


def _run_commander(url: str, token: str, seconds: float):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_commander, args=(url, token, seconds, q))
    p.start()
    return p, q


def _address(i: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}"


async def _exchange(conn: list, address: str, host: str, port: int, method: str, path: str,
                    body: bytes | None, bearer: str | None) -> int:
    """One request on the client's keep-alive connection (reopened when the server closed it): a raw HTTP/1.1
    exchange, so that 200 clients cost the flooding process little CPU (the server is what is measured)."""
    if conn[0] is None:
        conn[0] = await asyncio.open_connection(host, port, local_addr=(address, 0))
    reader, writer = conn[0]
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if bearer:
        head += f"Authorization: Bearer {bearer}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + (body or b""))
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed by the server")
    length, chunked, close = 0, False, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while size := int((await reader.readline()).strip() or b"0", 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    if close:
        writer.close()
        conn[0] = None
    return int(status_line.split()[1])


async def _flood_client(i: int, url: str, deadline: float, persons: list[str], counts: Counter,
                        latencies: dict, addresses: int) -> None:
    rng = random.Random(i)
    host, port = url.removeprefix("http://").split(":")
    address, conn = _address(i % addresses), [None]
    while time.monotonic() < deadline:
        kind = rng.random()
        # no such token: one in the old shape (no signature), one in the signed shape with a wrong signature
        forged = (f"fk_{rng.getrandbits(128):032x}" if rng.random() < 0.5 else
                  f"fk_{rng.getrandbits(256):064x}.{rng.getrandbits(128):032x}")
        if kind < 0.3:
            req = ("POST", "/api/two-code-checks", json.dumps({"code_token": forged}).encode(), None)
        elif kind < 0.5:
            req = ("GET", "/api/me/code", None, forged)
        elif kind < 0.7:
            req = ("POST", "/api/scans", json.dumps({"code_token": forged}).encode(), forged)
        elif kind < 0.8:
            req = ("POST", "/api/citizen/otp", json.dumps({"phone": f"139{rng.randrange(10**8):08d}"}).encode(),
                   None)
        elif kind < 0.9:
            req = ("GET", f"/checkin/{rng.randrange(10**6)}.forged-signature", None, None)
        else:
            req = ("POST", "/api/auth/token",
                   json.dumps({"username": f"u{rng.randrange(1000)}", "password": "guess-123456"}).encode(), None)
        t = time.perf_counter()
        try:
            s = await asyncio.wait_for(_exchange(conn, address, host, int(port), *req), 10)
        except TimeoutError:
            counts["time-out"] += 1
            conn[0] = None
            continue
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            counts["connection error"] += 1
            conn[0] = None
            await asyncio.sleep(0.01)
            continue
        key = "2xx" if s < 300 else str(s) if s in (429, 503, 500) else "5xx other" if s >= 500 else "4xx other"
        counts[key] += 1
        latencies.setdefault(key, []).append((time.perf_counter() - t) * 1000)
    if conn[0] is not None:
        conn[0][1].close()


async def _flood(url: str, clients: int, seconds: float, persons: list[str], addresses: int):
    counts: Counter = Counter()
    latencies: dict[str, list[float]] = {}
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_flood_client(i, url, deadline, persons, counts, latencies, addresses)
                           for i in range(clients)))
    return counts, {k: round(statistics.median(v), 1) for k, v in latencies.items()}


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _summary(rows: list) -> dict:
    ms = sorted(r[2] for r in rows)
    if not ms:
        return {"n": 0}
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"n": len(ms), "p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
            "max": round(ms[-1], 1), "statuses": dict(Counter(str(r[1]) for r in rows)),
            "max_by_route": {route: round(max(r[2] for r in rows if r[0] == route), 1)
                             for route in sorted({r[0] for r in rows})}}


def _line(name: str, s: dict) -> str:
    if not s["n"]:
        return f"{name}: no request finished"
    return (f"{name}: {s['n']} requests, p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, p99 {s['p99']:.0f} ms, "
            f"max {s['max']:.0f} ms; statuses {s['statuses']}; slowest by route "
            + ", ".join(f"{k} {v:.0f} ms" for k, v in s["max_by_route"].items()))


def _warm(url: str, persons: list[str]) -> None:
    """One request of each kind first, from an address of its own: the first use of a route imports and builds
    what it needs (pydantic schemas, the lake's writer, pandas) for seconds on a busy machine, once per server
    process; the figures are the steady state (the cold start is in bench/RESULTS.md)."""
    import httpx

    with httpx.Client(base_url=url, timeout=120, transport=httpx.HTTPTransport(local_address="127.2.0.1")) as c:
        forged = {"Authorization": "Bearer fk_forged-for-the-warm-up"}
        for _ in range(3):
            c.post("/api/two-code-checks", json={"code_token": "forged-token"})
            c.get("/api/me/code", headers=forged)
            c.post("/api/scans", json={"code_token": "forged-token"}, headers=forged)
        c.post("/api/citizen/otp", json={"phone": "13900000000"})
        c.get("/checkin/1.forged-signature")
        c.post("/api/auth/token", json={"username": "nobody", "password": "guess-123456"})
    time.sleep(2)


def build(persons: int, risk: int) -> str:
    """The city (bench/pages.py's generator) and a commander with a token."""
    from pages import build as build_city

    from fangkong.auth import service as auth_service
    from fangkong.db.migrate import upgrade
    from fangkong.db.scope import acting_as
    from fangkong.kit.clikit import unit_of_work
    from fangkong.settings import get_settings

    upgrade(get_settings().database_url)
    build_city(persons, risk)
    with unit_of_work() as s:
        with acting_as(s, "bench"):
            user = auth_service.create_user(s, "flood-commander", role="commander", password="flood-" + "x9Q" * 8)
        return auth_service.issue_token(s, user, label="bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="length of the flood")
    ap.add_argument("--clients", type=int, default=200, help="anonymous flooding clients")
    ap.add_argument("--addresses", type=int, default=0,
                    help="distinct client addresses (default: one per client; 1 = all from one address)")
    ap.add_argument("--baseline", type=float, default=0, help="seconds of the commander alone (default: ¼ of "
                                                               "--seconds, at most 15)")
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--risk", type=int, default=2_000)
    ap.add_argument("--dir", type=Path, default=None, help="where the city is built (wiped first)")
    ap.add_argument("--one-port", action="store_true",
                    help="one listener for everyone, as before the public port (default: `fangkong serve "
                         "--public-port`, the flood on the public port, the commander on the staff's)")
    args = ap.parse_args()
    addresses = args.addresses or args.clients
    baseline = args.baseline or min(15.0, args.seconds / 4)
    folder = args.dir or OUT / f"flood-{args.persons}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    point_settings(folder)
    os.environ["FANGKONG_DEMO"] = "1"   # a generated city: the demo secret is fine here
    t0 = time.perf_counter()
    token = build(args.persons, args.risk)
    print(f"machine: {machine()}; store: SQLite; built {args.persons:,} persons, {args.risk:,} risk persons "
          f"in {time.perf_counter() - t0:.0f} s; server: fangkong serve "
          + ("on one port (one process)" if args.one_port else "--public-port (a staff process and a public one)")
          + f"; load average {_load()}", flush=True)
    persons = [f"P{i:07d}" for i in range(args.persons)]
    proc, url, public = _serve(folder, dict(os.environ), args.one_port)
    try:
        _warm(public, persons)
        p, q = _run_commander(url, token, baseline)
        alone = _summary(q.get())
        p.join()
        print(_line(f"commander alone ({baseline:.0f} s)", alone), flush=True)
        p, q = _run_commander(url, token, args.seconds)
        t = time.perf_counter()
        counts, medians = asyncio.run(_flood(public, args.clients, args.seconds, persons, addresses))
        took = time.perf_counter() - t
        flooded = _summary(q.get())
        p.join()
    finally:
        proc.terminate()
        proc.wait(30)
    total = sum(counts.values())
    print(_line(f"commander under the flood ({args.seconds:.0f} s)", flooded))
    print(f"load average at the end: {_load()}")
    ratio = flooded["p99"] / alone["p99"] if flooded["n"] and alone["n"] and alone["p99"] else None
    print(f"commander p99 flooded / alone: {ratio:.1f}x" if ratio else "commander p99 ratio: n/a")
    print(f"flood: {args.clients} clients from {addresses} addresses, {total:,} answers in {took:.0f} s "
          f"({total / took:,.0f}/s): " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    print("flood median ms by answer: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(medians.items())))
    commander_500 = sum(v for k, v in flooded.get("statuses", {}).items() if k.startswith("5") and k != "503")
    met = (flooded["n"] > 0 and flooded["p99"] < 1000 and counts["500"] == 0 and counts["5xx other"] == 0
           and commander_500 == 0)
    print(f"target (commander p99 < 1 s, no 500 anywhere): {'met' if met else 'NOT met'}")
    print("RESULT " + json.dumps({"alone": alone, "flooded": flooded, "ratio": ratio, "flood": dict(counts), "flood_median_ms": medians,
                                  "clients": args.clients, "addresses": addresses, "seconds": args.seconds,
                                  "one_port": args.one_port, "load": _load(),
                                  "met": met}))


if __name__ == "__main__":
    main()
