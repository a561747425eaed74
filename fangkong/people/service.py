"""People services: import persons (resolved to one record per human) and venues, look-ups by any source key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fangkong.db.bulk import select_arrow
from fangkong.db.sets import chunks, one_of
from fangkong.errors import InvalidInput
from fangkong.lake.files import ImportResult, RowError, TableFile, TableStream
from fangkong.people.lookup import get_person  # noqa: F401 - part of this service
from fangkong.people.models import PERSON_FIELDS, VENUE_FIELDS, VENUE_KINDS, Person, PersonSourceKey, Venue
from fangkong.people.persons_import import PERSON_ROWS, MatchOutcome, first_rows, import_person_rows
from fangkong.people.phones import (
    REF_COLUMNS,
    PersonRef,
    PhoneOwners,
    import_person_phones,
    owner_candidates,
    phone_owners,
)
from fangkong.protocol import idnumber
from fangkong.protocol.matching import Thresholds

__all__ = ["import_persons", "import_venues", "import_person_phones", "get_person", "persons_by_ids",
           "persons_by_phones", "phone_owners", "owner_candidates", "PhoneOwners", "PersonRef", "MatchOutcome", "household_members", "keys_of", "known_keys",
           "source_keys", "venue_ids", "venue_kinds", "venues_by_ids"]

_PHONE = re.compile(r"^1\d{10}$")
_SOURCE = re.compile(r"^[\w-]{1,40}$")


def _clean_person(row: dict) -> tuple[dict | None, str | None]:
    out = {k: (row.get(k) or None) and str(row[k]).strip() or None for k in PERSON_FIELDS}
    if not out["person_id"]:
        return None, "person_id is empty"
    if out["id_number"]:
        out["id_number"] = out["id_number"].upper()
        if not idnumber.is_valid(out["id_number"]):
            return None, f"invalid resident ID number {idnumber.mask(out['id_number'])} (GB 11643 check failed)"
    if out["phone"] and not _PHONE.match(out["phone"]):
        return None, f"phone {out['phone']!r} is not an 11-digit mainland mobile number"
    if out["sex"] and out["sex"] not in ("M", "F"):
        return None, f"sex must be M or F, got {out['sex']!r}"
    if out["birth_date"]:
        try:
            out["birth_date"] = date.fromisoformat(out["birth_date"])
        except ValueError:
            return None, f"birth_date {out['birth_date']!r} is not an ISO date"
    return out, None


def _clean_venue(row: dict) -> tuple[dict | None, str | None]:
    out = {k: (row.get(k) or None) and str(row[k]).strip() or None for k in VENUE_FIELDS}
    if not out["venue_id"]:
        return None, "venue_id is empty"
    if out["kind"] not in VENUE_KINDS:
        return None, f"kind {out['kind']!r} is not one of {', '.join(VENUE_KINDS)}"
    for axis, limit in (("lat", 90), ("lon", 180)):
        if out[axis] is not None:
            try:
                out[axis] = float(out[axis])
            except ValueError:
                return None, f"{axis} {out[axis]!r} is not a number"
            if not -limit <= out[axis] <= limit:
                return None, f"{axis} {out[axis]} is out of range"
    return out, None


def _widths(model, fields) -> dict[str, int]:
    """The text columns' lengths: a longer value is the row's error here, not the store's (PostgreSQL refuses
    it, SQLite would keep a 10 MB name)."""
    cols = model.__table__.c
    return {f: cols[f].type.length for f in fields if getattr(cols[f].type, "length", None)}


_LIMITS = {"person_id": _widths(Person, PERSON_FIELDS), "venue_id": _widths(Venue, VENUE_FIELDS)}


def _unstorable(out: dict, widths: dict[str, int]) -> str | None:
    for f, n in widths.items():
        v = out.get(f)
        if isinstance(v, str) and (len(v) > n or "\0" in v):
            return f"{f} is longer than {n} characters" if len(v) > n else f"{f} contains a NUL character"
    return None


def _clean_rows(tf: TableFile, key: str, clean, result: ImportResult) -> dict[str, tuple[int, dict]]:
    """Validated rows by key; a key repeated in the file with other data is an error, never an update."""
    seen: dict[str, tuple[int, dict]] = {}
    widths = _LIMITS[key]
    for row in tf.table.to_pylist():
        line = row["_line"]
        out, err = clean(row)
        if err is None:
            err = _unstorable(out, widths)
        if err is None and out[key] in seen:
            first_line, first = seen[out[key]]
            if first != out:
                err = f"duplicate {key} {out[key]!r} with different data (first at line {first_line})"
            else:
                result.unchanged += 1
                continue
        if err:
            result.errors.append(RowError(tf.path.name, line, err))
            continue
        seen[out[key]] = (line, out)
    return seen


def _result(tf: TableFile | TableStream, table: str) -> ImportResult:
    return ImportResult(table=table, file=tf.path.name, rows=tf.num_rows, errors=[], warnings=list(tf.warnings))


def import_persons(session: Session, tf: TableFile | TableStream, *, strict: bool = False, source: str | None = None,
                   thresholds: Thresholds | None = None) -> ImportResult:
    """Persons from one source: a known key is unchanged or rejected (never overwritten); a new key is resolved
    (same ID number → that person; else a match score → linked, a review item with a new person, or a new
    person) — see docs/people.md. A TableStream is read a block at a time: the file's text is never held
    whole, only its cleaned columns."""
    if source is not None and not _SOURCE.match(source):
        raise InvalidInput(f"source {source!r}: 1–40 letters, digits, '_' or '-'")
    result = _result(tf, "persons")
    staged = _clean_to_arrow(tf, _clean_person, result)
    result.rows = tf.num_rows
    if isinstance(tf, TableFile):
        tf.table = tf.table.slice(0, 0)  # the file's text is no longer needed: a register's millions of rows
    rows = first_rows(staged, "person_id", tf.path.name, result)
    del staged
    return import_person_rows(session, tf, rows, result, strict=strict, source=source,
                              thresholds=thresholds or Thresholds())


def _clean_to_arrow(tf: TableFile | TableStream, clean, result: ImportResult, size: int = 50_000) -> pa.Table:
    """Each row cleaned (errors reported with their lines), the good ones kept as Arrow columns (PERSON_ROWS):
    the plain rows (nearly all of a register) column by column in Arrow; the others — a value to strip, to
    upper-case or to report — by `clean` one at a time, the reference the plain path agrees with."""
    widths = _LIMITS["person_id"]
    parts = []
    for piece in tf.batches(size):
        plain, cleaned = _plain_persons(piece, widths)
        rest = piece.filter(pa.array(~plain)) if not plain.all() else None
        good = pa.table([cleaned.column(f.name).filter(pa.array(plain)) for f in PERSON_ROWS], schema=PERSON_ROWS)
        if rest is not None and rest.num_rows:
            good = pa.concat_tables([good, _clean_each(rest, clean, widths, tf.path.name, result)])
            good = good.take(pc.sort_indices(good.column("_line")))
        parts.append(good)
    return pa.concat_tables(parts) if parts else PERSON_ROWS.empty_table()


def _clean_each(piece: pa.Table, clean, widths: dict[str, int], file: str, result: ImportResult) -> pa.Table:
    cols: dict[str, list] = {c: [] for c in PERSON_ROWS.names}
    for row in piece.to_pylist():
        out, err = clean(row)
        if err is None:
            err = _unstorable(out, widths)
        if err:
            result.errors.append(RowError(file, row["_line"], err))
            continue
        cols["_line"].append(row["_line"])
        for f in PERSON_FIELDS:
            cols[f].append(out[f])
    return pa.table([pa.array(cols[f.name], f.type) for f in PERSON_ROWS], schema=PERSON_ROWS)


def _plain_persons(piece: pa.Table, widths: dict[str, int]) -> tuple[np.ndarray, pa.Table]:
    """Which rows _clean_person would take as they are (nothing to strip, an upper-case valid ID number, an
    ASCII mobile number, M/F, a YYYY-MM-DD birth date, storable widths), and every row's columns as it would
    clean them: empty text is null, birth_date a date. The other rows are marked not plain."""
    n = piece.num_rows
    plain = np.ones(n, bool)

    def ok(cond) -> None:  # a condition that must hold where the value is given
        nonlocal plain
        plain &= pc.fill_null(cond, True).to_numpy(zero_copy_only=False)

    cols = {"_line": piece.column("_line")}
    for f in PERSON_FIELDS:
        col = piece.column(f).combine_chunks()
        # Arrow's Unicode whitespace is exactly str.isspace() (checked over every code point by
        # tests/people/test_clean.py): a value it would trim is left to str.strip()
        ok(pc.equal(pc.utf8_trim_whitespace(col), col))
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        if f in widths:
            ok(pc.and_(pc.less_equal(pc.utf8_length(col), widths[f]), pc.invert(pc.match_substring(col, "\0"))))
        cols[f] = col
    plain &= pc.is_valid(cols["person_id"]).to_numpy(zero_copy_only=False)
    ids = cols["id_number"]
    plain &= idnumber.valid_mask(ids) | pc.is_null(ids).to_numpy(zero_copy_only=False)
    ok(pc.match_substring_regex(cols["phone"], r"^1[0-9]{10}$"))
    ok(pc.or_(pc.is_null(cols["sex"]), pc.is_in(cols["sex"], value_set=pa.array(["M", "F"]))))
    shaped = pc.match_substring_regex(cols["birth_date"], r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    ok(shaped)
    born = pc.if_else(pc.fill_null(shaped, False), cols["birth_date"], pa.scalar(None, pa.string()))
    ok(pc.invert(pc.starts_with(born, "0000")))
    dates = pc.strptime(born, format="%Y-%m-%d", unit="s", error_is_null=True)
    # Arrow rolls 2022-02-30 over to 03-02 where date.fromisoformat refuses it: a real date keeps its parts
    for part, lo, hi in ((pc.year, 0, 4), (pc.month, 5, 7), (pc.day, 8, 10)):
        ok(pc.equal(pc.fill_null(part(dates), -1), pc.cast(pc.utf8_slice_codeunits(born, lo, hi), pa.int64())))
    cols["birth_date"] = pc.cast(dates, pa.date32())
    return plain, pa.table([cols[f.name] for f in PERSON_ROWS], names=PERSON_ROWS.names)


def import_venues(session: Session, tf: TableFile, *, strict: bool = False) -> ImportResult:
    """Insert new venues; identical rows are skipped; conflicting rows are reported, never overwritten."""
    result = _result(tf, "venues")
    seen = _clean_rows(tf, "venue_id", _clean_venue, result)
    existing: dict[str, dict] = {}
    for part in chunks(list(seen)):
        for obj in session.scalars(select(Venue).where(Venue.venue_id.in_(part))):
            existing[obj.venue_id] = {f: getattr(obj, f) for f in VENUE_FIELDS}
    new = []
    for k, (line, out) in seen.items():
        if k in existing:
            if existing[k] != out:
                result.errors.append(RowError(tf.path.name, line,
                                              f"venue_id {k!r} already stored with different data (not overwritten)"))
            else:
                result.unchanged += 1
        else:
            new.append(out)
    result.errors.sort(key=lambda e: e.line)
    if strict and result.errors:
        result.committed = False
        return result
    for part in chunks(new):
        session.execute(insert(Venue), list(part))
    result.inserted = len(new)
    return result


def persons_by_ids(session: Session, person_ids: Iterable[str], *, light: bool = False) -> dict[str, Person]:
    """Key → person for every key given that is known; two keys of one person map to the same record.

    light=True gives PersonRef tuples instead of ORM objects: tracing reads tens of thousands at once."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    cols = REF_COLUMNS if light else (Person,)
    make = PersonRef._make if light else (lambda row: row[0])
    out = {row[1] if light else row[0].person_id: make(row)
           for row in session.execute(select(*cols).where(one_of(session, Person.person_id, ids)))}
    rest = [k for k in ids if k not in out]
    if rest:
        out.update((row[0], make(row[1:])) for row in session.execute(
            select(PersonSourceKey.key, *cols).join(Person, Person.id == PersonSourceKey.person_fk)
            .where(one_of(session, PersonSourceKey.key, rest))))
    return out


def persons_by_phones(session: Session, phones: Iterable[str], at: datetime | None = None) -> dict[str, Person]:
    """Phone → person at `at` (default now): the real-name owner then, else the earliest registered person
    giving it as a contact phone (a phone shared by a household)."""
    owners = phone_owners(session, phones)
    return {ph: p for ph in set(owners.contact) | set(owners.owned) if (p := owners.at(ph, at)) is not None}


def known_keys(session: Session) -> pa.Array:
    """Every key a venue scan or a sample may name a person by (read in partitions: a city's ten million keys
    as Python strings at once would be a gigabyte)."""
    one = pa.schema([("key", pa.string())])
    parts = [select_arrow(session, select(column), one).column(0) for column in (Person.person_id, PersonSourceKey.key)]
    return pa.chunked_array([c for part in parts for c in part.chunks], pa.string()).combine_chunks()


def source_keys(session: Session, persons: Iterable[Person]) -> dict[int, list[str]]:
    """person.id → the person's keys, their own person_id first."""
    persons = list(persons)
    out = {p.id: [p.person_id] for p in persons}
    for part in chunks(sorted(out)):
        for fk, key in session.execute(select(PersonSourceKey.person_fk, PersonSourceKey.key)
                                       .where(PersonSourceKey.person_fk.in_(part)).order_by(PersonSourceKey.id)):
            out[fk].append(key)
    return out


def keys_of(session: Session, person: Person) -> list[PersonSourceKey]:
    """The person's further source keys, oldest first."""
    return list(session.scalars(select(PersonSourceKey).where(PersonSourceKey.person_fk == person.id)
                                .order_by(PersonSourceKey.id)))


def household_members(session: Session, household_ids: Iterable[str], *,
                      light: bool = False) -> dict[str, list[Person]]:
    """household_id → its members by person_id (PersonRef tuples when light)."""
    ids = sorted(set(h for h in household_ids if h))
    out: dict[str, list[Person]] = {}
    if not ids:
        return out
    cols = REF_COLUMNS if light else (Person,)
    for row in session.execute(select(*cols).where(one_of(session, Person.household_id, ids))
                               .order_by(Person.person_id)):
        p = PersonRef._make(row) if light else row[0]
        out.setdefault(p.household_id, []).append(p)
    return out


def venue_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Venue.venue_id)))


def venue_kinds(session: Session) -> dict[str, str]:
    return {k: v for k, v in session.execute(select(Venue.venue_id, Venue.kind))}


def venues_by_ids(session: Session, venue_ids: Iterable[str]) -> dict[str, Venue]:
    out: dict[str, Venue] = {}
    for part in chunks(sorted(set(venue_ids))):
        out.update((v.venue_id, v) for v in session.scalars(select(Venue).where(Venue.venue_id.in_(part))))
    return out
