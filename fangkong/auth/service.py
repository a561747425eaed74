"""Users, passwords, tokens and signed session cookies; who a request is; the audit log's queries."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.auth.models import ApiToken, User
from fangkong.db.audit import AuditEntry, audit
from fangkong.db.core import utcnow
from fangkong.db.scope import Principal
from fangkong.errors import Conflict, Forbidden, InvalidInput, NotFound
from fangkong.protocol.roles import ROLES, normalise_code, permissions_of, scope_prefix

__all__ = [
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "audit_entries",
    "authenticate",
    "create_user",
    "get_user",
    "issue_token",
    "list_users",
    "principal_for_cookie",
    "principal_for_token",
    "principal_of",
    "session_cookie",
    "update_user",
]

SESSION_COOKIE = "fangkong_session"
SESSION_MAX_AGE = 12 * 3600
_hasher = PasswordHash.recommended()
# verifying against a dummy hash for unknown users keeps the answer time the same (no username probing)
_DUMMY = _hasher.hash("fangkong-no-such-user")


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check(role: str, jurisdiction: str | None, password: str | None) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    try:
        code = normalise_code(jurisdiction)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if password is not None and len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    return code


def create_user(session: Session, username: str, *, role: str, password: str, jurisdiction: str = "",
                actor: str) -> User:
    """A new user; the password is kept as an argon2 hash only."""
    code = _check(role, jurisdiction, password)
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput("a username is 1–64 letters, digits, '.', '_' or '-'")
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user {username!r} exists")
    user = User(username=username, password_hash=_hasher.hash(password), role=role, jurisdiction=code,
                active=True, created_by=actor)
    session.add(user)
    session.flush()
    audit(session, actor, "user.create", "user", username, after=_public(user))
    return user


def _public(user: User) -> dict:
    return {"username": user.username, "role": user.role, "jurisdiction": user.jurisdiction, "active": user.active}


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def update_user(session: Session, user: User, *, actor: str, role: str | None = None,
                jurisdiction: str | None = None, active: bool | None = None, password: str | None = None) -> User:
    """Change a user's role, jurisdiction, password or active flag (audited; a password is never logged)."""
    before = _public(user)
    code = _check(role or user.role, user.jurisdiction if jurisdiction is None else jurisdiction, password)
    user.role, user.jurisdiction = role or user.role, code
    if active is not None:
        user.active = active
    if password is not None:
        user.password_hash = _hasher.hash(password)
    if active is False or password is not None:  # a disabled user or a new password: old tokens stop working
        for token in session.scalars(select(ApiToken).where(ApiToken.user_fk == user.id,
                                                            ApiToken.revoked_at.is_(None))):
            token.revoked_at = utcnow()
    after = _public(user) | ({"password": "changed"} if password is not None else {})
    audit(session, actor, "user.update", "user", user.username, before=before, after=after)
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this password, or Forbidden (the same answer for a wrong name or password)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _hasher.verify(password, _DUMMY)
        raise Forbidden("wrong username or password")
    ok, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not ok:
        raise Forbidden("wrong username or password")
    if new_hash:
        user.password_hash = new_hash
    return user


def issue_token(session: Session, user: User, *, label: str | None = None, days: float | None = 30) -> str:
    """A new bearer token for the user; only its hash is stored, the token is shown once."""
    raw = "fk_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days else None
    session.add(ApiToken(token_hash=_token_hash(raw), user_fk=user.id, label=label, expires_at=expires))
    audit(session, user.username, "token.issue", "user", user.username, after={"label": label,
                                                                                "expires_at": str(expires)})
    return raw


def principal_of(user: User) -> Principal:
    return Principal(username=user.username, role=user.role, prefix=scope_prefix(user.role, user.jurisdiction),
                     permissions=permissions_of(user.role))


def principal_for_token(session: Session, raw: str, now: datetime | None = None) -> Principal | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(raw)))
    now = now or utcnow()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at < now) or not token.user.active:
        return None
    return principal_of(token.user)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="fangkong-session")


def session_cookie(user: User, secret: str) -> str:
    """The signed value of the page session cookie: the username and a fingerprint of the password hash, so a
    password change ends every open session."""
    return _serializer(secret).dumps({"u": user.username, "h": user.password_hash[-12:]})


def principal_for_cookie(session: Session, value: str, secret: str) -> Principal | None:
    try:
        data = _serializer(secret).loads(value, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    user = session.scalar(select(User).where(User.username == data.get("u")))
    if user is None or not user.active or user.password_hash[-12:] != data.get("h"):
        return None
    return principal_of(user)


def audit_entries(session: Session, *, actor: str | None = None, entity: str | None = None,
                  entity_id: str | None = None, action: str | None = None, since: datetime | None = None,
                  limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    """The audit log, newest first, filtered."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
    for column, value in ((AuditEntry.actor, actor), (AuditEntry.entity, entity),
                          (AuditEntry.entity_id, entity_id)):
        if value:
            q = q.where(column == value)
    if action:
        q = q.where(AuditEntry.action.startswith(action))
    if since:
        q = q.where(AuditEntry.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    return list(session.scalars(q.limit(limit).offset(offset)))
