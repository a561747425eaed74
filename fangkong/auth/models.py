"""Tables of the auth domain: users (argon2 password hashes), API tokens and device tokens (only a hash of each
is kept), citizens' one-time sign-in codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, UTCDateTime, utcnow

__all__ = ["ApiToken", "AuthSession", "CitizenOtp", "Device", "DeviceKind", "User"]


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
    #: a citizen's account is bound to the one person they are: they see and scan as that person only
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)

    #: where notifications reach this user (fangkong/jobs/notify.py): e-mail, a phone for SMS, a webhook (a
    #: personal work-chat robot); none set = the deployment's FANGKONG_NOTIFY_EMAILS for their audience
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    webhook: Mapped[str | None] = mapped_column(String(200))
    #: the tracing team (contacts.teams team_id) the user works in: told when a case is assigned to it
    team_id: Mapped[str | None] = mapped_column(String(32))

    person = relationship("Person", lazy="joined")

    @property
    def person_id(self) -> str | None:
        return self.person.person_id if self.person is not None else None


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


class DeviceKind(StrEnum):
    VENUE = "venue"            # a venue's scanner: records scans at its venue
    CHECKPOINT = "checkpoint"  # a checkpoint's reader: two-code checks


class Device(Base):
    """A venue's or a checkpoint's device; its bearer token is shown once, only a hash of it is kept."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[DeviceKind] = mapped_column(String(12))
    #: the venue a venue device scans at (a checkpoint has none)
    venue_fk: Mapped[int | None] = mapped_column(ForeignKey("venue.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    venue = relationship("Venue", lazy="joined")

    @property
    def venue_id(self) -> str | None:
        return self.venue.venue_id if self.venue is not None else None


class CitizenOtp(Base):
    """A one-time sign-in code sent to a phone: only keyed hashes of the phone and the code are kept; it
    expires, and wrong tries burn it (fangkong/auth/otp.py)."""

    __tablename__ = "citizen_otp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    #: used to sign in, burned by wrong tries, or replaced by a newer code: never accepted again
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
