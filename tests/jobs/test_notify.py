"""Notifications through real local receivers: an HTTP server (the work-chat webhook and the SMS gateway) and an
SMTP server (aiosmtpd). Who gets what after a real trace, once each, retried with back-off, every message audited."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta
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
