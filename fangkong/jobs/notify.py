"""Notifications: who is told what (`notify.collect`), and delivery through one channel interface with retries,
back-off and an audit entry per message (`notify.send`). docs/operations.md, "Notifications".

Who gets what: the tracing team when a case is assigned to it, the community's verifiers for each new door check
(落地核查), the commander when a task's deadline passes (escalated by `tasks.escalate`), a monitored person who has
not checked in by the day's hour (an SMS reminder). Staff notices go to the office's work-chat robot (webhook) and
to the responsible users' own contacts (e-mail, SMS, a personal robot: `fangkong users update NAME --email …`):
the team's members (users of that team), the verifiers whose jurisdiction holds the community, the commanders
whose jurisdiction holds the task's. When none of them has a contact, to the e-mail addresses configured for the
audience (FANGKONG_NOTIFY_EMAILS). Reminders go by SMS. Each cause is written once per channel
and recipient (outbox de-duplication key), however often a pass sees it. Messages name records (case numbers,
person ids, communities), never a name or an ID number.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from fangkong.auth.models import User
from fangkong.contacts.teams.models import Investigation, InvestigationStatus, TracingTeam
from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.db.outbox import OutboxMessage, OutboxStatus, enqueue_once
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.checkins import service as checkins
from fangkong.protocol.roles import in_subtree
from fangkong.settings import Settings
from fangkong.tasks.models import Task, TaskKind, TaskStatus

__all__ = ["Channel", "SmsGateway", "Smtp", "UserHook", "Webhook", "channels", "collect", "responsible", "send"]

TIMEOUT_S = 10.0


class Channel(Protocol):
    """A way to deliver a message; `send` raises on any failure (the message is tried again later)."""

    name: str

    def send(self, msg: OutboxMessage) -> None: ...


def _post(url: str, doc: dict, headers: dict | None = None) -> None:
    req = urllib.request.Request(url, data=json.dumps(doc, ensure_ascii=False).encode(), method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:   # noqa: S310 - the deployment's own URL
        if resp.status >= 300:
            raise OSError(f"HTTP {resp.status}")


class Webhook:
    """A JSON POST, shaped as work-chat robots take it ({"msgtype": "text", "text": {"content": …}}), with our
    fields beside (kind, subject, recipient, id)."""

    name = "webhook"

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, msg: OutboxMessage) -> None:
        _post(self.url, {"msgtype": "text", "text": {"content": f"{msg.subject or ''}\n{msg.body}".strip()},
                         "kind": msg.kind, "subject": msg.subject, "recipient": msg.recipient, "id": msg.id})


class Smtp:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.s = settings

    def send(self, msg: OutboxMessage) -> None:
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = self.s.smtp_from, msg.recipient, msg.subject or msg.kind
        m["Message-ID"] = f"<fangkong-outbox-{msg.id}@{self.s.smtp_from.rsplit('@', 1)[-1]}>"
        m.set_content(msg.body)
        with smtplib.SMTP(self.s.smtp_host, self.s.smtp_port, timeout=TIMEOUT_S) as smtp:
            if self.s.smtp_starttls:
                smtp.starttls()
            if self.s.smtp_user:
                smtp.login(self.s.smtp_user, self.s.smtp_password)
            smtp.send_message(m)


class SmsGateway:
    """An HTTP SMS gateway: POST {"phone", "text", "id"} with a bearer token."""

    name = "sms"

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def send(self, msg: OutboxMessage) -> None:
        _post(self.url, {"phone": msg.recipient, "text": msg.body, "id": msg.id},
              {"Authorization": f"Bearer {self.token}"} if self.token else None)


class UserHook:
    """A user's own work-chat robot (User.webhook), shaped as Webhook; the message's recipient is the username,
    the URL (it carries the robot's key) is read when sending, so it stays out of the outbox and the audit."""

    name = "hook"

    def send(self, msg: OutboxMessage) -> None:
        session = object_session(msg)
        url = session.scalar(select(User.webhook).where(User.username == msg.recipient)) if session else None
        if not url:
            raise LookupError(f"user {msg.recipient!r} has no webhook")
        _post(url, {"msgtype": "text", "text": {"content": f"{msg.subject or ''}\n{msg.body}".strip()},
                    "kind": msg.kind, "subject": msg.subject, "recipient": msg.recipient, "id": msg.id})


def channels(settings: Settings) -> dict[str, Channel]:
    """The configured channels; a message for one not configured stays pending. Users' own robots need no
    configuration."""
    out: dict[str, Channel] = {"hook": UserHook()}
    if settings.notify_webhook:
        out["webhook"] = Webhook(settings.notify_webhook)
    if settings.smtp_host:
        out["smtp"] = Smtp(settings)
    if settings.sms_url:
        out["sms"] = SmsGateway(settings.sms_url, settings.sms_token)
    return out


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most an hour, after the n-th failed attempt."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def send(settings: Settings, now: datetime, *, limit: int = 200) -> dict:
    """Deliver the pending messages that are due, each audited (sent, failed with the error, or given up)."""
    chans = channels(settings)
    counts = {"sent": 0, "failed": 0, "dead": 0}
    if not chans:
        return counts
    with unit_of_work() as session:
        ids = list(session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING,
                                           OutboxMessage.channel.in_(list(chans)),
                                           or_(OutboxMessage.next_attempt_at.is_(None),
                                               OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.id).limit(limit)))
    for mid in ids:   # one transaction per message: a delivered message is marked at once
        with unit_of_work() as session:
            msg = session.get(OutboxMessage, mid)
            if msg is None or msg.status != OutboxStatus.PENDING:
                continue
            msg.attempts += 1
            try:
                chans[msg.channel].send(msg)
            except Exception as exc:  # noqa: BLE001 - any failure of a channel: try again later
                msg.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if msg.attempts >= settings.notify_max_attempts:
                    msg.status = OutboxStatus.DEAD
                    counts["dead"] += 1
                else:
                    msg.next_attempt_at = utcnow() + backoff(msg.attempts)
                    counts["failed"] += 1
                audit(session, "notify", "notify.failed" if msg.status == OutboxStatus.PENDING else "notify.dead",
                      "outbox_message", msg.id, after={"channel": msg.channel, "kind": msg.kind,
                                                       "attempt": msg.attempts, "error": msg.last_error})
                continue
            msg.status, msg.sent_at = OutboxStatus.SENT, utcnow()
            counts["sent"] += 1
            audit(session, "notify", "notify.sent", "outbox_message", msg.id,
                  after={"channel": msg.channel, "recipient": msg.recipient, "kind": msg.kind,
                         "attempt": msg.attempts})
    return counts


def _emails(settings: Settings, audience: str) -> list[str]:
    """The e-mail addresses of an audience; verifier keys match the task's community by prefix."""
    if not audience.startswith("verifier:"):
        return list(settings.notify_emails.get(audience, []))
    code = audience.split(":", 1)[1]
    return sorted({a for k, addrs in settings.notify_emails.items()
                   if k.startswith("verifier:") and code.startswith(k.split(":", 1)[1]) for a in addrs})


def responsible(session, audience: str, code: str | None) -> list[User]:
    """The active users an audience's notice is for: `team:<id>` its members (User.team_id), `verifier:<code>`
    the verifiers whose jurisdiction holds the community, `commander` the commanders whose jurisdiction holds the
    task's (`code`; a task with none: the deployment-wide commanders)."""
    q = select(User).where(User.active.is_(True)).order_by(User.username)
    if audience.startswith("team:"):
        return list(session.scalars(q.where(User.team_id == audience.split(":", 1)[1])))
    role = "verifier" if audience.startswith("verifier:") else audience
    return [u for u in session.scalars(q.where(User.role == role)) if in_subtree(u.jurisdiction, code)]


def _targets(settings: Settings, audience: str, users: list[User]) -> list[tuple[str, str]]:
    """(channel, recipient) of a staff notice: the work chat, and the users' own contacts, or, when none of them
    has one, the audience's configured e-mail addresses."""
    targets = [("webhook", audience)] if settings.notify_webhook else []
    own = [(channel, recipient) for u in users
           for channel, recipient in (("smtp", u.email), ("sms", u.phone), ("hook", u.username if u.webhook else None))
           if recipient]
    return targets + (own or [("smtp", a) for a in _emails(settings, audience)])


def _notice(session, settings: Settings, audience: str, *, kind: str, key: str, subject: str, body: str,
            now: datetime, code: str | None = None) -> int:
    """A staff notice to the work chat and to the responsible users' contacts (or the audience's configured
    e-mail addresses), each once; audited when new."""
    targets = _targets(settings, audience, responsible(session, audience, code))
    new = 0
    for channel, recipient in targets:
        if enqueue_once(session, channel, recipient, body, kind=kind, dedup_key=key, subject=subject, now=now):
            new += 1
            audit(session, "notify", "notify.queued", "outbox_message", key,
                  after={"channel": channel, "recipient": recipient, "kind": kind})
    return new


def collect(settings: Settings, now: datetime) -> dict:
    """One pass over the causes; what was already written is not written again."""
    counts = {"team_assignment": 0, "verification": 0, "overdue": 0, "checkin_reminder": 0}
    tz = settings.zone
    since = now - timedelta(days=2)   # older causes were told (or predate the notifications)
    with unit_of_work() as session:
        rows = session.execute(select(Investigation, TracingTeam).join(TracingTeam,
                                                                       TracingTeam.id == Investigation.team_fk)
                               .where(Investigation.status == InvestigationStatus.ASSIGNED))
        for inv, team in rows:
            case_no = inv.case.case_no if getattr(inv, "case", None) is not None else str(inv.case_fk)
            counts["team_assignment"] += _notice(
                session, settings, f"team:{team.team_id}", kind="team_assignment",
                key=f"team_assignment:{inv.id}:{team.team_id}", subject=f"流调任务 {case_no}",
                body=f"病例 {case_no} 已分配给流调队 {team.name}（{team.team_id}），请立即开展流调。", now=now)
        for task in session.scalars(select(Task).where(Task.kind == TaskKind.VERIFICATION,
                                                       Task.status == TaskStatus.OPEN, Task.created_at >= since)):
            who = task.person.person_id if task.person else "-"
            counts["verification"] += _notice(
                session, settings, f"verifier:{task.jurisdiction or ''}", kind="verification",
                key=f"verification:{task.id}", subject=f"落地核查 {who}", code=task.jurisdiction,
                body=f"新的落地核查：人员 {who}，社区 {task.jurisdiction}，"
                     f"请于 {task.due_at.astimezone(tz):%m-%d %H:%M} 前完成（任务 {task.id}）。", now=now)
        for task in session.scalars(select(Task).where(Task.escalated_at.is_not(None), Task.escalated_at >= since)):
            counts["overdue"] += _notice(
                session, settings, "commander", kind="overdue", key=f"overdue:{task.id}", code=task.jurisdiction,
                subject=f"超时 {task.kind} #{task.id}",
                body=f"任务 {task.id}（{task.kind}，{task.owner_name or task.owner_ref}）已于 "
                     f"{task.due_at.astimezone(tz):%m-%d %H:%M} 超时未完成。", now=now)
        day = now.astimezone(tz).date()
        if now.astimezone(tz).hour >= settings.checkin_by_hour:
            for m in checkins.non_reporters(session, day=day, by_hour=settings.checkin_by_hour, tz=tz, limit=10_000):
                phone = m.person.phone if m.person else None
                if phone and enqueue_once(session, "sms", phone, f"【防控】请于今日完成健康打卡（{day:%m月%d日}）。",
                                          kind="checkin_reminder", dedup_key=f"checkin:{m.id}:{day}", now=now):
                    counts["checkin_reminder"] += 1
                    audit(session, "notify", "notify.queued", "outbox_message", f"checkin:{m.id}:{day}",
                          after={"channel": "sms", "kind": "checkin_reminder", "person": m.person.person_id})
    return counts
