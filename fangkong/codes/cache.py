"""A per-process cache of health codes and venues for the busiest endpoints (scans, code checks).

An entry is used only while the database's status version is the one it was computed under and the
code's own `changes_at` has not come: any write to a table that decides a code (codes.models.
WATCHED_TABLES, enforced by triggers, so no writer can forget) changes the version. SQLite keeps the
version in a row read per request (a few µs); PostgreSQL triggers send a NOTIFY at commit, counted by
a listener thread, so writers never wait on each other; if the listener dies the cache is bypassed.
The version is read before an entry is computed, so a write racing the computation only makes the
entry stale sooner, never wrong. On SQLite the row is read at most once a millisecond: an answer
reflects every commit older than that. On PostgreSQL a write committed by this process also counts at once
(a notification takes a moment to arrive), so a client reads its own write back.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from fangkong.codes.service import CodeView, person_code
from fangkong.db.core import get_engine, session_scope
from fangkong.errors import NotFound
from fangkong.people.models import Venue
from fangkong.protocol.edition import Edition, load_edition
from fangkong.zones import service as zone_service

__all__ = ["CodeBook", "Hit", "code_book"]

_MAX_ENTRIES = 1_000_000
#: SQLite: the version row is read at most this often (a busy gate server reads it once per ~2 requests)
_RECHECK_S = 0.001
#: writes committed by this process (PostgreSQL: counted before their notification arrives)
_local_writes = 0


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _ctx) -> None:
    session.info["fangkong.wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["fangkong.wrote"] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _local_writes
    if session.info.pop("fangkong.wrote", False):
        _local_writes += 1


@dataclass(frozen=True)
class Hit:
    code: CodeView
    venue_sealed: bool | None   # None when no venue was asked for


class _Listener(threading.Thread):
    """PostgreSQL: counts `fangkong_status` notifications (each is a committed write to a watched table)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="code-cache-listener", daemon=True)
        import psycopg

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("LISTEN fangkong_status")   # before the first entry is cached
        self.generation = 0
        self.alive = True
        self.start()

    def run(self) -> None:
        try:
            for _ in self.conn.notifies():
                self.generation += 1
        except Exception:  # noqa: BLE001 - a lost listener must only switch the cache off
            self.alive = False


class CodeBook:
    def __init__(self, engine: Engine, *, edition: Edition, tz: ZoneInfo) -> None:
        self.engine, self.edition, self.tz = engine, edition, tz
        self._people: dict[str, tuple[object, CodeView]] = {}
        self._venues: dict[str, tuple[object, bool]] = {}
        self._venues_at: object = None
        self._listener = _Listener(engine) if engine.dialect.name == "postgresql" else None
        if self._listener is None:   # one open connection for the per-request version read: ~2 µs
            self._vconn = sqlite3.connect(engine.url.database, check_same_thread=False, isolation_level=None)
            self._vlock = threading.Lock()
            self._vlast, self._vread = 0, -1.0

    def version(self) -> object | None:
        """The current status version; None means "do not trust the cache"."""
        if self._listener is not None:
            return (self._listener.generation, _local_writes) if self._listener.alive else None
        t = time.monotonic()
        if t - self._vread < _RECHECK_S:
            return self._vlast
        with self._vlock:
            row = self._vconn.execute("SELECT v FROM status_version WHERE id = 1").fetchone()
        self._vlast, self._vread = (row[0] if row else 0), t
        return self._vlast

    def cached(self, person_id: str, venue_id: str | None, now: datetime) -> Hit | None:
        """The person's code (and the venue's sealed flag) if both are cached and current, else None."""
        v = self.version()
        if v is None:
            return None
        p = self._people.get(person_id)
        if p is None or p[0] != v or (p[1].changes_at is not None and now >= p[1].changes_at):
            return None
        if venue_id is None:
            return Hit(p[1], None)
        s = self._venues.get(venue_id)
        if s is None or s[0] != v:
            return None
        return Hit(p[1], s[1])

    def load(self, person_id: str, venue_id: str | None, now: datetime) -> Hit:
        """Compute what is not cached from the records (NotFound for an unknown person or venue) and remember
        it; a venue miss loads every venue at once (a city has far fewer venues than people)."""
        v = self.version()
        with session_scope(self.engine) as session:
            sealed = None
            if venue_id is not None:
                s = self._venues.get(venue_id)
                if (s is None or s[0] != v) and (v is None or self._venues_at != v):
                    # reloaded once per version: an unknown venue id cannot make every request reload
                    s = self._load_venues(session, v).get(venue_id)
                if s is None:
                    raise NotFound(f"unknown venue {venue_id!r}")
                sealed = s[1]
            p = self._people.get(person_id)
            if p is None or p[0] != v or (p[1].changes_at is not None and now >= p[1].changes_at):
                p = (v, person_code(session, person_id, edition=self.edition, now=now, tz=self.tz))
                if v is not None:
                    if len(self._people) > _MAX_ENTRIES:
                        self._people.clear()
                    self._people[person_id] = p
        return Hit(p[1], sealed)

    def _load_venues(self, session: Session, v: object) -> dict[str, tuple[object, bool]]:
        sealed = zone_service.sealed_venues(session)
        fresh = {vid: (v, vid in sealed) for vid in session.scalars(select(Venue.venue_id))}
        if v is not None:   # without a trustworthy version the answer serves this request only
            self._venues, self._venues_at = fresh, v
        return fresh


@lru_cache
def code_book(database_url: str, edition: str, tz: str) -> CodeBook:
    """The process's cache for the current database (keyed by its URL), edition and time zone."""
    return CodeBook(get_engine(), edition=load_edition(edition), tz=ZoneInfo(tz))
