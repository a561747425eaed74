"""Append-only audit log of every write a person makes (who, when, what, before/after)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow
from fangkong.db.scope import ACTOR_KEY

__all__ = ["AuditEntry", "audit", "audit_export"]


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
    """One entry; a session bound to a signed-in user records that user, whatever the caller passed."""
    actor = session.info.get(ACTOR_KEY) or actor
    session.add(AuditEntry(actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                           before=before, after=after))


def audit_export(session: Session, actor: str, entity: str, entity_id: object, *, rows: int, fmt: str,
                 unmasked: bool) -> None:
    """Every export is logged (who, what, how many rows, whether personal data went out unmasked): a file
    leaves the system's reach once it is downloaded."""
    audit(session, actor, "export", entity, entity_id, after={"rows": rows, "format": fmt, "unmasked": unmasked})


def _append_only(_mapper, _conn, _entry) -> None:
    """The log is append-only: an entry is never changed or removed through the ORM."""
    raise RuntimeError("the audit log is append-only")


event.listen(AuditEntry, "before_update", _append_only)
event.listen(AuditEntry, "before_delete", _append_only)
