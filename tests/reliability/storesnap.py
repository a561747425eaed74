"""What a store holds, as counts and content hashes: two imports that leave the same snapshot left the same data.

Record tables are compared on their FORMATS.md columns (not surrogate ids or import times); the lake on
the sorted rows of every day partition.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
from sqlalchemy import text

from fangkong.db.core import get_engine
from fangkong.kit.clikit import unit_of_work
from fangkong.lake import store
from fangkong.lake.schemas import TABLES
from fangkong.models import Base

_RECORDS = {
    "persons": "SELECT person_id, name, id_number, phone, household_id, community, address, birth_date, sex "
               "FROM person",
    "venues": "SELECT venue_id, name, kind, lat, lon, community FROM venue",
    "samples": "SELECT t.tube_id, t.kind, t.members, p.person_id, s.sampled_at FROM sample s "
               "JOIN tube t ON t.id = s.tube_fk JOIN person p ON p.id = s.person_fk",
    "lab_results": "SELECT t.tube_id, r.result, r.ct_orf1ab, r.ct_n, r.received_at, r.tested_at, r.reported_at "
                   "FROM lab_result r JOIN tube t ON t.id = r.tube_fk",
    "source_keys": "SELECT key, linked_by FROM person_source_key",
    "phones": "SELECT p.person_id, ph.phone FROM person_phone ph JOIN person p ON p.id = ph.person_fk",
}


def _digest(rows) -> str:
    h = hashlib.sha256()
    for r in sorted(tuple("" if v is None else str(v) for v in row) for row in rows):
        h.update(repr(r).encode())
    return h.hexdigest()[:16]


def records() -> dict[str, tuple[int, str]]:
    out = {}
    with unit_of_work() as s:
        for name, sql in _RECORDS.items():
            rows = s.execute(text(sql)).all()
            out[name] = (len(rows), _digest(rows))
    return out


def lake(root: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for table in TABLES:
        files = store.all_files(root, table)
        rows = duckdb.sql(f"SELECT * FROM read_parquet({files!r}, hive_partitioning=true)").fetchall() if files else []
        out[table] = (len(rows), _digest(rows))
    return out


def snapshot(settings) -> dict[str, tuple[int, str]]:
    return records() | {f"lake.{k}": v for k, v in lake(settings.lake).items()}


#: as tests/conftest.py (imported by name, `conftest` may be another folder's conftest in a full run)
PG_ADMIN_URL = os.environ.get("FANGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def wipe_records() -> None:
    """Empty every table of the current database."""
    with get_engine().begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
