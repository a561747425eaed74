"""The API over real HTTP (uvicorn on a loopback port): cases, trace, risk persons, measures, codes, bulletin."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from clihelp import fk
from liveclient import SERVER_KEEP_ALIVE, live_client
from test_flow import city

from fangkong.auth import service as auth_service
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work


def make_user(username: str, role: str, jurisdiction: str = "", password: str = "test-password",
              person: str | None = None) -> str:
    """A user in the current store and a bearer token for it (a citizen is bound to `person`)."""
    with unit_of_work() as s:
        with acting_as(s, "test"):
            user = auth_service.create_user(s, username, role=role, password=password, jurisdiction=jurisdiction,
                                            person_id=person)
        return auth_service.issue_token(s, user, label="test")


class LiveApp:
    """One app (an import string) on a loopback port, in a thread of this process."""

    def __init__(self, app: str) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.srv.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        for _ in range(400):
            if self.srv.started:
                break
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.srv.should_exit = True
        self.thread.join(10)


@pytest.fixture
def server(env):
    """uvicorn on a loopback port; the client signs in as an admin (whole deployment) by default.

    `server.client_for(role, jurisdiction)` gives a client of another user (created on first use);
    `server.anonymous()` one without credentials. The clients re-send an idempotent request once when the server
    dropped its keep-alive connection (tests/liveclient.py)."""
    admin_token = make_user("admin", "admin")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config("fangkong.api:app", host="127.0.0.1", port=port, log_level="warning",
                                        timeout_keep_alive=SERVER_KEEP_ALIVE))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    extra: list[httpx.Client] = []
    made: dict[tuple[str, str], str] = {}

    def client_for(role: str, jurisdiction: str = "", username: str | None = None,
                   person: str | None = None) -> httpx.Client:
        key = (role, jurisdiction)
        if key not in made:
            made[key] = make_user(username or f"{role}_{jurisdiction or 'all'}", role, jurisdiction, person=person)
        extra.append(live_client(base_url, headers={"Authorization": f"Bearer {made[key]}"}))
        return extra[-1]

    def anonymous() -> httpx.Client:
        extra.append(live_client(base_url))
        return extra[-1]

    with live_client(base_url, headers={"Authorization": f"Bearer {admin_token}"}) as client:
        client.client_for, client.anonymous = client_for, anonymous
        yield client
    for c in extra:
        c.close()
    srv.should_exit = True
    thread.join(10)


def test_declare_trace_and_read_back(server, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = server.post("/api/cases", json={"person_id": "P00001", "sampled_at": "2022-03-11T08:00:00+08:00",
                                        "isolated_at": "2022-03-11T20:00:00+08:00"})
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    declared_day = datetime.fromisoformat(r.json()["declared_at"]).astimezone(ZoneInfo("Asia/Shanghai")).date()
    r = server.post(f"/api/cases/{case_id}/trace")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert {p["category"] for p in doc["risk_persons"]} == {"close", "secondary", "companion", "overlap"}
    r = server.get("/api/risk-persons", params={"category": "close", "case_id": case_id})
    assert r.status_code == 200 and len(r.json()) == 2
    rid = r.json()[0]["id"]
    r = server.patch(f"/api/risk-persons/{rid}", json={"category": "secondary", "reason": "wore a mask, table apart"})
    assert r.status_code == 200 and r.json()["category"] == "secondary" and r.json()["found_category"] == "close"
    log = server.get("/api/audit", params={"action": "risk_person.override"}).json()
    assert [e["actor"] for e in log] == ["admin"]  # the signed-in user, from the request's session
    assert server.get(f"/api/cases/{case_id}").json()["status"] == "asymptomatic"
    assert server.get("/api/measures").status_code == 200
    code = server.get("/api/persons/P00001/code").json()
    assert code["colour"] == "red" and code["reasons"][0]["label"] == "case"
    b = server.get("/api/bulletin", params={"day": declared_day.isoformat(), "lang": "en"}).json()
    assert b["figures"]["total_cases"] == 1 and "Cumulative local cases: 1" in b["text"]
    page = server.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and "追踪管控风险人员" in page.text
    assert "Risk persons traced" in server.get("/", params={"lang": "en"}).text
    assert server.get("/docs").status_code == 200
    assert server.get("/static/echarts.min.js").status_code == 200


def test_rule_out_a_declared_case(server, tmp_path):
    """POST /api/cases/{id}/rule-out (docs/rules.md, "A case ruled out after declaration"): audited with the
    reason and the effect; any contact obligation from its trace ends (withdrawn); a second time 409."""
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = server.post("/api/cases", json={"person_id": "P00001", "sampled_at": "2022-03-11T08:00:00+08:00",
                                        "isolated_at": "2022-03-11T20:00:00+08:00"})
    case_id = r.json()["case_id"]
    assert server.post(f"/api/cases/{case_id}/trace").status_code == 200
    assert server.post(f"/api/cases/{case_id}/rule-out", json={"reason": ""}).status_code == 422
    r = server.post(f"/api/cases/{case_id}/rule-out", json={"reason": "wrong person"})
    assert r.status_code == 200 and r.json()["status"] == "ruled_out", r.text
    effect = server.get("/api/audit", params={"action": "case.ruled_out_effect"}).json()
    placed = len(server.get("/api/measures", params={"status": "withdrawn"}).json())
    assert [e["actor"] for e in effect] == ["admin"] and effect[0]["after"]["persons"] == placed
    assert server.get("/api/measures", params={"status": "active"}).json() == []
    assert server.get("/api/persons/P00001/code").json()["colour"] == "green"
    assert server.post(f"/api/cases/{case_id}/rule-out", json={"reason": "again"}).status_code == 409


@pytest.mark.parametrize("method,url,body", [
    ("get", "/api/cases/C404", None),
    ("post", "/api/cases/C404/trace", None),
    ("get", "/api/persons/nobody/code", None),
    ("get", "/api/measures/99999", None),
    ("patch", "/api/risk-persons/99999", {"category": "close", "reason": "x"}),
    ("post", "/api/cases", {"person_id": "nobody", "sampled_at": "2022-03-11T08:00:00+08:00"}),
])
def test_not_found_is_404_with_a_message(server, method, url, body):
    r = server.request(method, url, json=body)
    assert r.status_code == 404 and r.json()["detail"]


@pytest.mark.parametrize("method,url,body", [
    ("post", "/api/cases", {"person_id": "P1", "sampled_at": "2022-03-11T08:00:00"}),   # no zone
    ("post", "/api/cases", {"person_id": "", "sampled_at": "2022-03-11T08:00:00+08:00"}),
    ("post", "/api/cases", {"person_id": "P1", "sampled_at": "x", "extra": 1}),
    ("get", "/api/measures?limit=0", None),
    ("get", "/api/measures?limit=abc", None),
    ("get", "/api/measures/99999999999999999999999", None),
    ("get", "/api/risk-persons?category=friend", None),
    ("get", "/api/bulletin?day=31-12-2022", None),
    ("get", "/api/bulletin?day=9999-12-31", None),
    ("get", "/api/bulletin?day=2022-03-11&lang=fr", None),
    ("patch", "/api/risk-persons/1", {"category": "close"}),
])
def test_bad_input_is_4xx_never_500(server, method, url, body):
    r = server.request(method, url, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["detail"]
