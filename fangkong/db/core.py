"""Engine and session for the record store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from fangkong.protocol import times
from fangkong.settings import get_settings

__all__ = [
    "Base",
    "JSONType",
    "UTCDateTime",
    "engine_for",
    "get_engine",
    "request_limits",
    "restart_clock",
    "session_scope",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on both SQLite (no tz support) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON


#: FANGKONG_NOW → its offset from real time, fixed the first time that value is seen: the drill clock runs on
_OFFSETS: dict[datetime, timedelta] = {}


def utcnow() -> datetime:
    """The deployment's clock: real time, or, with FANGKONG_NOW set (drills, training, the demo), a clock that
    starts at that instant when the process first reads it and runs on from there at real speed."""
    real = datetime.now(UTC)
    start = get_settings().now
    if start is None:
        return real
    offset = _OFFSETS.get(start)
    if offset is None:
        offset = _OFFSETS.setdefault(start, start - real)
    return real + offset


def restart_clock() -> None:
    """Forget where the FANGKONG_NOW clocks have run to: the next read starts each again at its instant (a test
    or a drill that sets an instant already used earlier in this process starts there, not minutes later)."""
    _OFFSETS.clear()


times.use_clock(utcnow)   # the plausible-time checks of every API schema read the deployment's clock


def engine_for(url: str, *, pool_size: int | None = None, max_overflow: int | None = None,
               pool_timeout: float | None = None) -> Engine:
    """An engine for the store; the pool's bounds from the settings unless given (a file or server store)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    pool = {}
    if not url.startswith("sqlite:///:memory:") and url != "sqlite://":
        s = get_settings()
        pool = {"pool_size": s.db_pool_size if pool_size is None else pool_size,
                "max_overflow": s.db_max_overflow if max_overflow is None else max_overflow,
                "pool_timeout": s.db_pool_timeout if pool_timeout is None else pool_timeout}
    engine = create_engine(url, **pool)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_statement_start)
        event.listen(engine, "checkin", _sqlite_no_deadline)
    return engine


#: bytes of WAL file kept after a checkpoint (SQLite's journal_size_limit)
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # a bad day's trace writes gigabytes in one transaction (bench/RESULTS.md)
    # and the WAL file kept that size after its checkpoint; this truncates it back to 64 MB when it is reset
    cur.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    cur.close()


#: SQLite has no statement_timeout: a read's connection gets a progress handler, called every this many virtual
#: machine instructions (well under a millisecond), that interrupts the statement once its time is up
_PROGRESS_STEPS = 10_000
#: connection.info keys: the time-out of the session that holds the connection, the running statement's deadline
_SQLITE_TIMEOUT, _SQLITE_DEADLINE = "fangkong.sqlite_timeout_s", "fangkong.sqlite_deadline"


def _sqlite_arm(connection, seconds: float) -> None:
    """A statement time-out of `seconds` on this SQLite connection (0: none) for the session that holds it."""
    info, raw = connection.info, connection.connection.dbapi_connection
    if seconds:
        info[_SQLITE_TIMEOUT], info[_SQLITE_DEADLINE] = seconds, None
        raw.set_progress_handler(lambda: _sqlite_overdue(info), _PROGRESS_STEPS)
    elif info.pop(_SQLITE_TIMEOUT, None):
        raw.set_progress_handler(None, 0)


def _sqlite_overdue(info: dict) -> int:
    """The progress handler: non-zero interrupts the statement (sqlite3.OperationalError: interrupted)."""
    deadline = info.get(_SQLITE_DEADLINE)
    return 1 if deadline is not None and time.monotonic() > deadline else 0


def _sqlite_statement_start(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
    seconds = conn.info.get(_SQLITE_TIMEOUT)
    if seconds:
        conn.info[_SQLITE_DEADLINE] = time.monotonic() + seconds


def _sqlite_no_deadline(dbapi_conn, record) -> None:
    """Back in the pool: the next session (a write, the CLI) must not inherit a read's time-out."""
    if record.info.pop(_SQLITE_TIMEOUT, None):
        record.info.pop(_SQLITE_DEADLINE, None)
        dbapi_conn.set_progress_handler(None, 0)


@lru_cache
def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


#: set by the edge guard (fangkong/edge.py) for one request: a public route's sessions take the public pool, so
#: a flood of citizens cannot take the connections staff work needs; a read gets a statement time-out
_PUBLIC: ContextVar[bool] = ContextVar("fangkong_public_pool", default=False)
_STATEMENT_TIMEOUT: ContextVar[float] = ContextVar("fangkong_statement_timeout", default=0.0)
_public_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


@contextmanager
def request_limits(*, public: bool, statement_timeout: float) -> Iterator[None]:
    """The pool and statement time-out (seconds, 0 = none) of every session opened in this context; the CLI
    (imports, trace) never enters one, so it has neither bound."""
    tokens = _PUBLIC.set(public), _STATEMENT_TIMEOUT.set(statement_timeout)
    try:
        yield
    finally:
        _PUBLIC.reset(tokens[0])
        _STATEMENT_TIMEOUT.reset(tokens[1])


def _public_twin(engine: Engine) -> Engine:
    """The small pool beside a staff engine for the public routes (same store, its own connections)."""
    twin = _public_engines.get(engine)
    if twin is None:
        s = get_settings()
        twin = engine_for(engine.url.render_as_string(hide_password=False), pool_size=s.public_pool_size,
                          max_overflow=0, pool_timeout=s.public_pool_timeout)
        twin = _public_engines.setdefault(engine, twin)
    return twin


@event.listens_for(Session, "after_begin")
def _statement_timeout(session: Session, _transaction, connection) -> None:
    ms = session.info.get("fangkong.statement_timeout_ms")
    if connection.dialect.name == "sqlite":   # every session arms or disarms its connection (pooled, reused)
        _sqlite_arm(connection, (ms or 0) / 1000)
    elif ms and connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(ms)}")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits at the end, rolls back on error (services never commit)."""
    engine = engine or get_engine()
    if _PUBLIC.get() and engine is get_engine():
        engine = _public_twin(engine)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    if timeout := _STATEMENT_TIMEOUT.get():
        session.info["fangkong.statement_timeout_ms"] = timeout * 1000
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
