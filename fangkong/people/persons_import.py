"""Importing persons.csv with identity resolution: a known key is compared, a new key is resolved to a person."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fangkong.db.bulk import insert_arrow, select_arrow
from fangkong.db.core import utcnow
from fangkong.db.sets import chunks
from fangkong.lake.files import ImportResult, RowError, TableFile, TableStream
from fangkong.people import counts
from fangkong.people.models import PERSON_FIELDS, MatchReview, Person, PersonPhone, PersonSourceKey
from fangkong.people.resolve import INCOMING_SCHEMA, PHONES_SCHEMA, REGISTER_SCHEMA, resolve
from fangkong.protocol import idnumber
from fangkong.protocol.matching import Thresholds

__all__ = ["MatchOutcome", "PERSON_ROWS", "first_rows", "import_person_rows", "as_data"]

_REG_COLS = (Person.id, Person.name, Person.id_number, Person.phone, Person.birth_date, Person.sex, Person.address,
             Person.community)


@dataclass
class MatchOutcome:
    """What resolution decided for the new keys of one persons file (printed by `fangkong import`)."""

    new: int = 0
    by_id_number: int = 0
    by_score: int = 0
    review: int = 0
    declared: tuple = ()  # the import command's follow-up hook (lab results declare cases; persons never do)

    def summary(self) -> str:
        return (f"{self.new:,} new persons, {self.by_id_number + self.by_score:,} keys linked to known persons "
                f"({self.by_id_number:,} by ID number, {self.by_score:,} by match score), "
                f"{self.review:,} for review")


def as_data(row: dict) -> dict:
    """A source row as stored in person_source_key.data (JSON: dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items() if k in PERSON_FIELDS}


def _stored(session: Session, keys: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for part in chunks(keys):
        for p in session.scalars(select(Person).where(Person.person_id.in_(part))):
            out[p.person_id] = as_data({f: getattr(p, f) for f in PERSON_FIELDS})
        for k in session.scalars(select(PersonSourceKey).where(PersonSourceKey.key.in_(part))):
            out[k.key] = k.data
    return out


def _conflict(key: str, stored: dict, row: dict) -> str:
    if stored.get("id_number") and row.get("id_number") and stored["id_number"] != row["id_number"]:
        return (f"person_id {key!r} already stored with resident ID number {idnumber.mask(stored['id_number'])}, "
                f"this row claims {idnumber.mask(row['id_number'])}: one source key has one ID number "
                "(not overwritten)")
    return f"person_id {key!r} already stored with different data (not overwritten)"


def _register(session: Session, batch: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The registered persons a batch can match: all of them for a large batch (read into Arrow a partition at
    a time), else those sharing a key."""
    total = session.scalar(select(func.count(Person.id))) or 0
    if total == 0:
        return REGISTER_SCHEMA.empty_table(), PHONES_SCHEMA.empty_table()
    if batch.num_rows * 20 >= total:
        return (select_arrow(session, select(*_REG_COLS), REGISTER_SCHEMA),
                select_arrow(session, select(PersonPhone.person_fk, PersonPhone.phone), PHONES_SCHEMA))
    rows = batch.select(["phone", "birth_date", "id_number"]).to_pylist()  # a small batch: few rows
    phones_in = sorted({r["phone"] for r in rows if r["phone"]})
    fks = set(session.scalars(select(PersonPhone.person_fk).where(PersonPhone.phone.in_(phones_in))))
    dates = sorted({d for r in rows for d in (r["birth_date"], _born(r["id_number"])) if d})
    ids = sorted({r["id_number"] for r in rows if r["id_number"]})
    regs = {}
    for col, values in ((Person.id_number, ids), (Person.phone, phones_in), (Person.birth_date, dates),
                        (Person.id, sorted(fks))):
        for part in chunks(values, 2000):
            regs.update((r[0], r) for r in session.execute(select(*_REG_COLS).where(col.in_(part))))
    phones = []
    for part in chunks(sorted(regs), 2000):
        phones += session.execute(select(PersonPhone.person_fk, PersonPhone.phone)
                                  .where(PersonPhone.person_fk.in_(part))).all()
    names = [c.name for c in REGISTER_SCHEMA]
    reg = pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in regs.values()], REGISTER_SCHEMA)
    return reg, pa.Table.from_pylist([{"person_fk": a, "phone": b} for a, b in phones], PHONES_SCHEMA)


def _born(id_number: str | None) -> date | None:
    return idnumber.birth_date_of(id_number) if id_number else None


#: the columns of a persons file once cleaned (people.service stages each good row here)
PERSON_ROWS = pa.schema([("_line", pa.int64())] + [(f, pa.date32() if f == "birth_date" else pa.string())
                                                  for f in PERSON_FIELDS])
#: rows handled together when comparing with the store and when writing: memory is bounded by this, not by
#: the file (a city's register is ten million persons)
_SLICE = 5000


def first_rows(staged: pa.Table, key: str, file: str, result: ImportResult) -> pa.Table:
    """The first row of each key, in file order; a later row with the same key and the same data counts as
    unchanged, with other data it is an error naming the first line. Set-based: only the repeated keys'
    rows are compared (DuckDB over Arrow); a file without repeats is returned as it is."""
    if staged.num_rows == 0 or pc.count_distinct(staged.column(key)).as_py() == staged.num_rows:
        return staged
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("staged", staged)
    repeated = con.sql(f"SELECT {key} FROM staged GROUP BY {key} HAVING count(*) > 1").to_arrow_table()
    con.register("dup", staged.filter(pc.is_in(staged.column(key), value_set=repeated.column(key))))
    fields = [c for c in staged.column_names if c != "_line"]
    same = " AND ".join(f"d.{c} IS NOT DISTINCT FROM f.{c}" for c in fields)
    later = con.execute(f"""
        WITH ranked AS (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _line) AS k FROM dup)
        SELECT d._line, d.{key}, f._line, {same} FROM ranked d JOIN ranked f ON f.{key} = d.{key} AND f.k = 1
        WHERE d.k > 1 ORDER BY d._line""").fetchall()
    for line, value, first_line, equal in later:
        if equal:
            result.unchanged += 1
        else:
            result.errors.append(RowError(file, line, f"duplicate {key} {value!r} with different data "
                                                      f"(first at line {first_line})"))
    drop = pa.array([r[0] for r in later], pa.int64())
    return staged.filter(pc.invert(pc.is_in(staged.column("_line"), value_set=drop)))


def import_person_rows(session: Session, tf: TableFile | TableStream, rows: pa.Table, result: ImportResult,
                       *, strict: bool, source: str | None, thresholds: Thresholds) -> ImportResult:
    """`rows` (PERSON_ROWS, one per key, file order). Known keys: identical → unchanged, different → rejected.
    New keys: resolved, then written. Python objects exist only for a slice of rows at a time."""
    new_at = array("q")  # the new keys' row indices (a first import: every row of a ten-million-row file)
    for start in range(0, rows.num_rows, _SLICE):
        part = rows.slice(start, _SLICE).to_pylist()
        stored = _stored(session, [r["person_id"] for r in part])
        for i, row in enumerate(part, start):
            key = row["person_id"]
            if key in stored:
                if stored[key] != as_data(row):
                    result.errors.append(RowError(tf.path.name, row["_line"], _conflict(key, stored[key], row)))
                else:
                    result.unchanged += 1
            else:
                new_at.append(i)
    result.errors.sort(key=lambda e: e.line)
    if strict and result.errors:
        result.committed = False
        return result
    new = rows if len(new_at) == rows.num_rows else rows.take(pa.array(np.frombuffer(new_at, np.int64)))
    del new_at
    incoming = pa.table([pa.array(range(new.num_rows), pa.int64())]
                        + [new.column(c) for c in INCOMING_SCHEMA.names if c != "row"], schema=INCOMING_SCHEMA)
    decisions = resolve(incoming, *_register(session, new), thresholds) if new.num_rows else None
    result.outcome = _write(session, new, decisions, source) if new.num_rows else MatchOutcome()
    result.inserted = new.num_rows
    return result


def _write(session: Session, rows: pa.Table, decisions: pa.Table, source: str | None) -> MatchOutcome:
    outcome = MatchOutcome()
    decision = decisions.column("decision")
    fresh = pc.indices_nonzero(pc.is_in(decision, value_set=pa.array(["new", "review"]))).to_numpy()
    now = pa.scalar(utcnow(), pa.timestamp("us", tz="UTC"))
    communities: set[str | None] = set()
    for part in chunks(fresh, 50_000):  # columns straight from Arrow: no Python value per cell
        new = _rows_at(rows, part).select(list(PERSON_FIELDS))
        n = new.num_rows
        insert_arrow(session, Person.__table__, new.append_column("source", pa.array([source] * n, pa.string()))
                     .append_column("created_at", pa.repeat(now, n)))
        communities.update(pc.unique(new.column("community")).to_pylist())
    counts.recount(session, communities)  # the register's persons per community (a round's expected people)
    same_as = decisions.column("same_as_row")
    review_at = pc.indices_nonzero(pc.equal(decision, "review"))
    firsts = pc.drop_null(same_as)
    wanted = sorted(set(pc.take(rows.column("person_id"), review_at).to_pylist())
                    | set(pc.take(rows.column("person_id"), firsts).to_pylist()))
    ids: dict[str, int] = {}
    for part in chunks(wanted):
        ids.update(session.execute(select(Person.person_id, Person.id).where(Person.person_id.in_(part))).all())
    outcome.new = pc.sum(pc.equal(decision, "new")).as_py() or 0
    named = pc.indices_nonzero(pc.is_in(decision, value_set=pa.array(["review", "id_number", "link"]))).to_numpy()
    for part in chunks(named, _SLICE):  # links written a slice at a time: a city's register links hundreds of thousands
        links = []
        for row, d in zip(_rows_at(rows, part).to_pylist(), _rows_at(decisions, part).to_pylist(), strict=True):
            if d["decision"] == "review":
                outcome.review += 1
                session.add(MatchReview(key=row["person_id"], person_fk=ids[row["person_id"]],
                                        candidate_fk=d["person_fk"], score=d["score"], evidence=_evidence(d)))
                continue
            first = d["same_as_row"]
            fk = d["person_fk"] if first is None else _follow(first, rows, decisions, ids)
            by_id = d["decision"] == "id_number"
            outcome.by_id_number += by_id
            outcome.by_score += not by_id
            links.append({"source": source, "key": row["person_id"], "person_fk": fk, "data": as_data(row),
                          "linked_by": "id_number" if by_id else "score", "score": d["score"],
                          "evidence": None if by_id else _evidence(d), "phone": row["phone"]})
        _add_links(session, links)
    session.flush()
    return outcome


def _rows_at(table: pa.Table, at) -> pa.Table:
    """The rows at sorted indices `at`: a slice when they are consecutive (a first import: every row), else a
    take from the slice they span. (Arrow's take over a table of many chunks joins the chunks first: over a
    whole 10 M-row file, once per 5 000 rows, that was the import's time.)"""
    lo, hi = int(at[0]), int(at[-1]) + 1
    if hi - lo == len(at):
        return table.slice(lo, hi - lo)
    return table.slice(lo, hi - lo).take(pa.array(np.asarray(at, np.int64) - lo))


def _follow(first: int, rows: pa.Table, decisions: pa.Table, ids) -> int:
    """A later row of the batch with the same ID number as row `first` joins whatever `first` became."""
    if decisions.column("decision")[first].as_py() in ("id_number", "link"):
        return decisions.column("person_fk")[first].as_py()
    return ids[rows.column("person_id")[first].as_py()]


def _evidence(d: dict) -> dict:
    return {"score": round(d["score"], 4), "veto": d["veto"],
            "fields": {k: None if d[k] is None else round(d[k], 4) for k in ("name", "phone", "birth_date", "address")}}


def _add_links(session: Session, links: list[dict]) -> None:
    """Source-key rows, and each linked row's phone as a further contact phone of its person when new to them
    (compared with the store, which holds the earlier slices' phones)."""
    if not links:
        return
    fks = sorted({x["person_fk"] for x in links})
    known: set[tuple[int, str]] = set()
    for part in chunks(fks):
        known |= {(a, b) for a, b in session.execute(select(Person.id, Person.phone).where(Person.id.in_(part)))}
        known |= {(a, b) for a, b in session.execute(
            select(PersonPhone.person_fk, PersonPhone.phone).where(PersonPhone.person_fk.in_(part)))}
    phones = []
    for x in links:
        phone = x.pop("phone")
        if phone and (x["person_fk"], phone) not in known:
            known.add((x["person_fk"], phone))
            phones.append({"person_fk": x["person_fk"], "phone": phone, "owner": False, "source": x["key"]})
    for part in chunks(links):
        session.execute(insert(PersonSourceKey), list(part))
    for part in chunks(phones):
        session.execute(insert(PersonPhone), list(part))

