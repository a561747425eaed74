"""Signed credentials: a forged token, device token or session cookie is refused on the event loop, without a
look-up in the records; an unknown one is looked up once; on the public listener an unsigned one is refused."""

from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_api import LiveApp, make_user, server  # noqa: F401 - the live uvicorn fixture

from fangkong.auth import credentials, middleware
from fangkong.auth.models import ApiToken, User
from fangkong.kit.clikit import unit_of_work
from fangkong.settings import get_settings


@pytest.fixture
def lookups(monkeypatch):
    """Every look-up of a credential in the records, as (kind, credential)."""
    seen: list[tuple[str, str]] = []
    real = middleware._resolve

    def counted(kind: str, raw: str):
        seen.append((kind, raw))
        return real(kind, raw)

    monkeypatch.setattr(middleware, "_resolve", counted)
    return seen


def test_a_minted_credential_is_signed_and_any_change_forges_it(sqlite_env, monkeypatch):
    raw = credentials.mint("fk_")
    assert raw.startswith("fk_") and credentials.signature(raw) == credentials.SIGNED
    body, _, sig = raw.rpartition(".")
    assert credentials.signature(body + "x." + sig) == credentials.FORGED
    assert credentials.signature(body + "." + sig[:-1] + ("A" if sig[-1] != "A" else "B")) == credentials.FORGED
    assert credentials.signature(body) == credentials.UNSIGNED
    assert credentials.signature("." + sig) == credentials.FORGED
    monkeypatch.setenv("FANGKONG_SECRET_KEY", "another-secret-of-this-deployment-0123456789")
    get_settings.cache_clear()
    assert credentials.signature(raw) == credentials.FORGED   # a new secret: every credential made before ends


@given(st.text(max_size=120))
def test_no_guess_passes_the_signature(raw):
    assert credentials.signature(raw) in (credentials.UNSIGNED, credentials.FORGED)


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_forged_credentials_are_401_without_a_look_up(server, lookups):  # noqa: F811
    anon = server.anonymous()
    assert server.get("/api/cases").status_code == 200 and len(lookups) == 1   # a real token is looked up
    forged = [f"fk_{secrets.token_urlsafe(32)}.{secrets.token_urlsafe(16)}",
              f"fkd_{secrets.token_urlsafe(32)}.{secrets.token_urlsafe(16)}",
              "fk_.", "."]
    for token in forged:
        for method, path in (("GET", "/api/cases"), ("GET", "/api/me/code"), ("POST", "/api/scans"),
                             ("POST", "/api/two-code-checks")):
            r = anon.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
            assert r.status_code == 401, (token, path, r.text)
    forged_cookie = f"s_{secrets.token_urlsafe(32)}.{secrets.token_urlsafe(16)}"
    r = httpx.get(str(server.base_url) + "/api/cases", cookies={"fangkong_session": forged_cookie})
    assert r.status_code == 401
    # and no credentials at all: no look-up either
    assert anon.post("/api/two-code-checks", json={"code_token": "x"}).status_code == 401
    assert len(lookups) == 1, lookups


def _legacy_token(username: str) -> str:
    """A token as they were made before signatures (fk_ + random, its hash in the records)."""
    raw = "fk_" + secrets.token_urlsafe(32)
    with unit_of_work() as s:
        user = s.query(User).filter_by(username=username).one()
        s.add(ApiToken(token_hash=hashlib.sha256(raw.encode()).hexdigest(), user_fk=user.id, label="old"))
    return raw


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_an_unknown_unsigned_token_is_looked_up_once_and_an_old_one_still_works(server, lookups):  # noqa: F811
    anon = server.anonymous()
    guess = {"Authorization": f"Bearer fk_{secrets.token_urlsafe(32)}"}
    assert anon.get("/api/cases", headers=guess).status_code == 401
    assert anon.get("/api/cases", headers=guess).status_code == 401
    assert anon.get("/api/me/code", headers=guess).status_code == 401
    assert len(lookups) == 1   # the records said "no such token" once: remembered
    old = {"Authorization": f"Bearer {_legacy_token('admin')}"}
    assert anon.get("/api/cases", headers=old).status_code == 200
    assert anon.get("/api/cases", headers=old).status_code == 200   # a good one is never remembered as bad
    assert 2 <= len(lookups) <= 3   # the second from the process's 1 s token cache, unless a second has passed


def test_the_public_listener_refuses_unsigned_credentials_without_a_look_up(sqlite_env, lookups):
    token = make_user("admin", "admin")
    old = _legacy_token("admin")
    with LiveApp("fangkong.api:public_app") as public, httpx.Client(base_url=public, timeout=30) as c:
        assert c.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert len(lookups) == 1
        for token in (old, f"fk_{secrets.token_urlsafe(32)}", f"fkd_{secrets.token_urlsafe(32)}"):
            for method, path in (("GET", "/api/auth/me"), ("GET", "/api/me/code"), ("POST", "/api/scans")):
                r = c.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
                assert r.status_code == 401, (token, path, r.text)
        assert len(lookups) == 1, lookups
    with LiveApp("fangkong.api:app") as staff, httpx.Client(base_url=staff, timeout=30) as c:
        assert c.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200   # staff: yes
