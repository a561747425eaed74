"""Append-only audit log of every write a person makes (who, when, what, before/after)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["AuditEntry", "audit"]


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSONType, nullable=True)


def audit(session: Session, actor: str, action: str, entity: str, entity_id: object,
          before: dict | None = None, after: dict | None = None) -> None:
    session.add(AuditEntry(actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                           before=before, after=after))
