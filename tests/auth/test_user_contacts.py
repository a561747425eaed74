"""A staff user's contacts and tracing team (issue 27, notifications to the responsible user): set, changed and
cleared by the CLI and the API, refused with a message when malformed, audited without a robot's key."""

from __future__ import annotations

from clihelp import fk, runner
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.auth import service as auth_service
from fangkong.cli import app as cli
from fangkong.kit.clikit import unit_of_work

HOOK = "https://chat.example.org/robot/send?key=secret-robot-key"


def _create(*args: str):
    return runner.invoke(cli, ["users", "create", *args, "--password-stdin"], input="long-password-1\n")


def test_cli_sets_changes_and_clears_contacts(sqlite_env):
    r = _create("wang", "--role", "verifier", "--jurisdiction", "140105", "--email", "wang@office.example",
                "--phone", "138-0000-0001", "--webhook", HOOK, "--team", "T01")
    assert r.exit_code == 0, r.output
    with unit_of_work() as s:
        u = auth_service.get_user(s, "wang")
        assert (u.email, u.phone, u.webhook, u.team_id) == ("wang@office.example", "13800000001", HOOK, "T01")
    listed = fk("users", "list").stdout
    assert "wang" in listed and "webhook" in listed and "secret-robot-key" not in listed
    assert fk("users", "update", "wang", "--webhook", "", "--phone", "+86 139 0000 0002").exit_code == 0
    with unit_of_work() as s:
        u = auth_service.get_user(s, "wang")
        assert (u.email, u.phone, u.webhook, u.team_id) == ("wang@office.example", "+8613900000002", None, "T01")
    bad = fk("users", "update", "wang", "--email", "not-an-address")
    assert bad.exit_code == 1 and "not an e-mail address" in bad.output
    assert _create("li", "--role", "commander", "--webhook", "ftp://x").exit_code == 1
    log = fk("audit", "list", "--entity", "user", "--json").stdout
    assert "chat.example.org" in log and "secret-robot-key" not in log


def test_api_sets_and_refuses_contacts(server):  # noqa: F811
    r = server.post("/api/users", json={"username": "zhao", "role": "commander", "password": "long-enough-1",
                                        "email": "zhao@office.example", "phone": "13800000003", "webhook": HOOK})
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("email", "phone", "webhook", "team_id")} == \
        {"email": "zhao@office.example", "phone": "13800000003", "webhook": HOOK, "team_id": None}
    r = server.patch("/api/users/zhao", json={"team": "T02", "email": ""})
    assert r.status_code == 200 and r.json()["team_id"] == "T02" and r.json()["email"] is None
    for body in ({"phone": "call me"}, {"webhook": "javascript:alert(1)"}, {"email": "a" * 300},
                 {"team": "队 1"}, {"email": 5}):
        assert server.patch("/api/users/zhao", json=body).status_code in (400, 422), body
