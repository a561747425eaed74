"""People services: import persons and venues (validated, idempotent), look-ups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fangkong.errors import NotFound
from fangkong.lake.files import ImportResult, RowError, TableFile
from fangkong.people.models import PERSON_FIELDS, VENUE_FIELDS, VENUE_KINDS, Person, Venue
from fangkong.protocol import idnumber

__all__ = ["import_persons", "import_venues", "get_person", "persons_by_ids", "persons_by_phones",
           "household_members", "venue_ids", "venue_kinds", "venues_by_ids", "chunks"]

_PHONE = re.compile(r"^1\d{10}$")


def chunks(seq: Sequence, size: int = 5000) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


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


def _import_keyed(session: Session, tf: TableFile, table: str, model, key: str, fields, clean,
                  strict: bool) -> ImportResult:
    """Shared by persons and venues: a key already stored with other data is an error, never an update."""
    result = ImportResult(table=table, file=tf.path.name, rows=tf.table.num_rows, errors=[],
                          warnings=list(tf.warnings))
    seen: dict[str, tuple[int, dict]] = {}
    for row in tf.table.to_pylist():
        line = row["_line"]
        out, err = clean(row)
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
    existing: dict[str, dict] = {}
    col = getattr(model, key)
    for part in chunks(list(seen)):
        for obj in session.scalars(select(model).where(col.in_(part))):
            existing[getattr(obj, key)] = {f: getattr(obj, f) for f in fields}
    new = []
    for k, (line, out) in seen.items():
        if k in existing:
            if existing[k] != out:
                result.errors.append(RowError(tf.path.name, line,
                                              f"{key} {k!r} already stored with different data (not overwritten)"))
            else:
                result.unchanged += 1
        else:
            new.append(out)
    result.errors.sort(key=lambda e: e.line)
    if strict and result.errors:
        result.committed = False
        return result
    for part in chunks(new):
        session.execute(insert(model), list(part))
    result.inserted = len(new)
    return result


def import_persons(session: Session, tf: TableFile, *, strict: bool = False) -> ImportResult:
    """Insert new persons; identical rows are skipped; conflicting rows are reported, never overwritten."""
    return _import_keyed(session, tf, "persons", Person, "person_id", PERSON_FIELDS, _clean_person, strict)


def import_venues(session: Session, tf: TableFile, *, strict: bool = False) -> ImportResult:
    return _import_keyed(session, tf, "venues", Venue, "venue_id", VENUE_FIELDS, _clean_venue, strict)


def get_person(session: Session, person_id: str) -> Person:
    person = session.scalar(select(Person).where(Person.person_id == person_id))
    if person is None:
        raise NotFound(f"unknown person {person_id!r}")
    return person


def persons_by_ids(session: Session, person_ids: Iterable[str]) -> dict[str, Person]:
    ids = sorted(set(person_ids))
    out: dict[str, Person] = {}
    for part in chunks(ids):
        out.update((p.person_id, p) for p in session.scalars(select(Person).where(Person.person_id.in_(part))))
    return out


def persons_by_phones(session: Session, phones: Iterable[str]) -> dict[str, Person]:
    """Phone → person; when a phone is shared, the earliest registered person holds it."""
    out: dict[str, Person] = {}
    for part in chunks(sorted(set(phones))):
        rows = session.scalars(select(Person).where(Person.phone.in_(part)).order_by(Person.id))
        for p in rows:
            out.setdefault(p.phone, p)
    return out


def household_members(session: Session, household_ids: Iterable[str]) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = {}
    for part in chunks(sorted(set(h for h in household_ids if h))):
        for p in session.scalars(select(Person).where(Person.household_id.in_(part)).order_by(Person.person_id)):
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
