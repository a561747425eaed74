"""Who is asking: the principal of the current request (a context variable) and its jurisdiction scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

__all__ = [
    "ACTOR_KEY",
    "ANONYMOUS",
    "SCOPE_KEY",
    "Principal",
    "acting",
    "acting_as",
    "bind",
    "current_principal",
    "reset_principal",
    "scope_of",
    "set_principal",
]

SCOPE_KEY = "scope"
ACTOR_KEY = "actor"


@dataclass(frozen=True)
class Principal:
    """A signed-in user (or the anonymous caller of a public route)."""

    username: str
    role: str
    #: the significant prefix of the user's jurisdiction; None = the whole deployment
    prefix: str | None
    permissions: frozenset[str] = field(default_factory=frozenset)
    #: this request asked to see personal data unmasked, was allowed, and was audited
    unmask: bool = False
    #: a citizen: the one person they are (their own code, their own scans); None for staff and devices
    person_id: str | None = None
    #: a venue's scanning device: the venue its scans are recorded at
    venue_id: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def unmasked(self) -> Principal:
        return replace(self, unmask=True)


#: public routes (venue scans, own health code, check-in links): no staff permission, masked output
ANONYMOUS = Principal(username="anonymous", role="anonymous", prefix=None)

_current: ContextVar[Principal | None] = ContextVar("fangkong_principal", default=None)


def current_principal() -> Principal | None:
    """None outside a request: the CLI and jobs run as the local operator (whole deployment, unmasked)."""
    return _current.get()


def set_principal(principal: Principal | None):
    return _current.set(principal)


def reset_principal(token) -> None:
    _current.reset(token)


def bind(session: Session, principal: Principal | None, actor: str | None = None) -> Session:
    """Cut every ORM query of `session` to the principal's jurisdiction and make it the actor of its writes."""
    if principal is not None:
        session.info[SCOPE_KEY] = principal.prefix
        session.info[ACTOR_KEY] = principal.username
    elif actor:
        session.info[ACTOR_KEY] = actor
    return session


def scope_of(session: Session) -> str | None:
    """The jurisdiction prefix the session's queries are cut to (None = everything)."""
    return session.info.get(SCOPE_KEY)


def acting(session: Session) -> str:
    """Who writes through this session, for audit trails and decided_by columns: the signed-in user (bind, for
    every request), the CLI's operator or --by (clikit.unit_of_work), "system" for a job bound to nobody.
    Services read it here instead of taking an `actor` parameter (STYLE.md rule 11)."""
    return session.info.get(ACTOR_KEY) or "system"


@contextmanager
def acting_as(session: Session, actor: str) -> Iterator[Session]:
    """`with acting_as(session, name):` a step done by `name` when nobody acts through the session (a public
    route's system step, a test's or benchmark's set-up); a session with a signed-in user or a CLI operator
    keeps them. Restored afterwards, so the rest of the unit of work is unchanged."""
    saved = session.info.get(ACTOR_KEY)
    if saved is None:
        session.info[ACTOR_KEY] = actor
    try:
        yield session
    finally:
        if saved is None:
            session.info.pop(ACTOR_KEY, None)
