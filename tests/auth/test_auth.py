"""Sign-in, tokens, users, unmasking with a reason, the audit log; scoping in the services themselves."""

from __future__ import annotations

import pytest
from auth.test_matrix import _declare_and_trace, two_districts
from clihelp import fk, runner
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.auth import service as auth_service
from fangkong.cases import service as case_service
from fangkong.cases.models import Case
from fangkong.cli import app as cli
from fangkong.contacts import service as contact_service
from fangkong.db import scoping  # noqa: F401 - the scope listener
from fangkong.db.audit import AuditEntry
from fangkong.db.core import session_scope
from fangkong.db.scope import Principal, bind
from fangkong.errors import Forbidden, NotFound
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person

pytestmark = pytest.mark.both_stores


def test_token_me_and_wrong_password(server):  # noqa: F811
    anon = server.anonymous()
    assert anon.get("/api/cases").status_code == 401
    assert anon.post("/api/auth/token", json={"username": "admin", "password": "wrong-one"}).status_code == 403
    assert anon.post("/api/auth/token", json={"username": "ghost", "password": "wrong-one"}).status_code == 403
    r = anon.post("/api/auth/token", json={"username": "admin", "password": "test-password"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = anon.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert me["username"] == "admin" and me["jurisdiction"] is None and "users:admin" in me["permissions"]
    assert anon.get("/api/auth/me", headers={"Authorization": "Bearer fk_forged"}).status_code == 401
    page = anon.get("/risk-persons", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_users_admin_and_disabling_revokes_tokens(server):  # noqa: F811
    r = server.post("/api/users", json={"username": "li", "role": "verifier", "jurisdiction": "140105001001",
                                        "password": "long-enough-1"})
    assert r.status_code == 201 and r.json()["jurisdiction"] == "140105001001"
    assert server.post("/api/users", json={"username": "li", "role": "verifier", "password": "long-enough-1"}
                       ).status_code == 409
    assert server.post("/api/users", json={"username": "x", "role": "king", "password": "long-enough-1"}
                       ).status_code == 422
    # /users/new is the form that creates a user: nobody may be named so (any case)
    r = server.post("/api/users", json={"username": "NEW", "role": "verifier", "password": "long-enough-1"})
    assert r.status_code == 422 and "reserved" in r.json()["detail"]
    token = server.anonymous().post("/api/auth/token", json={"username": "li", "password": "long-enough-1"}).json()
    li = server.anonymous()
    li.headers["Authorization"] = f"Bearer {token['access_token']}"
    assert li.get("/api/auth/me").json()["jurisdiction"] == "140105001001"
    assert li.get("/api/users").status_code == 403
    assert server.patch("/api/users/li", json={"active": False}).status_code == 200
    assert li.get("/api/auth/me").status_code == 401
    log = server.get("/api/audit", params={"entity": "user", "entity_id": "li"}).json()
    assert [e["action"] for e in log][-1] == "user.create" and log[0]["actor"] == "admin"
    assert "password" not in str(log[-1]["after"]) or log[-1]["after"].get("password") is None


def test_unmask_needs_the_permission_and_a_reason(server, tmp_path):  # noqa: F811
    assert fk("import", two_districts(tmp_path / "city")).exit_code == 0
    epi, commander = server.client_for("epidemiologist", "140105"), server.client_for("commander", "140105")
    masked = epi.get("/api/persons/P00003").json()
    assert masked["name"] == "甲**" and "*" in masked["id_number"] and "*" in masked["phone"]
    assert epi.get("/api/persons/P00003", params={"unmask": "true"}).status_code == 422
    assert commander.get("/api/persons/P00003", params={"unmask": "true", "reason": "call him"}).status_code == 403
    r = epi.get("/api/persons/P00003", params={"unmask": "true", "reason": "phone the contact"})
    assert r.status_code == 200 and r.json()["name"] == "甲3号" and "*" not in r.json()["id_number"]
    entry = server.get("/api/audit", params={"action": "pii.unmask"}).json()[0]
    assert entry["actor"] == "epidemiologist_140105" and entry["after"]["reason"] == "phone the contact"
    assert entry["entity_id"] == "GET /api/persons/P00003"
    assert epi.get("/api/persons/P00013").status_code == 404  # another district's person


def _create(*args: str, password: str):
    return runner.invoke(cli, ["users", "create", *args, "--password-stdin"], input=password + "\n")


def test_cli_users_and_audit(env):
    r = _create("wang", "--role", "commander", "--jurisdiction", "140100000000", password="long-password")
    assert r.exit_code == 0 and "jurisdiction 1401" in r.stdout
    assert _create("wang", "--role", "commander", password="long-password").exit_code == 1
    assert _create("zhao", "--role", "lab", password="short").exit_code == 1
    r = fk("users", "token", "wang")
    assert r.exit_code == 0 and r.stdout.strip().startswith("fk_")
    assert "wang" in fk("users", "list").stdout
    r = fk("audit", "list", "--entity", "user", "--json")
    assert r.exit_code == 0 and '"action": "user.create"' in r.stdout and '"actor": "cli:' in r.stdout
    with unit_of_work() as s:
        with pytest.raises(RuntimeError):  # the log is append-only
            s.scalars(select(AuditEntry)).first().actor = "someone else"
            s.flush()
        s.rollback()


def test_scope_is_enforced_in_the_services(server, tmp_path):  # noqa: F811
    assert fk("import", two_districts(tmp_path / "city")).exit_code == 0
    ca, cb = _declare_and_trace(server, "P00001"), _declare_and_trace(server, "P00011")
    b_user = Principal(username="b", role="epidemiologist", prefix="140106")
    with session_scope() as s:
        bind(s, b_user)
        with pytest.raises(NotFound):
            case_service.get_case(s, ca)
        assert [c.case_no for c in case_service.list_cases(s)] == [cb]
        assert s.scalar(select(func.count(Case.id))) == 1
        assert s.scalar(select(func.count()).select_from(Person.__table__)) == 7  # Core selects too
        assert s.get(Person, 1) is None
        assert {r.person.person_id for r in contact_service.risk_persons(s, case=None, category=None,
                                                                         limit=100, offset=0) if r.person} \
            <= {f"P{i:05d}" for i in range(11, 18)} | {"P00007"}  # A's resident beside B's case: B's row
    with session_scope() as s, pytest.raises(Forbidden):
        auth_service.authenticate(s, "admin", "nope")


def test_a_cookie_signed_write_from_another_site_is_refused(server):  # noqa: F811
    """CSRF: the same write with the session cookie passes from this site and is refused from another."""
    anon = server.anonymous()
    r = anon.post("/login", data={"username": "admin", "password": "test-password"}, follow_redirects=False)
    assert r.status_code == 303 and anon.cookies.get(auth_service.SESSION_COOKIE)
    body = {"username": "li-csrf", "password": "long-enough-1", "role": "analyst", "jurisdiction": "140105"}
    evil = anon.post("/api/users", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "another site" in evil.json()["detail"]
    evil = anon.post("/api/users", json=body, headers={"Referer": "https://evil.example/page"})
    assert evil.status_code == 403
    with unit_of_work() as s:
        assert not any(u.username == "li-csrf" for u in auth_service.list_users(s))
    host = server.base_url.netloc.decode()
    ok = anon.post("/api/users", json=body, headers={"Origin": f"http://{host}"})
    assert ok.status_code == 201, ok.text
    # a read is not a write: no Origin needed; a bearer-token client is not affected
    assert anon.get("/api/auth/me", headers={"Origin": "https://evil.example"}).status_code == 200
    body2 = {**body, "username": "li-csrf-2"}
    assert server.post("/api/users", json=body2, headers={"Origin": "https://evil.example"}).status_code == 201
