"""The smaller holes of issue 22, each as a hostile client would try it over real HTTP, on both stores:
CSRF by the credential used, plausible times, the password policy, the lock-out, logout and revocation."""

from __future__ import annotations

import pytest
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.auth import service as auth_service
from fangkong.clikit import unit_of_work

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
