"""Tables of the auth domain: users (argon2 password hashes) and API tokens (only a hash of each is kept)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["ApiToken", "AuthSession", "User"]


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: a role of fangkong.protocol.roles.ROLES
    role: Mapped[str] = mapped_column(String(20))
    #: administrative code of the user's jurisdiction ('' = the whole deployment)
    jurisdiction: Mapped[str] = mapped_column(String(12), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sha256 of the token: a stolen database does not give working tokens
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_fk: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last request it signed in (to the minute: a busy script does not write on every request)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")


class AuthSession(Base):
    """A page session: the cookie carries a random id, this row says whether it still counts, so logout
    (and a password change, a disabled user) ends it at once instead of when the cookie expires."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sha256 of the cookie's value: a stolen database does not give working sessions
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_fk: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")
