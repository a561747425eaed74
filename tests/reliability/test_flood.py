"""A hostile client over real HTTP: huge bodies, a flood that fills the public pool, the demo secret."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from clihelp import fk
from sqlalchemy import select, text
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.db.core import get_engine, request_limits, session_scope
from fangkong.settings import DEMO_SECRET, get_settings

#: a public route that reads the records without a sign-in (since the identities of issue 22, codes and two-code
#: checks need a citizen, a device or a user): a citizen's sign-in code asked for a phone nobody registered
NOBODY = {"phone": "13999999999"}


def _raw(base_url: str, head: str, body_parts: list[bytes]) -> bytes:
    """Send a request's head and some of its body on a raw socket; read the answer without sending the rest
    (a server that waited for the whole body would never answer: the socket time-out fails the test)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        for part in body_parts:
            sock.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/api/two-code-checks", "/api/scans", "/api/cases", "/api/auth/token"])
def test_a_200_mb_body_is_refused_from_its_length_at_once(server, path):  # noqa: F811
    # 200 MB announced, 20 bytes sent: the answer comes without the server waiting for the rest
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n")
    answer = _raw(str(server.base_url), head, [b'{"person_id": "P0001'])
    assert _status(answer) == 413, answer[:300]
    assert b"too large" in answer


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_a_chunked_body_is_counted_and_cut_off(server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FANGKONG_MAX_BODY", "100000")
    get_settings.cache_clear()
    # no Content-Length: 150 kB in chunks, and the closing chunk never sent
    chunk = b"x" * 10_000
    parts = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(15)]
    head = "POST /api/citizen/otp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           "Transfer-Encoding: chunked\r\n\r\n"
    answer = _raw(str(server.base_url), head, parts)
    assert _status(answer) == 413, answer[:300]
    # under the limit, the same route reads its body as before
    anon = server.anonymous()
    assert anon.post("/api/citizen/otp", json=NOBODY).status_code == 202


def _pools(monkeypatch, **values) -> None:
    """New pool bounds: the server reads them when it next makes its engines."""
    for k, v in values.items():
        monkeypatch.setenv(f"FANGKONG_{k.upper()}", str(v))
    get_settings.cache_clear()
    get_engine().dispose()
    get_engine.cache_clear()


@pytest.mark.parametrize("env", ["sqlite", "postgres"], indirect=True)
def test_a_full_public_pool_answers_503_at_once_and_staff_work_goes_on(server, monkeypatch):  # noqa: F811
    _pools(monkeypatch, public_pool_size=1, public_pool_timeout=0.2)
    anon = server.anonymous()
    assert anon.post("/api/citizen/otp", json=NOBODY).status_code == 202
    # a flood holds the public pool's one connection (taken here, in the server's process, as a route would)
    with request_limits(public=True, statement_timeout=0), session_scope() as held:
        held.execute(text("SELECT 1"))
        r = anon.post("/api/citizen/otp", json=NOBODY)
        assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1, r.text
        assert "busy" in r.json()["detail"]
        assert server.get("/api/cases").status_code == 200   # the staff pool is another
    assert anon.post("/api/citizen/otp", json=NOBODY).status_code == 202


@pytest.mark.parametrize("env", ["sqlite", "postgres"], indirect=True)
def test_a_full_staff_pool_is_503_not_500(server, monkeypatch):  # noqa: F811
    _pools(monkeypatch, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2)
    assert server.get("/api/cases").status_code == 200
    with session_scope() as held:
        held.execute(text("SELECT 1"))
        r = server.get("/api/cases")
        assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1, r.text
    assert server.get("/api/cases").status_code == 200


@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_a_read_past_its_statement_timeout_is_503(server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FANGKONG_STATEMENT_TIMEOUT", "0.3")
    get_settings.cache_clear()
    assert server.get("/api/cases").status_code == 200
    with get_engine().connect() as conn:   # another writer holds the case table: the read would wait for ever
        conn.execute(text('LOCK TABLE "case" IN ACCESS EXCLUSIVE MODE'))
        r = server.get("/api/cases")
        assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1, r.text
        conn.rollback()
    assert server.get("/api/cases").status_code == 200


#: a read that runs for seconds on SQLite (a recursive count), whatever the records
_SLOW = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) SELECT count(*) FROM c")


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_a_sqlite_read_past_its_statement_timeout_is_interrupted(env):
    """SQLite has no statement_timeout: a read's session interrupts its statement from a progress handler; a
    session without a time-out on the same pooled connection (a write, the CLI) runs as long as it needs."""
    from sqlalchemy.exc import OperationalError

    from fangkong.edge import overload

    engine = get_engine()   # the one engine of this store: its connections are reused below
    t0 = time.monotonic()
    with pytest.raises(OperationalError) as caught:
        with request_limits(public=False, statement_timeout=0.2), session_scope(engine) as s:
            s.execute(_SLOW, {"n": 3 * 10**7}).scalar()
    took = time.monotonic() - t0
    assert took < 3, f"the read ran {took:.1f} s past its 0.2 s time-out"
    assert overload(caught.value) == "5"   # the edge answers 503 + Retry-After
    # the next sessions on the pool's connections carry no time-out of the read before
    with session_scope(engine) as s:
        t0 = time.monotonic()
        assert s.execute(_SLOW, {"n": 2_000_000}).scalar() == 2_000_000
        assert time.monotonic() - t0 > 0.2, "the query is too fast to show the time-out is gone"
    with request_limits(public=False, statement_timeout=30), session_scope(engine) as s:
        assert s.execute(_SLOW, {"n": 1000}).scalar() == 1000   # a read within its time-out


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_a_slow_sqlite_read_is_503_with_retry_after(env, monkeypatch):
    """Through the edge guard as the app has it: a GET whose statement passes FANGKONG_STATEMENT_TIMEOUT."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from fangkong.edge import EdgeGuard

    monkeypatch.setenv("FANGKONG_STATEMENT_TIMEOUT", "0.2")
    get_settings.cache_clear()

    def slow(request):
        with session_scope() as s:
            return JSONResponse({"n": s.execute(_SLOW, {"n": int(request.query_params["n"])}).scalar()})

    app = Starlette(routes=[Route("/api/slow", slow)],   # the guard where the app has it, outermost but one
                    middleware=[Middleware(EdgeGuard, is_public=lambda method, path: False)])
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/slow", params={"n": 3 * 10**7})
        assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1, r.text
        assert "busy" in r.json()["detail"]
        assert client.get("/api/slow", params={"n": 100}).json() == {"n": 100}


def _guard():
    from fangkong.api import app
    from fangkong.edge import EdgeGuard

    layer = app.middleware_stack
    while not isinstance(layer, EdgeGuard):
        layer = layer.app
    return layer


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_public_requests_past_the_in_flight_cap_are_503_at_once(server, monkeypatch):  # noqa: F811
    _pools(monkeypatch, public_pool_size=1, public_pool_timeout=30, public_max_inflight=1)
    anon = server.anonymous()
    with request_limits(public=True, statement_timeout=0), session_scope() as held:
        held.execute(text("SELECT 1"))
        with ThreadPoolExecutor(1) as pool:
            # this one waits in the server for the held connection…
            first = pool.submit(anon.post, "/api/citizen/otp", json=NOBODY)
            for _ in range(600):
                if _guard().inflight == 1:
                    break
                time.sleep(0.05)
            # …so the next is refused at once, not queued behind it
            r = anon.get("/api/persons/nobody/code")
            assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
            assert server.get("/api/cases").status_code == 200   # staff routes have no such cap
            held.rollback()
            held.close()
            assert first.result().status_code == 202
    assert anon.get("/api/persons/nobody/code").status_code == 401


@pytest.mark.parametrize("secret", [DEMO_SECRET, "short-but-not-the-demo"])
def test_serve_refuses_the_demo_secret_outside_demo_mode(sqlite_env, monkeypatch, secret):
    monkeypatch.setenv("FANGKONG_SECRET_KEY", secret)
    monkeypatch.delenv("FANGKONG_DEMO", raising=False)
    get_settings.cache_clear()
    r = fk("serve", "--port", "1")   # would bind port 1 and fail differently if it got that far
    assert r.exit_code == 2, r.output
    assert "FANGKONG_SECRET_KEY" in r.output and "refusing to start" in r.output
    # the app itself refuses too, however it is served (uvicorn fangkong.api:app, a process manager)
    with pytest.raises(RuntimeError, match="FANGKONG_SECRET_KEY"):
        _start_app()
    monkeypatch.setenv("FANGKONG_DEMO", "1")   # `fangkong demo` serves with it
    get_settings.cache_clear()
    _start_app()


def _start_app() -> None:
    """The app's start-up, on a thread of its own: in the full suite an earlier test (a browser driven through
    Playwright's sync API) can leave this thread inside a running event loop, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _lifespan()).result()


async def _lifespan() -> None:
    from fangkong.api import app, lifespan

    async with lifespan(app):
        pass


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_a_link_signed_with_the_demo_secret_is_refused_by_a_real_server(server, tmp_path):  # noqa: F811
    from builders.risk import traced_city

    from fangkong.kit.clikit import unit_of_work
    from fangkong.measures.checkins import service as checkins
    from fangkong.measures.models import Measure

    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        m = s.scalar(select(Measure).where(Measure.status == "active").limit(1))
        forged, real = checkins.link_for(m, DEMO_SECRET), checkins.link_for(m, get_settings().secret_key)
    anon = server.anonymous()
    assert anon.get(real).status_code == 200
    assert anon.get(forged).status_code in (403, 404), anon.get(forged).text


BENCH = Path(__file__).parents[2] / "bench"


def _bench(script: str, tmp_path: Path, *args: str) -> str:
    """A bench script at a tiny size, as a user runs it (its own process; no timings are checked)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    r = subprocess.run([sys.executable, str(BENCH / script), "--dir", str(tmp_path / "bench"), *args],
                       capture_output=True, text=True, env=env, timeout=900, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def test_the_flood_bench_runs_at_tiny_size(tmp_path):
    out = _bench("flood.py", tmp_path, "--seconds", "2", "--clients", "20", "--persons", "500", "--risk", "50",
                 "--baseline", "1")
    result = json.loads(out.strip().splitlines()[-1].removeprefix("RESULT "))
    assert result["alone"]["n"] > 0 and result["flooded"]["n"] > 0, out
    assert set(result["alone"]["statuses"]) == {"200"} and set(result["flooded"]["statuses"]) == {"200"}, out
    assert sum(result["flood"].values()) > 0 and "500" not in result["flood"], out
    assert result["one_port"] is False, out   # the flood on the public port, the commander on the staff's
    assert "5xx other" not in result["flood"], out
    for line in ("commander alone", "commander under the flood", "flood: 20 clients", "target"):
        assert line in out, out


def test_the_pages_bench_signs_in_and_runs_at_tiny_size(tmp_path):
    out = _bench("pages.py", tmp_path, "--persons", "2000", "--risk", "100", "--repeat", "1")
    assert "slowest page median" in out and "board page 40" in out, out
