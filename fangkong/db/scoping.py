"""Jurisdiction scoping in the data layer: every query of a scoped session sees only its subtree.

A session bound to a principal (fangkong.db.scope.bind) carries the principal's jurisdiction prefix. Every
SELECT, UPDATE and DELETE it executes (ORM or Core) gets a WHERE clause on its primary table, from the rules
of fangkong.models.scoping, so no service can forget it: a record outside the subtree is simply not there
(NotFound), a list or a count leaves it out. What a visible record links to (a risk person's case, a measure's
person) is loaded with it: the rows are scoped, not every join.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import ColumnElement, FromClause, Join, Select, event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.selectable import Alias

from fangkong.db.audit import audit
from fangkong.db.scope import SCOPE_KEY

__all__ = ["RULES", "counting", "cut", "unscoped", "use"]

#: table name → its WHERE clause for prefix p; given by the models registry above the domains, which alone knows
#: every domain's tables (fangkong.models.scoping)
RULES: dict[str, Callable[[FromClause, str], ColumnElement]] = {}


def use(rules: Mapping[str, Callable[[FromClause, str], ColumnElement]]) -> None:
    """Cut scoped sessions' queries by these rules (fangkong.models calls it once, when imported)."""
    RULES.clear()
    RULES.update(rules)


def _primary(f: FromClause) -> FromClause:
    while isinstance(f, Join):
        f = f.left
    return f


def _name_of(f: FromClause) -> str | None:
    if isinstance(f, Alias):
        f = f.element
    return getattr(f, "name", None)


def _cut(stmt: Select, p: str) -> Select:
    criteria = [RULES[name](f, p) for f in map(_primary, stmt.get_final_froms()) if (name := _name_of(f)) in RULES]
    return stmt.where(*criteria) if criteria else stmt


def cut(session: Session, stmt: Select) -> Select:
    """`stmt` cut to the session's jurisdiction now, as running it would cut it: for a statement wrapped in another
    before it runs (a count over its subquery: the hook sees the outer statement's FROM, the subquery, and no
    table of the rules; the board counted the whole city's risk persons for a verifier of one community)."""
    p = session.info.get(SCOPE_KEY)
    return _cut(stmt, p) if p else stmt


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    p = state.session.info.get(SCOPE_KEY)
    if not p or state.is_relationship_load or state.execution_options.get("fangkong_unscoped"):
        return
    if not RULES:  # a scoped session must never see everything because the rules were not given
        raise RuntimeError("no jurisdiction rules: import fangkong.models before a scoped session queries")
    stmt = state.statement
    if state.is_select and isinstance(stmt, Select):
        state.statement = _cut(stmt, p)
    elif state.is_update or state.is_delete:
        table = stmt.table
        if (name := _name_of(table)) in RULES:
            state.statement = stmt.where(RULES[name](table, p))


class unscoped:
    """`with unscoped(session, step):` a system step that must see the whole deployment (tracing a case finds
    contacts wherever they live); what it returns to the user is scoped again by the caller's reads. Done for a
    user whose jurisdiction is smaller, it is a read outside that user's usual scope: logged (read.unscoped)."""

    def __init__(self, session: Session, step: str = "system step") -> None:
        self.session, self.step = session, step

    def __enter__(self) -> Session:
        self.saved = self.session.info.pop(SCOPE_KEY, None)
        if self.saved is not None:
            audit(self.session, "system", "read.unscoped", "scope", self.saved, after={"step": self.step[:200]})
        return self.session

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            self.session.info[SCOPE_KEY] = self.saved


@contextmanager
def counting(session: Session) -> Iterator[Session]:
    """`with counting(session):` kept counts (a round's figures, the persons per community) are counted over the
    whole store whoever's write changes them: a count restricted to the writer's jurisdiction would be stored for
    everyone. Nothing counted here is returned to the writer, so it is not logged as a read (unlike `unscoped`)."""
    saved = session.info.pop(SCOPE_KEY, None)
    try:
        yield session
    finally:
        if saved is not None:
            session.info[SCOPE_KEY] = saved
