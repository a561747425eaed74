"""The notification outbox: messages for a gateway (SMS first) written in the same transaction as their cause.

The `notify.send` job (fangkong/jobs/notify.py) delivers pending messages through the configured channel
(webhook, SMTP, an SMS gateway), with retries and back-off; a channel not configured leaves its messages
pending, and the local operator reads them (`fangkong citizens outbox`), which is how the demo and the tests
get a citizen's one-time code; the HTTP answer never carries it. A message with a `dedup_key` is written once
per (key, channel, recipient), however often its cause is seen.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String, Text, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["OutboxMessage", "OutboxStatus", "enqueue", "enqueue_once", "messages"]


class OutboxStatus(StrEnum):
    """pending → sent, or dead after the last attempt failed"""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (UniqueConstraint("dedup_key", "channel", "recipient", name="uq_outbox_message_dedup"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sms | smtp | webhook
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what it is about (team_assignment, verification, overdue, checkin_reminder, otp …)
    kind: Mapped[str] = mapped_column(String(30), default="otp", server_default="otp")
    subject: Mapped[str | None] = mapped_column(String(200))
    #: the cause, once per channel and recipient (e.g. "verification:42"); NULL: no de-duplication
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    #: OutboxStatus
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING, server_default="pending",
                                        index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


def enqueue(session: Session, channel: str, recipient: str, body: str, *, now: datetime | None = None) -> None:
    """A message to send; it is sent only if the transaction that wrote it commits."""
    session.add(OutboxMessage(channel=channel, recipient=recipient, body=body, created_at=now or utcnow()))


def messages(session: Session, *, recipient: str | None = None, limit: int = 20) -> list[OutboxMessage]:
    """The newest messages first, for one recipient or all."""
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if recipient:
        q = q.where(OutboxMessage.recipient == recipient)
    return list(session.scalars(q))


def enqueue_once(session: Session, channel: str, recipient: str, body: str, *, kind: str, dedup_key: str,
                 subject: str | None = None, now: datetime | None = None) -> bool:
    """A message for a cause, written once per (dedup_key, channel, recipient); True when it is new (two workers
    seeing the same cause at once write one: ON CONFLICT DO NOTHING)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = now or utcnow()
    r = session.execute(insert(OutboxMessage).values(
        channel=channel, recipient=recipient, body=body, created_at=now, kind=kind, subject=subject,
        dedup_key=dedup_key, status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now).on_conflict_do_nothing()
        .returning(OutboxMessage.id))
    return r.first() is not None   # (rowcount is not reliable for ON CONFLICT DO NOTHING on every driver)
