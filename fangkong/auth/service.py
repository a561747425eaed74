"""Users, passwords, tokens and server-side page sessions; who a request is; the audit log's queries."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pwdlib import PasswordHash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fangkong.auth import credentials
from fangkong.auth.models import ApiToken, AuthSession, Device, User
from fangkong.db.audit import AuditEntry, audit
from fangkong.db.core import Base, utcnow
from fangkong.db.scope import Principal, acting
from fangkong.errors import Conflict, Forbidden, InvalidInput, NotFound
from fangkong.kit.i18n import t
from fangkong.protocol import contacts as contact_rules
from fangkong.protocol.passwords import password_problem
from fangkong.protocol.roles import ROLES, normalise_code, permissions_of, scope_prefix

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_MAX_AGE",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "audit_entries",
    "TOKEN_CACHE_TTL",
    "authenticate",
    "cached_token_principal",
    "check_password",
    "create_user",
    "credential_exists",
    "device_cookie",
    "device_proves",
    "get_user",
    "issue_token",
    "list_users",
    "principal_for_cookie",
    "end_session",
    "get_token",
    "principal_for_token",
    "principal_of",
    "revoke_token",
    "start_session",
    "token_used",
    "tokens_of",
    "update_user",
]

SESSION_COOKIE = "fangkong_session"
SESSION_MAX_AGE = 12 * 3600
_hasher = PasswordHash.recommended()
# verifying against a dummy hash for unknown users keeps the answer time the same (no username probing)
# (a constant made once with PasswordHash.recommended(): hashing it at import cost every command and server start
# 0.1-0.9 s, issue 27; a check against it costs what a check against a user's hash costs)
_DUMMY = "$argon2id$v=19$m=65536,t=3,p=4$BALYfRwjDZKl7myTTcbKdg$li5KlWRE7RZHb6m0lNYZy8d/zm5WpbiCCNwsNIjhtrY"


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check(role: str, jurisdiction: str | None, password: str | None, username: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLES)}", key="err_unknown_role", params={"role": role})
    try:
        code = normalise_code(jurisdiction)
    except ValueError as exc:
        raise InvalidInput(str(exc), key="err_bad_jurisdiction", params={"code": jurisdiction}) from None
    if password is not None:
        check_password(password, username)
    return code


def check_password(password: str, username: str) -> None:
    """InvalidInput (zh / en) unless the password meets the policy (fangkong.protocol.passwords)."""
    problem = password_problem(password, username)
    if problem is not None:
        raise InvalidInput(f"{t(problem, 'zh')} / {t(problem, 'en')}", key=problem)


def _person_fk(session: Session, role: str, person_id: str | None) -> int | None:
    """A citizen's account is bound to exactly one person; no other role is bound to one."""
    if role != "citizen":
        if person_id:
            raise InvalidInput("only a citizen's account is bound to a person", key="err_only_citizen_person")
        return None
    if not person_id:
        raise InvalidInput("a citizen's account needs the person it belongs to (--person)", key="err_citizen_needs_person")
    person = Base.metadata.tables["person"]   # the people domain sits above auth: its table, not its model
    fk = session.scalar(select(person.c.id).where(person.c.person_id == person_id))
    if fk is None:
        raise NotFound(f"unknown person {person_id!r}", key="err_unknown_person", params={"person": person_id})
    return fk


#: names a user may not have: /users/new is the form that creates one, not a user's page
RESERVED_NAMES = frozenset({"new"})


def create_user(session: Session, username: str, *, role: str, password: str, jurisdiction: str = "",
                person_id: str | None = None, email: str | None = None, phone: str | None = None,
                webhook: str | None = None, team: str | None = None) -> User:
    """A new user, made by the session's actor; the password is kept as an argon2 hash only. A citizen names
    the person they are. A staff user's contacts (e-mail, phone for SMS, webhook) and tracing team say where their
    notifications go (fangkong/jobs/notify.py)."""
    actor = acting(session)
    if username.lower() in RESERVED_NAMES:
        raise InvalidInput(f"the username {username!r} is reserved: it names a page (/users/{username.lower()})",
                           key="user_name_reserved", params={"name": username})
    code = _check(role, jurisdiction, password, username)
    contacts = _contacts(email=email, phone=phone, webhook=webhook, team=team)
    person_fk = _person_fk(session, role, person_id)
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput("a username is 1–64 letters, digits, '.', '_' or '-'", key="err_bad_username")
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user {username!r} exists", key="err_user_exists", params={"user": username})
    user = User(username=username, password_hash=_hasher.hash(password), role=role, jurisdiction=code,
                active=True, created_by=actor, person_fk=person_fk, **contacts)
    session.add(user)
    session.flush()
    audit(session, actor, "user.create", "user", username, after=_public(user))
    return user


def _contacts(**given: str | None) -> dict[str, str | None]:
    """The contact fields given (None = not given), checked; '' clears one. Keys as the User's columns."""
    out = {}
    for name, value in given.items():
        if value is None:
            continue
        try:
            out["team_id" if name == "team" else name] = getattr(contact_rules, name)(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), key="err_bad_contact", params={"field": name}) from None
    return out


def _public(user: User) -> dict:
    out = {"username": user.username, "role": user.role, "jurisdiction": user.jurisdiction, "active": user.active}
    contacts = {"email": user.email, "phone": user.phone, "team_id": user.team_id,
                # a robot's URL carries its key: the audit says where it points, not the key
                "webhook": urlsplit(user.webhook).hostname if user.webhook else None}
    return out | ({"person_fk": user.person_fk} if user.person_fk else {}) | {k: v for k, v in contacts.items() if v}


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user {username!r}", key="err_unknown_user", params={"user": username})
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def update_user(session: Session, user: User, *, role: str | None = None,
                jurisdiction: str | None = None, active: bool | None = None, password: str | None = None,
                email: str | None = None, phone: str | None = None, webhook: str | None = None,
                team: str | None = None) -> User:
    """Change a user's role, jurisdiction, password, active flag or contacts ('' clears one) (audited; a
    password is never logged)."""
    _forget_tokens()   # this process's cached principals may carry the old role or jurisdiction
    before = _public(user)
    code = _check(role or user.role, user.jurisdiction if jurisdiction is None else jurisdiction, password,
                  user.username)
    contacts = _contacts(email=email, phone=phone, webhook=webhook, team=team)
    user.role, user.jurisdiction = role or user.role, code
    for name, value in contacts.items():
        setattr(user, name, value)
    if active is not None:
        user.active = active
    if password is not None:
        user.password_hash = _hasher.hash(password)
    if active is False or password is not None:  # a disabled user or a new password: old tokens stop working
        for token in session.scalars(select(ApiToken).where(ApiToken.user_fk == user.id,
                                                            ApiToken.revoked_at.is_(None))):
            token.revoked_at = utcnow()
        session.execute(delete(AuthSession).where(AuthSession.user_fk == user.id))  # and every page session
    after = _public(user) | ({"password": "changed"} if password is not None else {})
    audit(session, acting(session), "user.update", "user", user.username, before=before, after=after)
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this password, or Forbidden (the same answer for a wrong name or password)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _hasher.verify(password, _DUMMY)
        raise Forbidden("wrong username or password", key="err_wrong_login")
    ok, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not ok:
        raise Forbidden("wrong username or password", key="err_wrong_login")
    if new_hash:
        user.password_hash = new_hash
    return user


def issue_token(session: Session, user: User, *, label: str | None = None, days: float | None = 30) -> str:
    """A new bearer token for the user; only its hash is stored, the token is shown once."""
    raw = credentials.mint("fk_")   # signed: a forged one is refused before any look-up (auth/credentials.py)
    expires = utcnow() + timedelta(days=days) if days else None
    session.add(ApiToken(token_hash=_token_hash(raw), user_fk=user.id, label=label, expires_at=expires))
    audit(session, user.username, "token.issue", "user", user.username, after={"label": label,
                                                                                "expires_at": str(expires)})
    return raw


def principal_of(user: User) -> Principal:
    # a citizen's account stripped of its person (merged away) keeps no rights: it would otherwise be no one
    perms = permissions_of(user.role) if user.role != "citizen" or user.person_id else frozenset()
    return Principal(username=user.username, role=user.role, prefix=scope_prefix(user.role, user.jurisdiction),
                     permissions=perms, person_id=user.person_id if user.role == "citizen" else None)


#: seconds a process answers a user's bearer token from its own cache before reading the token again: a token
#: revoked (or its user changed) by another process, or the CLI, stops working there within this bound; one
#: revoked by this process stops at once. A script's burst of requests costs one look-up a second
TOKEN_CACHE_TTL = 1.0
_MAX_CACHED = 100_000
#: token hash → (principal, monotonic time its read began)
_token_cache: dict[str, tuple[Principal, float]] = {}
#: hashes of tokens revoked by this process: a read racing the revocation's commit must not cache them again
_revoked: set[str] = set()
#: bumped when a user is changed here (role, jurisdiction, password, disabled): a read begun before is not cached
_generation = [0]


def cached_token_principal(raw: str) -> Principal | None:
    """The principal of a user's bearer token from this process's cache (no I/O: callable on the event loop),
    or None (not cached, or cached longer than TOKEN_CACHE_TTL ago: read it again)."""
    hit = _token_cache.get(_token_hash(raw))
    if hit is None or time.monotonic() - hit[1] > TOKEN_CACHE_TTL:
        return None
    return hit[0]


def _forget_tokens(*hashes: str) -> None:
    """Revoked here: out of the cache at once, and never cached again by this process."""
    _generation[0] += 1
    if not hashes:
        _token_cache.clear()
        return
    if len(_revoked) >= _MAX_CACHED:
        _revoked.clear()   # the records say revoked anyway: this only closes a race of a second
    for h in hashes:
        _token_cache.pop(h, None)
        _revoked.add(h)


def principal_for_token(session: Session, raw: str, now: datetime | None = None) -> Principal | None:
    token_hash = _token_hash(raw)
    read_at, generation = time.monotonic(), _generation[0]   # before the read: a change meanwhile wins
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    now = now or utcnow()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at < now) or not token.user.active \
            or token_hash in _revoked:
        _token_cache.pop(token_hash, None)
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USE_STEP:
        token.last_used_at = now
    principal = principal_of(token.user)
    if generation == _generation[0] and (token.expires_at is None
                                          or token.expires_at - now > timedelta(seconds=TOKEN_CACHE_TTL)):
        if len(_token_cache) >= _MAX_CACHED:
            _token_cache.clear()
        _token_cache[token_hash] = (principal, read_at)
    return principal


def credential_exists(session: Session, kind: str, raw: str) -> bool:
    """The records hold this bearer token, device token ("bearer") or page session ("cookie"), in any state."""
    h = _token_hash(raw)
    if kind == "cookie":
        q = select(AuthSession.id).where(AuthSession.session_hash == h)
    elif raw.startswith("fkd_"):
        q = select(Device.id).where(Device.token_hash == h)
    else:
        q = select(ApiToken.id).where(ApiToken.token_hash == h)
    return session.scalar(q.limit(1)) is not None


#: the last use of a token is written at most this often (a script's every request would be a write)
_LAST_USE_STEP = timedelta(minutes=1)


def token_used(session: Session, raw: str) -> ApiToken | None:
    """The token row of a raw bearer token (whatever its state)."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(raw)))


def tokens_of(session: Session, username: str, now: datetime | None = None) -> list[ApiToken]:
    """A user's tokens that still work, newest first (never the token itself: only its hash is kept)."""
    now = now or utcnow()
    q = (select(ApiToken).join(User, ApiToken.user_fk == User.id)
         .where(User.username == username, ApiToken.revoked_at.is_(None))
         .where((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
         .order_by(ApiToken.id.desc()))
    return list(session.scalars(q))


def get_token(session: Session, token_id: int, *, owner: str | None = None) -> ApiToken:
    """A token by id; with `owner`, only one of that user's (another's is not found: ids are not secrets)."""
    token = session.get(ApiToken, token_id)
    if token is None or owner is not None and token.user.username != owner:
        raise NotFound(f"no token {token_id}")
    return token


def revoke_token(session: Session, token: ApiToken) -> ApiToken:
    """The token stops working at once (audited); revoking a revoked token changes nothing."""
    _forget_tokens(token.token_hash)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit(session, acting(session), "token.revoke", "user", token.user.username,
              after={"token_id": token.id, "label": token.label})
    return token


def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """A new page session for the user: the cookie's value (random; only its hash is stored)."""
    now = now or utcnow()
    raw = credentials.mint("s_")
    # the user's sessions that ended long ago are forgotten here, so the table does not grow
    session.execute(delete(AuthSession).where(AuthSession.user_fk == user.id, AuthSession.expires_at < now))
    session.add(AuthSession(session_hash=_token_hash(raw), user_fk=user.id, created_at=now,
                            expires_at=now + timedelta(seconds=SESSION_MAX_AGE)))
    return raw


def end_session(session: Session, raw: str | None) -> str | None:
    """Logout: the session of this cookie ends at once; its user's name, or None when there was none."""
    if not raw:
        return None
    row = session.scalar(select(AuthSession).where(AuthSession.session_hash == _token_hash(raw)))
    if row is None:
        return None
    username = row.user.username
    session.delete(row)
    return username


def principal_for_cookie(session: Session, value: str, now: datetime | None = None) -> Principal | None:
    """The principal of a live page session: not logged out, not expired, its user still active."""
    row = session.scalar(select(AuthSession).where(AuthSession.session_hash == _token_hash(value)))
    if row is None or row.revoked_at or row.expires_at < (now or utcnow()) or not row.user.active:
        return None
    return principal_of(row.user)


#: a browser or client that signed in to an account before carries this; the login's account-wide limit
#: spares it (fangkong.kit.ratelimit.check_login), so a crowd guessing the account cannot lock its owner out
DEVICE_COOKIE = "fangkong_device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def device_cookie(username: str, secret: str) -> str:
    """The signed proof that this client once signed in to `username` (no secret in it, nothing to steal)."""
    return URLSafeTimedSerializer(secret, salt="fangkong-device").dumps({"u": username.strip().lower()})


def device_proves(value: str | None, username: str, secret: str) -> bool:
    """The device cookie is ours, recent, and names this account."""
    if not value:
        return False
    try:
        data = URLSafeTimedSerializer(secret, salt="fangkong-device").loads(value, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == username.strip().lower()


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
