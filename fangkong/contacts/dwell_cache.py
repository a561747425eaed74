"""Each venue's default dwell (the edition's minutes by venue kind) as the table the lake queries join, kept per
process and beside the lake."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pyarrow as pa
from pyarrow import feather
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.lake.queries import Lake
from fangkong.people.models import Venue
from fangkong.protocol.edition import Edition

__all__ = ["cache_dir", "dwell_table"]


_DWELLS: dict[tuple, pa.Table] = {}


def dwell_table(session: Session, edition: Edition, cache: Path | None = None) -> pa.Table:
    """(venue_id, default dwell in seconds) of every venue, kept per process while the venues stay the same: a
    city has ~100 000 venues, and loading them cost more than the rest of a trace. A venue's kind is never
    changed (an import reports a conflicting row and keeps the stored one) and venues are only added, so the
    count, the lowest and highest ids and their venue_ids, and the count per kind tell whether the venues
    changed (they differ after a store is emptied and refilled, as tests do). With `cache` (a folder of the
    lake) the table is also kept on disk, so a new process does not load the venues again."""
    count, lo, hi = session.execute(select(func.count(Venue.id), func.min(Venue.id), func.max(Venue.id))).one()
    ends = tuple(session.scalars(select(Venue.venue_id).where(Venue.id.in_([lo, hi])).order_by(Venue.id))) \
        if count else ()
    key = (str(session.get_bind().engine.url), tuple(sorted(edition.dwell_min.items())), count, lo, hi, ends)
    table = _DWELLS.get(key)
    if table is not None:
        return table
    path = None
    if cache is not None:  # on disk, the count per kind too (a store refilled differently between processes)
        kinds_count = tuple(tuple(r) for r in session.execute(
            select(Venue.kind, func.count(Venue.id)).group_by(Venue.kind).order_by(Venue.kind)))
        path = cache / f"dwell-{hashlib.sha256(repr((key, kinds_count)).encode()).hexdigest()[:24]}.arrow"
    if path is not None and path.is_file():
        try:
            table = feather.read_table(path)
        except (OSError, pa.ArrowException):  # a torn or foreign file: load from the records
            table = None
    if table is None:
        ids, kinds = [], []
        for venue_id, kind in session.execute(select(Venue.venue_id, Venue.kind)):
            ids.append(venue_id)
            kinds.append(kind)
        minutes = {k: edition.dwell_for(k) * 60 for k in set(kinds)}
        table = pa.table({"venue_id": pa.array(ids, pa.string()),
                          "dwell_s": pa.array([minutes[k] for k in kinds], pa.int64())})
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob("dwell-*.arrow"):
                    old.unlink(missing_ok=True)
                tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
                feather.write_feather(table, tmp)
                os.replace(tmp, path)
            except OSError:  # a read-only lake: kept in this process only
                pass
    _DWELLS.clear()
    _DWELLS[key] = table
    return table


def cache_dir(lake: Lake) -> Path | None:
    """Derived tables kept beside the lake's data (never read as lake rows: not a table folder)."""
    root = getattr(lake, "root", None)
    return Path(root) / "_cache" if root is not None else None
