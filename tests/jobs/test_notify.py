"""Notifications through real local receivers: an HTTP server (the work-chat webhook and the SMS gateway) and an
SMTP server (aiosmtpd). Who gets what after a real trace, once each, retried with back-off, every message audited."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta
from email import message_from_string
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from builders.risk import add_team, traced_city
from sqlalchemy import func, select

from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.db.outbox import OutboxMessage, enqueue_once
from fangkong.jobs import notify
from fangkong.kit.clikit import unit_of_work
from fangkong.tasks import service as task_service

TZ = ZoneInfo("Asia/Shanghai")


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.server.fail > 0:
            self.server.fail -= 1
            self.send_response(500)
            self.end_headers()
            return
        self.server.got.append((self.path, doc, self.headers.get("Authorization")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class _Mailbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.mails.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def receivers():
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    http.got, http.fail = [], 0
    threading.Thread(target=http.serve_forever, daemon=True).start()
    box = _Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    yield http, smtp, box
    smtp.stop()
    http.shutdown()


@pytest.mark.both_stores
def test_who_gets_what_once_retried_and_audited(env, tmp_path, receivers):
    http, smtp, box = receivers
    with unit_of_work() as s:
        add_team(s, "T01")
    traced_city(tmp_path / "city")
    now = datetime(2022, 3, 12, 15, 0, tzinfo=TZ)   # the next afternoon: past the check-in hour, deadlines passed
    with unit_of_work() as s:
        assert task_service.escalate_overdue(s, now=now)
    base = f"http://127.0.0.1:{http.server_port}"
    settings = env.model_copy(update={
        "notify_webhook": f"{base}/hook", "sms_url": f"{base}/sms", "sms_token": "gw-secret",
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_from": "fangkong@office.test",
        "notify_emails": {"commander": ["cmd@office.test"], "team:T01": ["t01@office.test"],
                          "verifier:140105": ["v@office.test"]}})
    first = notify.collect(settings, now)
    assert all(first[k] > 0 for k in ("team_assignment", "verification", "overdue", "checkin_reminder")), first
    assert notify.collect(settings, now) == dict.fromkeys(first, 0)   # seen again: nothing written twice
    with unit_of_work() as s:
        total = s.scalar(select(func.count()).select_from(OutboxMessage))
    http.fail = 1   # the work chat answers 500 once
    sent = notify.send(settings, utcnow())
    assert sent == {"sent": total - 1, "failed": 1, "dead": 0}
    assert notify.send(settings, utcnow()) == {"sent": 0, "failed": 0, "dead": 0}   # backing off
    assert notify.send(settings, utcnow() + timedelta(seconds=31)) == {"sent": 1, "failed": 0, "dead": 0}
    hooks = [d for p, d, _ in http.got if p == "/hook"]
    sms = [(d, auth) for p, d, auth in http.got if p == "/sms"]
    assert {d["kind"] for d in hooks} == {"team_assignment", "verification", "overdue"}
    assert all(d["msgtype"] == "text" and d["text"]["content"] for d in hooks)
    assert any("T01" in d["text"]["content"] for d in hooks if d["kind"] == "team_assignment")
    assert sms and all(auth == "Bearer gw-secret" and d["phone"].startswith("1") and "打卡" in d["text"]
                       for d, auth in sms)
    rcpts = {r for tos, _ in box.mails for r in tos}
    assert rcpts == {"cmd@office.test", "t01@office.test", "v@office.test"}
    assert len(hooks) + len(sms) + len(box.mails) == total
    with unit_of_work() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}
        actions = dict(s.execute(select(AuditEntry.action, func.count()).where(AuditEntry.action.like("notify.%"))
                                 .group_by(AuditEntry.action)).all())
    assert actions == {"notify.queued": total, "notify.sent": total, "notify.failed": 1}


def test_a_message_is_given_up_after_the_last_attempt(env, receivers):
    http, _smtp, _box = receivers
    http.fail = 10
    settings = env.model_copy(update={"notify_webhook": f"http://127.0.0.1:{http.server_port}/hook",
                                      "notify_max_attempts": 2})
    with unit_of_work() as s:
        assert enqueue_once(s, "webhook", "commander", "x", kind="overdue", dedup_key="overdue:1")
        assert not enqueue_once(s, "webhook", "commander", "x", kind="overdue", dedup_key="overdue:1")
    assert notify.send(settings, utcnow()) == {"sent": 0, "failed": 1, "dead": 0}
    assert notify.send(settings, utcnow() + timedelta(minutes=5)) == {"sent": 0, "failed": 0, "dead": 1}
    with unit_of_work() as s:
        (msg,) = s.scalars(select(OutboxMessage))
        assert (msg.status, msg.attempts) == ("dead", 2) and "500" in msg.last_error


def _staff(s, username: str, role: str, jurisdiction: str = "", **contacts):
    from fangkong.auth import service as auth_service
    from fangkong.db.scope import bind

    bind(s, None, actor="test")
    user = auth_service.create_user(s, username, role=role, password="long-password-1", jurisdiction=jurisdiction,
                                    **contacts)
    return user


@pytest.mark.both_stores
def test_notices_go_to_the_responsible_users_own_contacts(env, tmp_path, receivers):
    """The team's members, the verifiers whose jurisdiction holds the community and the commanders whose
    jurisdiction holds the task are told on their own e-mail, phone and robot; users of another team or place, or
    disabled, are not; FANGKONG_NOTIFY_EMAILS is used only for an audience none of whose users has a contact."""
    http, smtp, box = receivers
    base = f"http://127.0.0.1:{http.server_port}"
    with unit_of_work() as s:
        add_team(s, "T01")
        _staff(s, "t01a", "epidemiologist", "140105", team="T01", email="t01a@office.test", webhook=f"{base}/t01a")
        _staff(s, "t02a", "epidemiologist", "140105", team="T02", email="t02a@office.test")
        _staff(s, "v1", "verifier", "140105", phone="139 0000 0001", email="v1@office.test")
        _staff(s, "v9", "verifier", "140106", email="v9@office.test")             # another district
        off = _staff(s, "v0", "verifier", "140105", email="v0@office.test")
        off.active = False                                                      # disabled
        _staff(s, "cmd", "commander", "", email="cmd@office.test")
    traced_city(tmp_path / "city")
    now = datetime(2022, 3, 12, 15, 0, tzinfo=TZ)
    with unit_of_work() as s:
        assert task_service.escalate_overdue(s, now=now)
    settings = env.model_copy(update={
        "notify_webhook": f"{base}/hook", "sms_url": f"{base}/sms", "sms_token": "gw-secret",
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_from": "fangkong@office.test",
        "notify_emails": {"commander": ["env-cmd@office.test"], "team:T01": ["env-t01@office.test"],
                          "verifier:140105": ["env-v@office.test"]}})
    first = notify.collect(settings, now)
    assert all(first[k] > 0 for k in ("team_assignment", "verification", "overdue")), first
    assert notify.collect(settings, now) == dict.fromkeys(first, 0)
    sent = notify.send(settings, utcnow())
    assert sent["failed"] == 0 and sent["dead"] == 0
    mails = {}
    for tos, content in box.mails:
        for r in tos:
            mails.setdefault(r, []).append(content)
    assert set(mails) == {"t01a@office.test", "v1@office.test", "cmd@office.test"}
    subjects = [message_from_string(m, policy=default)["subject"] for m in mails["t01a@office.test"]]
    assert subjects and all(sub.startswith("流调任务") for sub in subjects)
    personal = [d for p, d, _ in http.got if p == "/t01a"]
    assert personal and {d["kind"] for d in personal} == {"team_assignment"} and personal[0]["recipient"] == "t01a"
    sms = [(d, auth) for p, d, auth in http.got if p == "/sms"]
    staff_sms = [d for d, auth in sms if d["phone"] == "13900000001"]
    assert staff_sms and all("落地核查" in d["text"] for d in staff_sms) and all(a == "Bearer gw-secret" for _, a in sms)
    assert {d["kind"] for p, d, _ in http.got if p == "/hook"} == {"team_assignment", "verification", "overdue"}
    with unit_of_work() as s:
        assert f"{base}/t01a" not in str(s.scalars(select(AuditEntry.after)).all())   # the robot's URL stays out
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}


def test_an_audience_whose_users_have_no_contact_falls_back_to_the_setting(rollback_env):
    with unit_of_work() as s:
        _staff(s, "cmd", "commander", "")                       # no contact
        _staff(s, "cmd2", "commander", "1401", email="c2@office.test")   # holds only 1401's tasks
    settings = rollback_env.model_copy(update={"notify_emails": {"commander": ["env-cmd@office.test"]}})
    with unit_of_work() as s:
        users = notify.responsible(s, "commander", "140105001001")
        assert [u.username for u in users] == ["cmd", "cmd2"]
        assert notify._targets(settings, "commander", users) == [("smtp", "c2@office.test")]
        users = notify.responsible(s, "commander", "140205001001")   # another city: cmd2 does not hold it
        assert notify._targets(settings, "commander", users) == [("smtp", "env-cmd@office.test")]
        assert notify._targets(settings, "team:T09", notify.responsible(s, "team:T09", None)) == []
