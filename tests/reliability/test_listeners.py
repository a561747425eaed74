"""Two listeners (`fangkong serve --public-port`): the public one serves the citizens' and devices' routes only,
from a process of its own at a lower priority, and a flood there leaves the staff's process alone."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_api import LiveApp, make_user

from fangkong.edge import on_public_listener, public_routes

NOBODY = {"phone": "13999999999"}


def _port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


STAFF_ROUTES = [("GET", "/api/cases"), ("GET", "/api/risk-persons"), ("GET", "/api/users"), ("GET", "/api/audit"),
                ("POST", "/api/cases/C000001/trace"), ("GET", "/api/persons/P0000001/code"), ("GET", "/docs"),
                ("GET", "/openapi.json"), ("GET", "/login"), ("GET", "/"), ("GET", "/risk-persons"),
                ("GET", "/api/bulletin?day=2022-03-14")]


def test_the_public_listener_refuses_staff_routes_and_the_staff_listener_serves_them(sqlite_env):
    admin = {"Authorization": f"Bearer {make_user('admin', 'admin')}"}
    with LiveApp("fangkong.api:public_app") as public, LiveApp("fangkong.api:app") as staff:
        with httpx.Client(base_url=public, timeout=30) as pub, httpx.Client(base_url=staff, timeout=30) as st:
            for method, path in STAFF_ROUTES:
                # even with an admin's token: staff work is not done through the public address
                r = pub.request(method, path, headers=admin)
                assert r.status_code == 404, (method, path, r.text)
                if method == "GET" and "P0000001" not in path:   # the others' subjects do not exist here
                    assert st.request(method, path, headers=admin).status_code == 200, (method, path)
            # what citizens and devices use is served there, with the same rules as on one port
            assert pub.get("/api/health").status_code == 200
            assert pub.post("/api/citizen/otp", json=NOBODY).status_code == 202
            assert pub.get("/api/me/code").status_code == 401
            assert pub.post("/api/two-code-checks", json={"code_token": "x"}).status_code == 401
            assert pub.get("/api/auth/me", headers=admin).status_code == 200
            r = pub.get("/checkin/1.forged")
            assert r.status_code in (403, 404) and "address of its own" not in r.text   # the route said so
            # the staff listener serves the public routes too (the office's own devices, the demo)
            assert st.post("/api/citizen/otp", json=NOBODY).status_code == 202


#: what may be on the public listener at all: the citizens' and devices' routes, their sign-ins, the check-in pages,
#: the citizen's sign-in page and own page, static files, the health probe (docs/security.md, "Abuse resistance")
_PUBLIC_KINDS = re.compile(r"(GET|POST|DELETE) (/api/(scans|two-code-checks|citizen/\w+|me/[\w-]+|checkin/\{token\}"
                           r"|auth/(token|me|tokens(/\{token_id\})?)|health)|/checkin/\{token\}|/me|/logout|/citizen/login"
                           r"|/static/…)")


def test_the_public_route_list_is_read_from_the_app_and_documented():
    from fangkong.api import app

    routes = public_routes(app.routes)
    assert "GET /me" in routes and "POST /api/citizen/session" in routes and "GET /checkin/{token}" in routes
    assert [r for r in routes if not _PUBLIC_KINDS.fullmatch(r)] == []          # no staff route slipped in
    doc = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    block = doc.split("<!-- public routes: begin -->")[1].split("<!-- public routes: end -->")[0]
    assert block.strip().strip("`").split() == " ".join(routes).split(), "docs/operations.md: python scripts/public_routes.py"


def test_the_citizens_own_page_is_on_the_public_listener(sqlite_env, tmp_path):
    from clihelp import fk
    from test_flow import city

    assert fk("import", city(tmp_path / "city")).exit_code == 0
    citizen = {"Authorization": f"Bearer {make_user('citizen', 'citizen', person='P00001')}"}
    staff = {"Authorization": f"Bearer {make_user('commander', 'commander')}"}
    with LiveApp("fangkong.api:public_app") as public, httpx.Client(base_url=public, timeout=30) as pub:
        r = pub.get("/me", headers={**citizen, "Accept": "text/html"})
        assert r.status_code == 200 and 'id="my-code"' in r.text and 'id="my-tests"' in r.text, r.text[:300]
        assert pub.get("/me", headers={**staff, "Accept": "text/html"}).status_code == 403   # bound to no person
        anonymous = pub.get("/me", headers={"Accept": "text/html"})     # anonymous: the citizen's sign-in page
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/citizen/login?next=/me"
        assert pub.get("/citizen/login").status_code == 200
        assert pub.get("/login").status_code == 404 and pub.get("/", headers=citizen).status_code == 404


@pytest.mark.parametrize("path", ["/api/cases", "/api/cases/C1", "/api/devices", "/api/users/admin", "/api/me",
                                  "/api/persons/P1/code", "/api/auth/tokenx", "/static", "/checkin/a/b",
                                  "/api/checkins/alerts", "/api/healthz", "/docs"])
def test_staff_paths_are_not_on_the_public_listener(path):
    assert not on_public_listener(path)


@pytest.mark.parametrize("path", ["/api/scans", "/api/two-code-checks", "/api/citizen/otp", "/api/citizen/session",
                                  "/api/me/code", "/api/me/code-token", "/api/me/scans", "/api/checkin/1.abc",
                                  "/checkin/1.abc", "/api/auth/token", "/api/auth/me", "/api/auth/tokens",
                                  "/api/auth/tokens/3", "/api/health", "/static/app.css"])
def test_citizen_and_device_paths_are_on_the_public_listener(path):
    assert on_public_listener(path)


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def _up(url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree in /proc")
def test_serve_with_a_public_port_runs_the_public_routes_in_a_lower_priority_process(sqlite_env, monkeypatch):
    monkeypatch.setenv("FANGKONG_DEMO", "1")   # the demo secret is fine for this server
    monkeypatch.setenv("FANGKONG_PUBLIC_NICE", "7")
    admin = {"Authorization": f"Bearer {make_user('admin', 'admin')}"}
    port, public_port = _port(), _port()
    exe = Path(sys.executable).parent / "fangkong"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--public-port", str(public_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staff, public = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{public_port}"
    try:
        assert _up(staff) and _up(public)
        assert httpx.get(staff + "/api/cases", headers=admin).status_code == 200
        assert httpx.get(public + "/api/cases", headers=admin).status_code == 404
        assert httpx.post(public + "/api/citizen/otp", json=NOBODY).status_code == 202
        [child] = _children(proc.pid)
        assert os.getpriority(os.PRIO_PROCESS, child) - os.getpriority(os.PRIO_PROCESS, proc.pid) == 7
        # the public process killed outright (as for memory): the main one starts it again, staff work goes on
        os.kill(child, signal.SIGKILL)
        assert httpx.get(staff + "/api/cases", headers=admin).status_code == 200
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _children(proc.pid) in ([], [child]):
            time.sleep(0.1)
        [again] = _children(proc.pid)
        assert again != child and _up(public)
        assert httpx.post(public + "/api/citizen/otp", json=NOBODY).status_code == 202
    finally:
        proc.terminate()
        proc.wait(30)
    # the public process ends with the main one
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{again}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{again}").exists() or "Z" in Path(f"/proc/{again}/stat").read_text().split()[2]


def _routes() -> list[tuple[str, str]]:
    """Every (method, concrete path) of the app, path parameters filled in."""
    import re

    from fangkong.api import app

    out = []
    for route in app.routes:
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                out.append((method, re.sub(r"\{[^}]+\}", "x1", route.path)))
    return out


def test_the_public_listener_serves_exactly_the_citizens_and_devices_routes():
    """Generated from the app: a new citizen or device route must be served on the public port, a new staff
    route must not be (the list in fangkong/edge.py is kept by this test, not by memory)."""
    from fangkong.auth import policy
    from fangkong.protocol.roles import DEVICE_PERMISSIONS, ROLE_PERMISSIONS

    outside = set(ROLE_PERMISSIONS["citizen"]).union(*DEVICE_PERMISSIONS.values())
    staff_pages = {"/login", "/logout", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}
    for method, path in _routes():
        needed = None if policy.is_public(method, path) else policy.permission_for(method, path)
        citizen_or_device = needed in outside or needed is None and path not in staff_pages \
            or needed == policy.SIGNED_IN and path.startswith("/api/auth/")
        assert on_public_listener(path) == citizen_or_device, (method, path, needed)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux's")
def test_the_public_process_ends_when_the_main_one_is_killed_outright(sqlite_env, monkeypatch):
    monkeypatch.setenv("FANGKONG_DEMO", "1")
    port, public_port = _port(), _port()
    exe = Path(sys.executable).parent / "fangkong"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--public-port", str(public_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _up(f"http://127.0.0.1:{public_port}")
        [child] = _children(proc.pid)
    finally:
        proc.kill()   # SIGKILL: no finally of its own runs; the kernel tells the child
        proc.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (FileNotFoundError, IndexError):
        return False
