"""FastAPI dependencies: one session per request, committed by the request (services never commit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from fangkong.db.core import session_scope
from fangkong.settings import Settings, get_settings

__all__ = ["SessionDep", "SettingsDep", "Page", "LangDep"]


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# committed before the response is sent (scope="function"): a client that got its answer can read its
# write back at once, and a failed commit is an error answer, not a write silently lost after a 200
SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class _Page:
    def __init__(self, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> None:
        self.limit, self.offset = limit, offset


Page = Annotated[_Page, Depends()]
LangDep = Annotated[str, Query(pattern="^(zh|en)$")]
