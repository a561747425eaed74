"""The notification outbox: messages for a gateway (SMS first) written in the same transaction as their cause.

No gateway is connected yet: a message waits here with `sent_at` empty until a sender delivers it. Until
then the local operator reads them (`fangkong citizens outbox`), which is how the demo and the tests get a
citizen's one-time code; the HTTP answer never carries it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["OutboxMessage", "enqueue", "messages"]


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sms | smtp | webhook
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def enqueue(session: Session, channel: str, recipient: str, body: str, *, now: datetime | None = None) -> None:
    """A message to send; it is sent only if the transaction that wrote it commits."""
    session.add(OutboxMessage(channel=channel, recipient=recipient, body=body, created_at=now or utcnow()))


def messages(session: Session, *, recipient: str | None = None, limit: int = 20) -> list[OutboxMessage]:
    """The newest messages first, for one recipient or all."""
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if recipient:
        q = q.where(OutboxMessage.recipient == recipient)
    return list(session.scalars(q))
