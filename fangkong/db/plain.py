"""The record store read with the DB-API alone (sqlite3, psycopg), without SQLAlchemy: for a light command's few
reads (`fangkong codes show`, issue 27), whose start-up would otherwise be the ORM's and its sixty mappers.
Read-only, and only a store at head: anything else (no store yet, one behind, an in-memory URL) is NotPlain, and
the caller takes the ORM path, which migrates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from fangkong.db.heads import plain_heads

__all__ = ["NotPlain", "PlainStore", "connect", "day", "instant"]


class NotPlain(Exception):
    """This store is not one read plainly: use the ORM path."""


class PlainStore:
    """One read-only connection; `rows` takes SQL with `?` placeholders on either store."""

    def __init__(self, conn, *, qmark: bool, error: type[Exception]) -> None:
        #: the driver's error class (sqlite3.Error, psycopg.Error): a read it raises can go the ORM way
        self.conn, self.qmark, self.Error = conn, qmark, error

    def rows(self, sql: str, params: tuple = ()) -> list[SimpleNamespace]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql if self.qmark else sql.replace("?", "%s"), params)
            names = [d[0] for d in cur.description]
            return [SimpleNamespace(**dict(zip(names, r, strict=True))) for r in cur.fetchall()]
        finally:
            cur.close()

    def at_head(self) -> bool:
        heads = plain_heads()
        try:
            stored = frozenset(r.version_num for r in self.rows("SELECT version_num FROM alembic_version"))
        except self.Error:  # no table: a new store, which the ORM path migrates
            return False
        return heads is not None and stored == heads

    def close(self) -> None:
        self.conn.close()


def connect(url: str) -> PlainStore:
    """A read-only connection to a SQLite file or a PostgreSQL server at head, else NotPlain."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        import sqlite3

        path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
        if not path.is_file():
            raise NotPlain(f"no store at {path}")
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=10)
        store = PlainStore(conn, qmark=True, error=sqlite3.Error)
    elif url.startswith(("postgresql://", "postgresql+psycopg://")):
        import psycopg

        conn = psycopg.connect("postgresql://" + url.split("://", 1)[1], autocommit=True)
        store = PlainStore(conn, qmark=False, error=psycopg.Error)
    else:
        raise NotPlain(f"not a store read plainly: {url.split(':', 1)[0]}")
    if not store.at_head():
        store.close()
        raise NotPlain("the store is not at head")
    return store


def instant(value) -> datetime | None:
    """A stored UTC instant (db.core.UTCDateTime: SQLite's text without offset, PostgreSQL's timestamptz) as an
    aware UTC datetime, as the ORM reads it."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(value) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(str(value)[:10])
