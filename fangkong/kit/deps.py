"""FastAPI dependencies: one session per request, committed by the request (services never commit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from fangkong.db import scoping  # noqa: F401 - installs the jurisdiction scope on every ORM query
from fangkong.db.core import session_scope
from fangkong.db.scope import ANONYMOUS, Principal, bind, current_principal
from fangkong.settings import Settings, get_settings

__all__ = ["CurrentUser", "LangDep", "Page", "SessionDep", "SettingsDep", "actor_of"]


def _session() -> Iterator[Session]:
    """The request's session, cut to the signed-in user's jurisdiction (fangkong.db.scoping)."""
    with session_scope() as session:
        principal = current_principal()
        yield bind(session, principal if principal is not ANONYMOUS else None)


def _principal() -> Principal:
    # the auth middleware has already answered 401/403 where due; public routes get the anonymous principal
    return current_principal() or ANONYMOUS


def actor_of(session: Session, default: str = "api") -> str:
    """Who writes through this session: the signed-in user's name (audit trails, decided_by columns)."""
    return session.info.get("actor") or default


# committed before the response is sent (scope="function"): a client that got its answer can read its
# write back at once, and a failed commit is an error answer, not a write silently lost after a 200
SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CurrentUser = Annotated[Principal, Depends(_principal)]


class _Page:
    def __init__(self, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> None:
        self.limit, self.offset = limit, offset


Page = Annotated[_Page, Depends()]
LangDep = Annotated[str, Query(pattern="^(zh|en)$")]
