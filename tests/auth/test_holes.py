"""The smaller holes of issue 22, each as a hostile client would try it over real HTTP (SQLite):
CSRF by the credential used, plausible times, the password policy, the lock-out, logout and revocation."""

from __future__ import annotations

import httpx
import pytest
from clihelp import fk
from test_api import make_user, server  # noqa: F401 - the live uvicorn fixture
from test_flow import city

from fangkong.auth import service as auth_service
from fangkong.kit.clikit import unit_of_work
from fangkong.settings import get_settings

EVIL = {"Origin": "https://evil.example"}


def _signed_in_by_cookie(server):  # noqa: F811
    anon = server.anonymous()
    r = anon.post("/login", data={"username": "admin", "password": "test-password"}, follow_redirects=False)
    assert r.status_code == 303 and anon.cookies.get(auth_service.SESSION_COOKIE)
    return anon


def test_a_junk_authorization_header_does_not_switch_csrf_off(server):  # noqa: F811
    """The cookie signs the request in, so the Origin check applies, whatever Authorization header rides along."""
    anon = _signed_in_by_cookie(server)
    body = {"username": "li-csrf", "password": "long-enough-1", "role": "analyst", "jurisdiction": "140105"}
    for junk in ("Basic Zm9vOmJhcg==", "Token abc", "x"):
        r = anon.post("/api/users", json=body, headers={**EVIL, "Authorization": junk})
        assert r.status_code == 403 and "another site" in r.json()["detail"], (junk, r.text)
    with unit_of_work() as s:
        assert not any(u.username == "li-csrf" for u in auth_service.list_users(s))
    # a bearer token that signs the request in is not a browser's ambient credential: no Origin check
    assert server.post("/api/users", json=body, headers=EVIL).status_code == 201


IMPLAUSIBLE = [
    ("post", "/api/cases", {"person_id": "P00001", "sampled_at": "9999-12-31T00:00:00+08:00"}),
    ("post", "/api/cases", {"person_id": "P00001", "sampled_at": "0001-01-01T00:00:00+08:00"}),
    ("post", "/api/cases", {"person_id": "P00001", "sampled_at": "2022-03-11T08:00:00+08:00",
                            "onset_date": "0001-01-01"}),
    ("post", "/api/zones/Z0001/rounds", {"day": "0001-01-01", "tested": 10, "positive": 0, "by": "x"}),
    ("post", "/api/testing/rounds", {"round_id": "R1", "name": "r", "start_date": "0001-01-01", "point_ids": []}),
    ("post", "/api/measures/1/extend", {"exposure_at": "0001-01-01T00:00:00+08:00"}),
    ("post", "/api/arrivals", {"person_id": "P00001", "arrived_at": "0001-01-01T00:00:00+08:00"}),
    ("get", "/api/audit?since=0001-01-01T00:00:00%2B08:00", None),
    ("get", "/api/tasks?at=9999-12-31T23:59:59%2B08:00", None),
    ("get", "/api/bulletin?day=0001-01-01", None),
]


@pytest.mark.parametrize("method,url,body", IMPLAUSIBLE)
def test_implausible_times_are_refused_with_422_never_500(server, tmp_path, method, url, body):  # noqa: F811
    """Year 1 at +08:00 cannot be converted to UTC (it used to answer 500); 9999 was stored as given."""
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = server.request(method, url, json=body)
    assert r.status_code == 422 and "implausible" in r.text, r.text


def test_the_cli_refuses_an_implausible_time(rollback_env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = fk("case", "declare", "P00001", "--sampled-at", "9999-12-31T08:00")
    assert r.exit_code != 0 and "implausible" in r.output, r.output
    assert fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00").exit_code == 0


@pytest.mark.parametrize("username,password,why", [
    ("zhang", "12345678", "at least 10 characters"),
    ("zhang", "password", "at least 10 characters"),
    ("zhang", "1qaz2wsx3edc", "common password"),
    ("zhang", "Password2024!", "common password"),
    ("zhangwei-01", "zhangwei-01", "username"),
    ("zhangwei", "ZhangWei-2022", "username"),
])
def test_weak_passwords_are_refused_on_create_and_change(server, username, password, why):  # noqa: F811
    r = server.post("/api/users", json={"username": username, "role": "analyst", "password": password})
    assert r.status_code == 422 and why in r.json()["detail"] and "密码" in r.json()["detail"], r.text
    assert server.post("/api/users", json={"username": username, "role": "analyst",
                                           "password": "plum-river-42"}).status_code == 201
    r = server.patch(f"/api/users/{username}", json={"password": password})
    assert r.status_code == 422 and why in r.json()["detail"], r.text
    # the old password still signs in: a refused change changed nothing
    assert server.anonymous().post("/api/auth/token", json={"username": username,
                                                            "password": "plum-river-42"}).status_code == 200


def test_the_cli_applies_the_same_policy(rollback_env):
    from clihelp import runner

    from fangkong.cli import app as cli
    r = runner.invoke(cli, ["users", "create", "zhao", "--role", "lab", "--password-stdin"], input="password123\n")
    assert r.exit_code == 1 and "common password" in r.output
    r = runner.invoke(cli, ["users", "create", "zhao", "--role", "lab", "--password-stdin"], input="plum-river-42\n")
    assert r.exit_code == 0, r.output


def _client_at(server, address: str) -> httpx.Client:  # noqa: F811
    """A client from another loopback address: another machine, as far as the server can tell."""
    return httpx.Client(base_url=server.base_url, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def _login(client: httpx.Client, password: str) -> int:
    return client.post("/api/auth/token", json={"username": "admin", "password": password}).status_code


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_an_attacker_cannot_lock_the_owner_out(server, monkeypatch):  # noqa: F811
    """11 wrong logins from one client refuse that client, not the account's owner elsewhere."""
    monkeypatch.setenv("FANGKONG_LOGIN_RATE_LIMIT", "0.001/s burst 10")
    get_settings.cache_clear()
    with _client_at(server, "127.0.0.2") as attacker, _client_at(server, "127.0.0.3") as owner:
        assert [_login(attacker, f"guess-{i}") for i in range(11)] == [403] * 10 + [429]
        assert _login(owner, "test-password") == 200
        assert _login(attacker, "test-password") == 429   # the attacker's client stays slowed


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_a_crowd_guessing_one_account_spares_a_client_that_signed_in_before(server, monkeypatch):  # noqa: F811
    """Many clients can drain the account-wide limit; the owner's client, which signed in before, still can."""
    monkeypatch.setenv("FANGKONG_LOGIN_RATE_LIMIT", "0.001/s burst 1")
    get_settings.cache_clear()
    with _client_at(server, "127.0.0.3") as owner:
        assert _login(owner, "test-password") == 200 and owner.cookies.get(auth_service.DEVICE_COOKIE)
        crowd = [_client_at(server, f"127.0.1.{i}") for i in range(1, 12)]
        try:
            codes = [_login(c, "guess") for c in crowd]
        finally:
            for c in crowd:
                c.close()
        assert codes[-1] == 429 and codes.count(403) == 9   # the owner's sign-in took one of ten
        with _client_at(server, "127.0.0.4") as stranger:   # a new client is refused while the crowd guesses
            assert _login(stranger, "test-password") == 429
        # the owner's device cookie, from another address (its first address spent its burst of 1)
        with _client_at(server, "127.0.0.5") as owner_elsewhere:
            owner_elsewhere.cookies.set(auth_service.DEVICE_COOKIE, owner.cookies.get(auth_service.DEVICE_COOKIE))
            assert _login(owner_elsewhere, "test-password") == 200
        # a forged device cookie proves nothing
        with _client_at(server, "127.0.0.6") as forger:
            forger.cookies.set(auth_service.DEVICE_COOKIE, "eyJ1IjoiYWRtaW4ifQ.forged.sig")
            assert _login(forger, "test-password") == 429


def test_logout_ends_the_session_at_once(server):  # noqa: F811
    """The same cookie, replayed after logout, signs nothing in (it used to stay valid for 12 hours)."""
    browser = _signed_in_by_cookie(server)
    cookie = browser.cookies.get(auth_service.SESSION_COOKIE)
    assert browser.get("/api/auth/me").json()["username"] == "admin"
    assert browser.post("/logout", follow_redirects=False).status_code == 303
    replay = server.anonymous()
    replay.cookies.set(auth_service.SESSION_COOKIE, cookie)
    assert replay.get("/api/auth/me").status_code == 401
    page = replay.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # a password change ends every other open session too
    other = _signed_in_by_cookie(server)
    assert server.patch("/api/users/admin", json={"password": "plum-river-42"}).status_code == 200
    assert other.get("/api/auth/me").status_code == 401


def test_a_bearer_token_is_listed_and_revoked(server):  # noqa: F811
    make_user("wu", "analyst", "140105")
    anon = server.anonymous()
    raw = anon.post("/api/auth/token", json={"username": "wu", "password": "test-password",
                                             "label": "nightly script"}).json()["access_token"]
    script = server.anonymous()
    script.headers["Authorization"] = f"Bearer {raw}"
    listed = script.get("/api/auth/tokens")
    assert listed.status_code == 200 and raw not in listed.text
    mine = next(t for t in listed.json() if t["label"] == "nightly script")
    assert mine["last_used_at"] and mine["expires_at"] and mine["revoked_at"] is None
    # one user cannot revoke another's token, nor see that it exists
    admin_tokens = server.get("/api/auth/tokens").json()
    assert script.delete(f"/api/auth/tokens/{admin_tokens[0]['id']}").status_code == 404
    assert server.get("/api/auth/me").status_code == 200
    # the token revokes itself: the next request with it is refused
    assert script.delete("/api/auth/token").status_code == 200
    assert script.get("/api/auth/me").status_code == 401
    # an admin revokes a token by id; the CLI too
    raw2 = anon.post("/api/auth/token", json={"username": "wu", "password": "test-password"}).json()["access_token"]
    assert mine["id"] not in {t["id"] for t in server.get("/api/auth/tokens").json()}  # the admin's own list
    with unit_of_work() as s:
        newest = auth_service.tokens_of(s, "wu")[0].id   # newest first
    assert server.delete(f"/api/auth/tokens/{newest}").status_code == 200
    assert server.anonymous().get("/api/auth/me", headers={"Authorization": f"Bearer {raw2}"}).status_code == 401
    raw3 = anon.post("/api/auth/token", json={"username": "wu", "password": "test-password"}).json()["access_token"]
    with unit_of_work() as s:
        third = auth_service.tokens_of(s, "wu")[0].id
    assert fk("users", "revoke-token", str(third)).exit_code == 0
    assert server.anonymous().get("/api/auth/me", headers={"Authorization": f"Bearer {raw3}"}).status_code == 401
    with unit_of_work() as s:
        assert len([e for e in auth_service.audit_entries(s, action="token.revoke")]) == 3


def test_a_drill_with_a_moved_clock_accepts_its_own_times(server, tmp_path, monkeypatch):  # noqa: F811
    """The plausible-time checks read the deployment's clock (FANGKONG_NOW), not the machine's: a drill set 10
    days ahead records its cases at its own hour, and refuses real times past its clock the same way."""
    from datetime import UTC, datetime, timedelta

    from clihelp import set_clock

    assert fk("import", city(tmp_path / "city")).exit_code == 0
    drill = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    set_clock(monkeypatch, drill.isoformat())
    sampled = (drill - timedelta(hours=2)).isoformat()
    r = server.post("/api/cases", json={"person_id": "P00001", "sampled_at": sampled})
    assert r.status_code == 201, r.text
    r = fk("case", "declare", "P00002", "--sampled-at", (drill - timedelta(hours=1)).isoformat())
    assert r.exit_code == 0, r.output
    # past the drill's clock + 1 day is as implausible as past the real clock's
    late = (drill + timedelta(days=3)).isoformat()
    r = server.post("/api/cases", json={"person_id": "P00003", "sampled_at": late})
    assert r.status_code == 422 and "implausible" in r.text, r.text
    # a drill set in the past refuses what lies after its own day
    set_clock(monkeypatch, "2022-03-14T12:00:00+08:00")
    r = server.post("/api/cases", json={"person_id": "P00004", "sampled_at": "2022-03-20T08:00:00+08:00"})
    assert r.status_code == 422 and "implausible" in r.text, r.text


def test_a_script_s_burst_reads_its_token_once_a_second(server, monkeypatch):  # noqa: F811
    """Users' bearer tokens are cached per process for service.TOKEN_CACHE_TTL: 20 requests in a burst read the
    token from the records once or twice, not 20 times; a revocation here ends the cached token at once."""
    from fangkong.auth import middleware

    reads = []
    real = auth_service.principal_for_token
    monkeypatch.setattr(auth_service, "principal_for_token", lambda *a, **k: reads.append(1) or real(*a, **k))
    raw = make_user("burst", "analyst", "140105")
    script = server.anonymous()
    script.headers["Authorization"] = f"Bearer {raw}"
    assert all(script.get("/api/auth/me").status_code == 200 for _ in range(20))
    assert 1 <= len(reads) <= 5, f"{len(reads)} look-ups for 20 requests"
    assert middleware._cached({"authorization": f"Bearer {raw}"}).username == "burst"
    assert script.delete("/api/auth/token").status_code == 200
    assert script.get("/api/auth/me").status_code == 401   # at once, though it was cached a moment ago


def _second_process(tmp_path):
    """Another server process on the same store (the env fixture's settings are in os.environ)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    log = open(tmp_path / "second.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "fangkong.api:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], stdout=log, stderr=log,
                            env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise AssertionError((tmp_path / "second.log").read_text())


# a second server process (its start imports the api: seconds): make test runs it, test-fast not
@pytest.mark.slow
@pytest.mark.both_stores
def test_a_revocation_in_one_process_is_honoured_by_another_within_the_cache_bound(server, tmp_path):  # noqa: F811
    """Two server processes on one store: a token cached by the second stops working there within
    TOKEN_CACHE_TTL (+ a request's time) after the first revokes it, and a disabled user's token likewise."""
    import time

    proc, url = _second_process(tmp_path)
    try:
        raw = make_user("two-procs", "analyst", "140105")
        with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {raw}"}) as other:
            assert all(other.get("/api/auth/me").status_code == 200 for _ in range(5))   # cached there now
            with unit_of_work() as s:
                mine = auth_service.tokens_of(s, "two-procs")[0].id
            assert server.delete(f"/api/auth/tokens/{mine}").status_code == 200   # revoked in this process
            revoked_at = time.monotonic()
            while other.get("/api/auth/me").status_code == 200:
                assert time.monotonic() - revoked_at < auth_service.TOKEN_CACHE_TTL + 1.0, "still accepted"
                time.sleep(0.05)
        raw2 = auth_service_token("two-procs")
        with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {raw2}"}) as other:
            assert other.get("/api/auth/me").status_code == 200
            assert server.patch("/api/users/two-procs", json={"active": False}).status_code == 200
            changed_at = time.monotonic()
            while other.get("/api/auth/me").status_code == 200:
                assert time.monotonic() - changed_at < auth_service.TOKEN_CACHE_TTL + 1.0, "still accepted"
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)


def auth_service_token(username: str) -> str:
    with unit_of_work() as s:
        return auth_service.issue_token(s, auth_service.get_user(s, username), label="again")
