"""Risk persons from a trace's evidence, set-based: local DuckDB queries over Arrow tables.

A city-scale trace finds tens of thousands of companions per case, with several pieces of evidence
each; a Python object per piece cost more than all the lake queries together. So the evidence stays
columnar from the lake query to the record store: the phone's holder at the time, the highest category
per person, the evidence set as JSON text and the rows to store are computed here in one pass for every
case traced together. The answers are those of DOMAIN.md §4, the same as the per-row rules they replace
(tests/contacts compare them with brute force).

Every evidence table has the EVIDENCE schema: which trace (key), who ("p:<person_id>" of the resolved
person, or "t:<phone>" for a phone with no registered holder), the category's rank (0 = close), the
person's record (null for a phone only), the phone stored for a phone only, and the piece of evidence
(kind, via, place, [s, e] in epoch seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangkong.lake.duck import thread_connection
from fangkong.people import phones
from fangkong.protocol import who

__all__ = ["EVIDENCE", "SEEDS", "OWNERS", "evidence_table", "holders", "noise_filter", "by_person", "risk_rows",
           "iso_times"]

EVIDENCE = pa.schema([("key", pa.string()), ("who", pa.string()), ("rank", pa.int8()), ("person_fk", pa.int64()),
                      ("person_id", pa.string()), ("phone", pa.string()), ("household_id", pa.string()),
                      ("kind", pa.string()), ("via", pa.string()), ("place", pa.string()), ("s", pa.int64()),
                      ("e", pa.int64())])
#: one row per case traced: its key, the case's person record, person_id and phone
SEEDS = pa.schema([("key", pa.string()), ("case_fk", pa.int64()), ("case_person_fk", pa.int64()),
                   ("case_person_id", pa.string()), ("case_phone", pa.string())])
#: who may hold a phone over [vf, vt): people.phones.owner_candidates' rows
OWNERS = phones.OWNERS


@contextmanager
def _con(**tables: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    """This thread's DuckDB connection (kept: a new one costs ~20 ms, a trace runs three queries here) with
    `tables` registered under their names for the duration of the block."""
    con = thread_connection("assemble", lambda c: c.execute("SET threads = 2"))
    try:
        for name, t in tables.items():
            con.register(name, t)
        yield con
    finally:
        for name in tables:
            con.unregister(name)


def evidence_table(rows: list[tuple]) -> pa.Table:
    """EVIDENCE from tuples in its column order (the small categories, collected in Python)."""
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in EVIDENCE]
    return pa.table([pa.array(c, f.type) for c, f in zip(cols, EVIDENCE, strict=True)], schema=EVIDENCE)


def noise_filter(found: pa.Table, seeds: pa.Table, hours: pa.Table, min_hours: float) -> pa.Table:
    """Chengdu's filter on grid co-presence rows (key, person_id = phone, place, …): keep a cell only if the
    phone or the case's phone spent ≥ min_hours there (`hours`: key, person_id, place, hours)."""
    with _con(found=found, seeds=seeds, hours=hours) as con:
        return con.sql(f"""
        SELECT f.* FROM found f JOIN seeds s ON s.key = f.key
        LEFT JOIN hours h1 ON h1.key = f.key AND h1.person_id = f.person_id AND h1.place = f.place
        LEFT JOIN hours h2 ON h2.key = f.key AND h2.person_id = s.case_phone AND h2.place = f.place
        WHERE greatest(coalesce(h1.hours, 0), coalesce(h2.hours, 0)) >= {float(min_hours)!r}""").to_arrow_table()


def holders(found: pa.Table, seeds: pa.Table, owners: pa.Table, rank: int) -> pa.Table:
    """Grid co-presence rows (key, person_id = phone, place, s, e) → companion EVIDENCE: each phone's holder at
    the start of the overlap; the case's own phone and the case's own person are not companions."""
    with _con(found=found, seeds=seeds, owners=owners.cast(OWNERS)) as con:
        t = con.sql(f"""
        WITH f AS (
            SELECT f.key, f.person_id AS carrier, f.place, f.s, f.e, row_number() OVER () AS rid
            FROM found f JOIN seeds s ON s.key = f.key
            WHERE s.case_phone IS NULL OR f.person_id <> s.case_phone),
        m AS (
            SELECT f.*, o.person_fk, o.person_id, o.person_phone, o.household_id
            FROM f LEFT JOIN owners o ON o.phone = f.carrier AND o.vf <= f.s AND f.s < o.vt
            QUALIFY row_number() OVER (PARTITION BY f.rid ORDER BY o.prio, o.vf, o.person_fk) = 1)
        SELECT m.key,
               CASE WHEN m.person_fk IS NULL THEN '{who.PHONE}' || m.carrier
                    ELSE '{who.PERSON}' || m.person_id END AS who,
               {int(rank)}::TINYINT AS rank, m.person_fk, m.person_id,
               CASE WHEN m.person_fk IS NULL THEN m.carrier ELSE m.person_phone END AS phone, m.household_id,
               'grid' AS kind, s.case_person_id AS via, m.place, m.s, m.e
        FROM m JOIN seeds s ON s.key = m.key
        WHERE m.person_fk IS NULL OR m.person_fk <> s.case_person_fk""").to_arrow_table()
    return t.cast(EVIDENCE)


def by_person(parts: list[pa.Table], n: int) -> list[pa.Table]:
    """The evidence of `parts` cut into n tables by (key, who): every piece of one person's evidence in one table,
    so that each table's risk rows (risk_rows) are final and can be stored while the next table is assembled."""
    ev = pa.concat_tables([p.cast(EVIDENCE) for p in parts]) if parts else EVIDENCE.empty_table()
    if n <= 1 or ev.num_rows == 0:
        return [ev] + [ev.slice(0, 0)] * (n - 1)
    with _con(ev=ev) as con:
        part = con.sql(f"SELECT (hash(key, who) % {int(n)})::INTEGER AS part FROM ev").to_arrow_table()["part"]
    return [ev.filter(pc.equal(part, i)) for i in range(n)]


def iso_times(seconds: pa.Array | pa.ChunkedArray, tz: ZoneInfo) -> pa.Array:
    """Epoch seconds → the time in the zone as datetime.isoformat() writes it ('2022-03-01T10:00:00+08:00');
    each distinct time formatted once (a trace's evidence repeats the same cell boundaries).

    The zone's offset comes from zoneinfo, once per calendar day touched (at its first and last second): a
    day with one offset throughout is formatted in Arrow (local time = UTC + offset, cast to text), a day
    with a change of offset (a DST switch) value by value in Python. Arrow's own time-zone formatting was
    slower and does not extrapolate DST rules beyond 2037 the way zoneinfo does."""
    distinct = pc.unique(seconds)
    if len(distinct) == 0:
        return pa.array([], pa.string())
    v = distinct.to_numpy(zero_copy_only=False).astype(np.int64)
    day = v // 86_400
    days = np.unique(day)
    first = [datetime.fromtimestamp(int(d) * 86_400, tz) for d in days]
    last = [datetime.fromtimestamp(int(d) * 86_400 + 86_399, tz) for d in days]
    at = np.searchsorted(days, day)
    offset = np.array([int(t.utcoffset().total_seconds()) for t in first], np.int64)[at]
    text = pc.replace_substring(pa.array(v + offset, pa.int64()).cast(pa.timestamp("s")).cast(pa.string()), " ", "T")
    suffix = pc.take(pa.array([t.isoformat()[19:] for t in first], pa.string()), pa.array(at))
    text = pc.binary_join_element_wise(text, suffix, "")
    switching = np.flatnonzero([a.utcoffset() != b.utcoffset() for a, b in zip(first, last, strict=True)])
    if len(switching):
        fix = np.flatnonzero(np.isin(at, switching))
        fixed = text.to_pylist()
        for k in fix.tolist():
            fixed[k] = datetime.fromtimestamp(int(v[k]), tz).isoformat()
        text = pa.array(fixed, pa.string())
    return pc.take(text, pc.index_in(seconds, value_set=distinct))


def risk_rows(parts: list[pa.Table], seeds: pa.Table, overrides: pa.Table, tz: ZoneInfo) -> pa.Table:
    """One row per (case, person): the highest category found, the evidence of that category as a set (JSON
    text, sorted by time), first and last exposure; an epidemiologist's override (`overrides`: case_fk, who,
    category_rank, reason) kept. Sorted by key, found rank, who.

    DuckDB sorts the evidence and writes each piece's JSON; Arrow joins the pieces of each person (their rows
    are contiguous once sorted), which costs a third of an ordered list aggregate."""
    ev = pa.concat_tables([p.cast(EVIDENCE) for p in parts]) if parts else EVIDENCE.empty_table()
    ev = ev.append_column("s_iso", iso_times(ev.column("s"), tz)).append_column("e_iso", iso_times(ev.column("e"), tz))
    with _con(ev=ev, seeds=seeds) as con:
        t = con.sql("""
        WITH e AS (
            SELECT ev.*, s.case_fk FROM ev JOIN seeds s ON s.key = ev.key
            WHERE ev.person_fk IS NULL OR ev.person_fk <> s.case_person_fk),
        best AS (SELECT key, who, min(rank) AS r FROM e GROUP BY key, who),
        d AS (SELECT DISTINCT e.* FROM e JOIN best b ON b.key = e.key AND b.who = e.who AND b.r = e.rank)
        SELECT key, case_fk, who, rank, person_fk, person_id, phone, household_id, s, e,
               '{"kind":' || to_json(kind) || ',"via":' || to_json(via) || ',"place":' || to_json(place)
               || ',"start":"' || s_iso || '","end":"' || e_iso || '"}' AS piece
        FROM d ORDER BY key, rank, who, s, e, kind, via, place""").to_arrow_table().combine_chunks()
    n = t.num_rows
    if n == 0:
        starts = np.zeros(0, np.int64)
    else:
        changed = pc.or_(pc.not_equal(t["who"].slice(1), t["who"].slice(0, n - 1)),
                         pc.not_equal(t["key"].slice(1), t["key"].slice(0, n - 1)))
        starts = np.concatenate([[0], np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1])
    offsets = pa.array(np.append(starts, n), pa.int32())
    pieces = pa.ListArray.from_arrays(offsets, t["piece"].combine_chunks())
    evidence = pc.binary_join_element_wise("[", pc.binary_join(pieces, ","), "]", "")
    head = t.select(["key", "case_fk", "who", "rank", "person_fk", "person_id", "phone", "household_id"]).take(starts)
    last = np.maximum.reduceat(t["e"].to_numpy(), starts) if n else np.zeros(0, np.int64)
    out = (head.rename_columns(["key", "case_fk", "who", "found_rank", "person_fk", "person_id", "phone",
                                "household_id"])
           .append_column("rank", head["rank"]).append_column("override_reason", pa.nulls(len(starts), pa.string()))
           .append_column("evidence", evidence).append_column("first_s", t["s"].take(starts))
           .append_column("last_s", pa.array(last, pa.int64())))
    return _overridden(out, overrides)


def _overridden(rows: pa.Table, overrides: pa.Table) -> pa.Table:
    """An epidemiologist's category decisions (rare: a handful per case) replace the computed rank."""
    if overrides.num_rows == 0 or rows.num_rows == 0:
        return rows
    decided = {(c, w): (r, why) for c, w, r, why in zip(*(overrides[k].to_pylist() for k in
                                                          ("case_fk", "who", "category_rank", "reason")), strict=True)}
    ranks, reasons = rows["rank"].to_pylist(), [None] * rows.num_rows
    for i, key in enumerate(zip(rows["case_fk"].to_pylist(), rows["who"].to_pylist(), strict=True)):
        if key in decided:
            ranks[i], reasons[i] = decided[key]
    rows = rows.set_column(rows.schema.get_field_index("rank"), "rank", pa.array(ranks, pa.int8()))
    return rows.set_column(rows.schema.get_field_index("override_reason"), "override_reason",
                           pa.array(reasons, pa.string()))
