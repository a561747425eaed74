"""Phones of persons over time: who holds a phone at a given moment, ownership records and person_phones.csv."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.db.scope import acting
from fangkong.db.sets import chunks, one_of
from fangkong.errors import Conflict, InvalidInput
from fangkong.lake.files import ImportResult, RowError, TableFile
from fangkong.people.models import Person, PersonPhone, PersonSourceKey
from fangkong.protocol.idnumber import mask_phone

__all__ = ["OWNERS", "PHONE_FIELDS", "REF_COLUMNS", "PersonRef", "PhoneOwners", "add_owner",
           "import_person_phones", "owner_candidates", "phone_owners", "phones_of"]

PHONE_FIELDS = ("person_id", "phone", "valid_from", "valid_to")
_PHONE = re.compile(r"^1\d{10}$")
_NEVER = datetime.min.replace(tzinfo=UTC)
_EVER = datetime.max.replace(tzinfo=UTC)


class PersonRef(NamedTuple):
    """The fields tracing needs of a person, read without building ORM objects (tens of thousands per trace)."""

    id: int
    person_id: str
    phone: str | None
    household_id: str | None


REF_COLUMNS = (Person.id, Person.person_id, Person.phone, Person.household_id)


@dataclass
class PhoneOwners:
    """Who holds each phone: a real-name owner valid at the time, else the earliest registered contact."""

    owned: dict[str, list[tuple[datetime, datetime, Person]]] = field(default_factory=dict)
    contact: dict[str, Person] = field(default_factory=dict)

    def at(self, phone: str, when: datetime | int | None = None) -> Person | None:
        if isinstance(when, int):
            when = datetime.fromtimestamp(when, UTC)
        when = when or utcnow()
        for start, end, person in self.owned.get(phone, ()):
            if start <= when < end:
                return person
        return self.contact.get(phone)

    def get(self, phone: str, default: Person | None = None) -> Person | None:
        return self.at(phone) or default


def phone_owners(session: Session, phones: Iterable[str]) -> PhoneOwners:
    """Two indexed look-ups (person.phone and person_phone), whatever the history and the number of phones."""
    out = PhoneOwners()
    wanted = sorted(set(p for p in phones if p))
    if not wanted:
        return out
    contact: dict[str, tuple[int, Person]] = {}
    for p in session.scalars(select(Person).where(one_of(session, Person.phone, wanted))):
        if p.phone not in contact or p.id < contact[p.phone][0]:
            contact[p.phone] = (p.id, p)
    rows = session.execute(select(PersonPhone, Person).join(Person, Person.id == PersonPhone.person_fk)
                           .where(one_of(session, PersonPhone.phone, wanted)))
    for ph, p in rows:
        if ph.owner:
            out.owned.setdefault(ph.phone, []).append((ph.valid_from or _NEVER, ph.valid_to or _EVER, p))
        elif ph.phone not in contact or p.id < contact[ph.phone][0]:
            contact[ph.phone] = (p.id, p)
    out.contact = {k: v[1] for k, v in contact.items()}
    return out


_LO, _HI = -(2 ** 62), 2 ** 62


def _ceil_epoch(t: datetime | None, default: int) -> int:
    return default if t is None else math.ceil(t.timestamp())


#: above this share of the registered persons, the phones wanted are read in one pass over the phone index and
#: picked in Arrow, not looked up one by one: a bad day's cases meet most of a city's phones (bench/RESULTS.md)
SCAN_SHARE = 0.25
#: rows of the phone index read at a time by a scan (bounded memory at 10 M persons)
_SCAN_SLICE = 200_000
_CONTACTS = pa.schema([("person_fk", pa.int64()), ("person_id", pa.string()), ("person_phone", pa.string()),
                       ("household_id", pa.string())])
#: owner_candidates' rows: who may hold a phone over [vf, vt) (epoch seconds): prio 0 a real-name owner, 1 a
#: registered contact phone; the first candidate by (prio, vf, person_fk) holds it (PhoneOwners.at, set-based)
OWNERS = pa.schema([("phone", pa.string()), ("vf", pa.int64()), ("vt", pa.int64()), ("prio", pa.int8()),
                    ("person_fk", pa.int64()), ("person_id", pa.string()), ("person_phone", pa.string()),
                    ("household_id", pa.string())])


def _contact_phones(session: Session, wanted: set[str]) -> pa.Table:
    """(person_fk, person_id, person_phone, household_id) of whoever gives one of `wanted` as their own phone."""
    con = session.connection()  # Core, not ORM execution: ORM row processing cost more than the look-up itself
    persons = con.execute(select(func.max(Person.id))).scalar() or 0  # ~ the rows, from the primary key
    if len(wanted) > SCAN_SHARE * persons:
        # the DB-API cursor's plain tuples, a slice at a time (on PostgreSQL a server-side cursor): SQLAlchemy's
        # row processing of a city's phones cost more than the scan
        names = ", ".join(f'"{c.key}"' for c in REF_COLUMNS)
        dbapi = con.connection.driver_connection
        postgres = session.get_bind().dialect.name == "postgresql"
        cur = dbapi.cursor(name="fangkong_phone_scan") if postgres else dbapi.cursor()
        batches = []
        try:
            cur.execute(f'SELECT {names} FROM "{Person.__tablename__}" WHERE "phone" IS NOT NULL')
            while rows := cur.fetchmany(_SCAN_SLICE):
                batches.append(_contacts_batch([r for r in rows if r[2] in wanted]))
        finally:
            cur.close()
        return pa.Table.from_batches(batches, _CONTACTS)
    return pa.Table.from_batches([_contacts_batch(
        con.execute(select(*REF_COLUMNS).where(one_of(session, Person.phone, wanted))).all())], _CONTACTS)



def _contacts_batch(rows: list) -> pa.RecordBatch:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in _CONTACTS]
    return pa.record_batch([pa.array(c, f.type) for c, f in zip(cols, _CONTACTS, strict=True)], schema=_CONTACTS)


def owner_candidates(session: Session, phones: Iterable[str]) -> pa.Table:
    """PhoneOwners as a table, for set-based look-ups of tens of thousands of phones (tracing's companions):
    (phone, vf, vt, prio, person_fk, person_id, person_phone, household_id), one row per person who may hold
    the phone over [vf, vt) in epoch seconds (an integer time t is inside exactly when the datetime is);
    prio 0 for a real-name owner, 1 for a registered contact phone. The holder at t is the first row
    containing t by (prio, vf, person_fk): the owner then, else the earliest registered person."""
    wanted = {p for p in phones if p}
    if not wanted:
        return OWNERS.empty_table()
    # whoever gives the phone as their own: a contact candidate over all time
    contacts = _contact_phones(session, wanted)
    n = contacts.num_rows
    parts = [pa.table([contacts.column("person_phone"), pa.array([_LO] * n, pa.int64()),
                       pa.array([_HI] * n, pa.int64()), pa.array([1] * n, pa.int8()),
                       *(contacts.column(c) for c in _CONTACTS.names)], schema=OWNERS)]
    con = session.connection()
    registered = con.execute(select(func.max(PersonPhone.id))).scalar() or 0  # ~ the rows, from the index
    cols: list[list] = [[] for _ in OWNERS]
    registrations = select(PersonPhone.phone, PersonPhone.owner, PersonPhone.valid_from, PersonPhone.valid_to,
                           *REF_COLUMNS).join(Person, Person.id == PersonPhone.person_fk)
    # fewer registrations than phones wanted (a city's few thousand against a trace's tens of thousands): every
    # registration read and picked here, not the phones sent to the database as a set it must build first
    if registered >= len(wanted):
        registrations = registrations.where(one_of(session, PersonPhone.phone, wanted))
    for phone, owner, vf, vt, fk, person_id, person_phone, household in con.execute(registrations):
        if phone not in wanted:
            continue
        row = (phone, _ceil_epoch(vf, _LO), _ceil_epoch(vt, _HI), 0, fk, person_id, person_phone, household) \
            if owner else (phone, _LO, _HI, 1, fk, person_id, person_phone, household)
        for col, v in zip(cols, row, strict=True):
            col.append(v)
    parts.append(pa.table([pa.array(c, f.type) for c, f in zip(cols, OWNERS, strict=True)], schema=OWNERS))
    return pa.concat_tables(parts)


def phones_of(session: Session, person: Person) -> list[PersonPhone]:
    return list(session.scalars(select(PersonPhone).where(PersonPhone.person_fk == person.id)
                                .order_by(PersonPhone.phone, PersonPhone.valid_from)))


def _overlapping(session: Session, phone: str, start: datetime | None, end: datetime | None,
                 person_fk: int) -> PersonPhone | None:
    for ph in session.scalars(select(PersonPhone).where(PersonPhone.phone == phone, PersonPhone.owner.is_(True),
                                                        PersonPhone.person_fk != person_fk)):
        if (ph.valid_from or _NEVER) < (end or _EVER) and (start or _NEVER) < (ph.valid_to or _EVER):
            return ph
    return None


def _span(ph: PersonPhone, tz: ZoneInfo | None = None) -> str:
    a = ph.valid_from.astimezone(tz).date().isoformat() if ph.valid_from else "always"
    b = ph.valid_to.astimezone(tz).date().isoformat() if ph.valid_to else "now"
    return f"{a} to {b}"


def add_owner(session: Session, person: Person, phone: str, *, valid_from: datetime | None,
              valid_to: datetime | None, source: str, tz: ZoneInfo | None = None) -> PersonPhone:
    """Record that `person` owned `phone` over [valid_from, valid_to); a phone has one owner at a time (by the
    session's actor)."""
    if not _PHONE.match(phone or ""):
        raise InvalidInput(f"phone {phone!r} is not an 11-digit mainland mobile number")
    if valid_from and valid_to and valid_to <= valid_from:
        raise InvalidInput("valid_to must be after valid_from")
    other = _overlapping(session, phone, valid_from, valid_to, person.id)
    if other is not None:
        holder = session.get(Person, other.person_fk)
        raise Conflict(f"phone {mask_phone(phone)} is owned by {holder.person_id} from {_span(other, tz)}: "
                       "a phone has one owner at a time")
    ph = PersonPhone(person_fk=person.id, phone=phone, owner=True, valid_from=valid_from, valid_to=valid_to,
                     source=source)
    session.add(ph)
    session.flush()
    audit(session, acting(session), "person.phone", "person", person.person_id, after={
        "phone": mask_phone(phone), "valid_from": valid_from and valid_from.isoformat(),
        "valid_to": valid_to and valid_to.isoformat()})
    return ph


def _when(value: str | None, tz: ZoneInfo) -> datetime | None:
    """A date (midnight local) or an ISO time; without offset, in the deployment's zone."""
    if not value:
        return None
    t = datetime.fromisoformat(value) if "T" in value or " " in value else datetime.combine(
        datetime.fromisoformat(value).date(), time())
    return t if t.tzinfo else t.replace(tzinfo=tz)


def _clean(row: dict, tz: ZoneInfo) -> tuple[dict | None, str | None]:
    out = {k: (str(row[k]).strip() or None) if row.get(k) is not None else None for k in PHONE_FIELDS}
    if not out["person_id"] or not out["phone"]:
        return None, "person_id and phone are required"
    if not _PHONE.match(out["phone"]):
        return None, f"phone {out['phone']!r} is not an 11-digit mainland mobile number"
    try:
        out["valid_from"], out["valid_to"] = _when(out["valid_from"], tz), _when(out["valid_to"], tz)
    except ValueError:
        return None, "valid_from / valid_to must be ISO dates or times"
    if out["valid_from"] and out["valid_to"] and out["valid_to"] <= out["valid_from"]:
        return None, "valid_to is not after valid_from"
    return out, None


def import_person_phones(session: Session, tf: TableFile, *, tz: ZoneInfo, strict: bool = False) -> ImportResult:
    """person_phones.csv: who owned a phone when (a phone moves to a new owner on a date). Keyed by
    (person_id, phone, valid_from); overlapping owners of one phone are rejected with the holder named."""
    result = ImportResult(table="person_phones", file=tf.path.name, rows=tf.table.num_rows, errors=[],
                          warnings=list(tf.warnings))
    rows = [(r["_line"], *_clean(r, tz)) for r in tf.table.to_pylist()]
    keys = sorted({r["person_id"] for _, r, e in rows if r})
    persons: dict[str, Person] = {}
    for part in chunks(keys):
        persons.update((p.person_id, p) for p in session.scalars(select(Person).where(Person.person_id.in_(part))))
        persons.update((k, p) for k, p in session.execute(
            select(PersonSourceKey.key, Person).join(Person, Person.id == PersonSourceKey.person_fk)
            .where(PersonSourceKey.key.in_(part))).all())
    good = []
    for line, row, err in rows:
        person = persons.get(row["person_id"]) if row else None
        if row and person is None:
            err = f"unknown person {row['person_id']}"
        if err:
            result.errors.append(RowError(tf.path.name, line, err))
        else:
            good.append((line, row, person))
    accepted = _check_owners(session, tf.path.name, good, result, tz)
    if strict and result.errors:
        result.committed = False
        return result
    session.add_all(accepted)
    session.flush()
    result.inserted = len(accepted)
    result.errors.sort(key=lambda e: e.line)
    return result


def _check_owners(session: Session, file: str, good: list, result: ImportResult, tz: ZoneInfo) -> list[PersonPhone]:
    """Each row against the stored owners of its phone and the rows accepted before it in the file."""
    owners: dict[str, list[PersonPhone]] = {}
    phones = sorted({row["phone"] for _, row, _ in good})
    for part in chunks(phones):
        for ph in session.scalars(select(PersonPhone).where(PersonPhone.phone.in_(part), PersonPhone.owner.is_(True))):
            owners.setdefault(ph.phone, []).append(ph)
    holders = {p.id: p.person_id for _, _, p in good}
    accepted = []
    for line, row, person in good:
        known = owners.setdefault(row["phone"], [])
        same = next((ph for ph in known if ph.person_fk == person.id and ph.valid_from == row["valid_from"]), None)
        if same is not None:
            if same.valid_to == row["valid_to"]:
                result.unchanged += 1
            else:
                result.errors.append(RowError(file, line, f"phone {mask_phone(row['phone'])} of {row['person_id']} "
                                                          "already stored from the same time with another valid_to"))
            continue
        start, end = row["valid_from"] or _NEVER, row["valid_to"] or _EVER
        clash = next((ph for ph in known if ph.person_fk != person.id
                      and (ph.valid_from or _NEVER) < end and start < (ph.valid_to or _EVER)), None)
        if clash is not None:
            holder = holders.get(clash.person_fk) or session.get(Person, clash.person_fk).person_id
            result.errors.append(RowError(file, line, f"phone {mask_phone(row['phone'])} is owned by {holder} from "
                                                      f"{_span(clash, tz)}: a phone has one owner at a time"))
            continue
        ph = PersonPhone(person_fk=person.id, phone=row["phone"], owner=True, valid_from=row["valid_from"],
                         valid_to=row["valid_to"], source="person_phones")
        known.append(ph)
        accepted.append(ph)
    return accepted
