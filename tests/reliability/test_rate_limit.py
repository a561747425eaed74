"""Rate limit of the public endpoints over real HTTP: the N+1-th request in a second is a 429, others go on."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from builders.identity import code_token, device_token
from clihelp import fk
from test_api import server  # noqa: F401 - the live uvicorn fixture
from test_flow import city

from fangkong.errors import InvalidInput
from fangkong.kit.ratelimit import RedisBucket, TokenBucket, parse_rate, proxy_options
from fangkong.settings import get_settings

BURST = 10


def limit(monkeypatch, value: str) -> None:
    monkeypatch.setenv("FANGKONG_RATE_LIMIT", value)
    get_settings.cache_clear()   # the server thread reads the settings per request


def burst(client: httpx.Client, n: int, method: str, url: str, **kw) -> tuple[list[httpx.Response], float]:
    t0 = time.monotonic()
    out = [client.request(method, url, **kw) for _ in range(n)]
    return out, time.monotonic() - t0


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_n_plus_first_request_is_429_and_another_client_is_not_limited(server, tmp_path, monkeypatch):  # noqa: F811
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    # one token every 5 s: the burst must be spent before one comes back, even on a loaded CI machine
    limit(monkeypatch, f"0.2/s burst {BURST}")
    rs, took = burst(server, BURST + 1, "GET", "/api/persons/P00001/code")
    assert took < 4.0, "the machine is too slow for a five-second window"
    assert [r.status_code for r in rs] == [200] * BURST + [429]
    assert int(rs[-1].headers["Retry-After"]) >= 1 and "too many requests" in rs[-1].json()["detail"]
    # the scans route shares the client's bucket: it is empty now (a venue's device on the same address)
    gate = {"Authorization": f"Bearer {device_token('venue', 'V1')}"}
    r = server.post("/api/scans", json={"code_token": code_token("P00001")}, headers=gate)
    assert r.status_code == 429 and r.headers["Retry-After"]
    other = httpx.Client(base_url=server.base_url, headers=server.headers,
                         transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with other:
        rs, _ = burst(other, 3, "POST", "/api/scans", json={"code_token": code_token("P00002")}, headers=gate)
        assert [r.status_code for r in rs] == [201] * 3
        assert other.get("/api/persons/P00002/code").status_code == 200
    time.sleep(5.05)   # one token in five seconds: the first client may go on
    assert server.get("/api/persons/P00001/code").status_code == 200
    limit(monkeypatch, "0")   # off
    rs, _ = burst(server, BURST + 5, "GET", "/api/persons/P00001/code")
    assert {r.status_code for r in rs} == {200}


def _serve(trusted: str):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config("fangkong.api:app", host="127.0.0.1", port=port, log_level="warning",
                                        **proxy_options(trusted)))   # as `fangkong serve` starts it
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    return srv, thread, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
@pytest.mark.parametrize("trusted,separate", [("", False), ("127.0.0.1", True)])
def test_forwarded_for_counts_only_from_a_trusted_proxy(server, monkeypatch, trusted, separate):  # noqa: F811
    limit(monkeypatch, "1/s burst 2")
    srv, thread, url = _serve(trusted)   # beside the fixture's server: same store, its credentials work here
    try:
        with httpx.Client(base_url=url, headers=server.headers, timeout=30) as c:
            codes = [c.get("/api/persons/nobody/code", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                     for i in range(4)]
    finally:
        srv.should_exit = True
        thread.join(10)
    assert 429 not in codes if separate else codes[2:] == [429, 429], codes


def test_bucket_arithmetic():
    now = [0.0]
    b = TokenBucket(2.0, 3, clock=lambda: now[0])
    assert [b.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take("a") == pytest.approx(0.5) and b.take("b") == 0.0
    now[0] = 0.5
    assert b.take("a") == 0.0 and b.take("a") > 0
    now[0] = 100.0
    assert [b.take("a") for _ in range(3)] == [0.0] * 3   # refills to the burst, no more
    assert b.take("a") > 0
    assert parse_rate("50/s burst 100") == (50.0, 100) and parse_rate("5/s") == (5.0, 5) and parse_rate("0") is None
    with pytest.raises(InvalidInput):
        parse_rate("fast")


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_login_attempts_are_limited_per_client(server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FANGKONG_LOGIN_RATE_LIMIT", "0.01/s burst 3")
    get_settings.cache_clear()
    anon = server.anonymous()
    wrong = [anon.post("/api/auth/token", json={"username": "admin", "password": f"guess-{i}"}) for i in range(4)]
    assert [r.status_code for r in wrong] == [403, 403, 403, 429]
    assert int(wrong[-1].headers["Retry-After"]) >= 1 and "too many login attempts" in wrong[-1].json()["detail"]
    # even the right password waits: the limit is on attempts, so guessing gains nothing
    assert anon.post("/api/auth/token", json={"username": "admin", "password": "test-password"}).status_code == 429
    # the login page answers the same, in the page's language
    page = anon.post("/login", data={"username": "admin", "password": "x"}, follow_redirects=False)
    assert page.status_code == 429 and "登录尝试过多" in page.text and page.headers["Retry-After"]
    # another client is not refused: one client's guesses never lock the account's owner out (the
    # account-wide limit needs a crowd: tests/auth/test_holes.py)
    other = httpx.Client(base_url=server.base_url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with other:
        assert other.post("/api/auth/token", json={"username": "admin", "password": "x"}).status_code == 403
        assert other.post("/api/auth/token", json={"username": "nobody", "password": "x"}).status_code == 403
    monkeypatch.setenv("FANGKONG_LOGIN_RATE_LIMIT", "0")
    get_settings.cache_clear()
    assert anon.post("/api/auth/token", json={"username": "admin", "password": "test-password"}).status_code == 200


def edge_routes() -> list[tuple[str, str]]:
    """Every route of the app that the edge guard limits (fangkong/edge.py), read from the app itself: a public
    route added later (the citizen sign-in, a device route) is probed without this list being edited."""
    from fastapi.routing import iter_route_contexts

    from fangkong.api import app
    from fangkong.auth.policy import is_public
    from fangkong.edge import is_edge

    out = []
    for rc in iter_route_contexts(app.routes):
        for method in sorted((getattr(rc.original_route, "methods", None) or set()) - {"HEAD"}):
            path = re.sub(r"\{[^}]+\}", "x1", rc.path)
            if is_edge(method, path, is_public):
                out.append((method, path))
    return sorted(set(out))


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_every_public_route_is_limited_per_client(server, monkeypatch):  # noqa: F811
    routes = edge_routes()
    assert {("POST", "/api/scans"), ("GET", "/api/persons/x1/code"), ("POST", "/api/two-code-checks"),
            ("POST", "/api/auth/token"), ("POST", "/login"), ("GET", "/checkin/x1"), ("GET", "/api/me/code"),
            ("POST", "/api/citizen/otp")} <= set(routes), routes
    limit(monkeypatch, f"0.01/s burst {BURST}")
    for i, (method, path) in enumerate(routes):
        # a client of its own per route (the bucket is per client, shared by the public routes)
        with httpx.Client(base_url=server.base_url, timeout=30,
                          transport=httpx.HTTPTransport(local_address=f"127.0.1.{i + 1}")) as c:
            codes = [c.request(method, path, json={}).status_code for _ in range(BURST + 1)]
            assert 500 not in codes and codes[-1] == 429, (method, path, codes)
            assert 429 not in codes[:BURST], (method, path, codes)
    # the staff routes are not counted: the admin goes on
    assert server.get("/api/cases").status_code == 200


REDIS_URL = os.environ.get("FANGKONG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.fail(f"the shared limiter needs Redis at {REDIS_URL} (FANGKONG_TEST_REDIS_URL): {exc}")


def test_two_processes_share_a_clients_bucket_through_redis():
    _redis_or_skip()
    prefix = f"fangkong-test:{uuid.uuid4().hex}:"   # this run's keys only
    # two limiters as two worker processes would hold them (each its own Redis connection)
    a, b = (RedisBucket(REDIS_URL, 0.01, 3, prefix=prefix) for _ in range(2))

    async def run() -> list[float]:
        return [await a.acquire("10.0.0.1"), await b.acquire("10.0.0.1"), await a.acquire("10.0.0.1"),
                await b.acquire("10.0.0.1"), await a.acquire("10.0.0.2")]

    waits = _run(run())
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 1 and waits[4] == 0.0, waits   # 3 in all, not 3 each


def _run(coro):
    """asyncio.run on a thread of its own: in the full suite the browser tests' Playwright (sync API) keeps the
    main thread inside a running event loop until the session ends, where asyncio.run refuses."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_a_redis_that_is_down_falls_back_to_counting_in_process(caplog):
    port = socket.socket()
    port.bind(("127.0.0.1", 0))   # a port nobody listens on
    down = RedisBucket(f"redis://127.0.0.1:{port.getsockname()[1]}/0", 0.01, 2)
    port.close()

    async def run() -> list[float]:
        return [await down.acquire("c") for _ in range(3)]

    with caplog.at_level(logging.WARNING, logger="fangkong.kit.ratelimit"):
        waits = _run(run())
    assert waits[:2] == [0.0, 0.0] and waits[2] > 1, waits   # still limited, by this process alone
    assert "counting in this process" in caplog.text


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_the_server_limits_through_redis(server, monkeypatch):  # noqa: F811
    _redis_or_skip()
    import redis

    monkeypatch.setenv("FANGKONG_REDIS_URL", REDIS_URL)
    limit(monkeypatch, f"0.01/s burst {BURST}")
    address = "127.0.2.1"
    redis.Redis.from_url(REDIS_URL).delete("fangkong:rate:" + address)
    with httpx.Client(base_url=server.base_url, timeout=30,
                      transport=httpx.HTTPTransport(local_address=address)) as c:
        codes = [c.get("/checkin/1.forged-link").status_code for _ in range(BURST + 1)]
    assert codes == [404] * BURST + [429], codes
    assert redis.Redis.from_url(REDIS_URL).exists("fangkong:rate:" + address)   # counted there, not here


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_login_buckets_are_shared_through_redis(server, monkeypatch):  # noqa: F811
    """With FANGKONG_REDIS_URL the login limits are counted in Redis like the public routes': a client that
    spent its guesses in one worker process is refused by the next one too (a process that has never seen it:
    here, this process's buckets forgotten), and the account-wide bucket is shared the same way."""
    _redis_or_skip()
    import redis

    from fangkong.kit import ratelimit

    shared = redis.Redis.from_url(REDIS_URL)
    address, user = "127.0.3.1", f"guessed-{uuid.uuid4().hex[:8]}"
    shared.delete(f"fangkong:login:client:{address}", f"fangkong:login:user:{user}")
    monkeypatch.setenv("FANGKONG_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("FANGKONG_LOGIN_RATE_LIMIT", "0.01/s burst 3")
    get_settings.cache_clear()

    def another_process() -> None:
        ratelimit._login_limiter.cache_clear()
        ratelimit._account_limiter.cache_clear()

    with httpx.Client(base_url=server.base_url, timeout=30,
                      transport=httpx.HTTPTransport(local_address=address)) as c:
        guess = lambda: c.post("/api/auth/token", json={"username": user, "password": "x"}).status_code  # noqa: E731
        codes = [guess() for _ in range(3)]
        another_process()
        codes.append(guess())
        page = c.post("/login", data={"username": user, "password": "x"}, follow_redirects=False)
    assert codes == [403, 403, 403, 429], codes
    assert page.status_code == 429 and page.headers["Retry-After"]
    assert shared.exists(f"fangkong:login:client:{address}")   # counted there, not here
    assert shared.exists(f"fangkong:login:user:{user}")
    # Redis down: each process counts alone, a login never fails for it
    monkeypatch.setenv("FANGKONG_REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    with httpx.Client(base_url=server.base_url, timeout=30,
                      transport=httpx.HTTPTransport(local_address="127.0.3.2")) as c:
        r = c.post("/api/auth/token", json={"username": "admin", "password": "test-password"})
    assert r.status_code == 200, r.text
