"""Merging two person records into one and undoing it: every record naming the merged person follows the survivor.

The people domain sits below every domain that refers to a person, so it cannot import their models; it finds
them instead as the foreign keys to person.id among every registered table (fangkong.db.registry, complete once
the models registry fangkong.models is imported). Whatever a later domain adds that refers to a person is moved
by a merge without a change here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import PrimaryKeyConstraint, Table, UniqueConstraint, and_, exists, select, tuple_
from sqlalchemy.orm import Session

from fangkong.db import registry
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed, mark_swabs_moved
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.people import counts
from fangkong.people.models import (
    PERSON_FIELDS,
    MatchReview,
    Person,
    PersonMerge,
    PersonSourceKey,
    ReviewStatus,
)
from fangkong.people.persons_import import as_data
from fangkong.protocol import who
from fangkong.protocol.classify import rank
from fangkong.protocol.idnumber import mask

__all__ = ["merge", "unmerge", "active_merge_of", "get_merge", "recent_merges"]

_RISK = "risk_person"


def _enc(v):
    if isinstance(v, datetime):
        return {"$dt": v.isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    return v


def _dec(v):
    if isinstance(v, dict) and len(v) == 1 and "$dt" in v:
        return datetime.fromisoformat(v["$dt"])
    if isinstance(v, dict) and len(v) == 1 and "$date" in v:
        return date.fromisoformat(v["$date"])
    return v


def _snapshot(row) -> dict:
    return {k: _enc(v) for k, v in row._mapping.items()}


def _restore(session: Session, table: Table, rows: list[dict]) -> None:
    if rows:
        session.execute(table.insert(), [{k: _dec(v) for k, v in r.items()} for r in rows])


def _referencing(target: str) -> list[tuple[Table, str]]:
    """(table, column) of every foreign key to <target>.id."""
    goal = registry.tables()[target].c.id
    return [(t, c.name) for t in registry.sorted_tables() for c in t.columns
            if any(fk.column is goal for fk in c.foreign_keys)]


def _unique_sets(table: Table, col: str) -> list[list[str]]:
    sets = [[c.name for c in k.columns] for k in table.constraints
            if isinstance(k, UniqueConstraint | PrimaryKeyConstraint)]
    sets += [[c.name for c in ix.columns] for ix in table.indexes if ix.unique]
    return [s for s in sets if col in s]


def _pk(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _move(session: Session, table: Table, col: str, old: int, new: int, moved: dict, aside: dict) -> None:
    """Point `col` from `old` to `new`; a row that would collide with one of `new` under a unique key is set
    aside (kept in the merge record, restored by unmerge): health codes, zone residences, one tube's swab."""
    c = table.c[col]
    for uniq in _unique_sets(table, col):
        other = table.alias()
        same = and_(other.c[col] == new, *[other.c[o] == table.c[o] for o in uniq if o != col])
        rows = session.execute(select(table).where(c == old, exists(select(1).select_from(other).where(same)))).all()
        if rows:
            aside.setdefault(table.name, []).extend(_snapshot(r) for r in rows)
            pk = _pk(table)
            session.execute(table.delete().where(tuple_(*[table.c[k] for k in pk]).in_(
                [tuple(r._mapping[k] for k in pk) for r in rows])))
    pk = _pk(table)
    keys = [list(r) for r in session.execute(select(*[table.c[k] for k in pk]).where(c == old))]
    if not keys:
        return
    session.execute(table.update().where(c == old).values({col: new}))
    at = pk.index(col) if col in pk else None
    for k in keys:
        if at is not None:
            k[at] = new
    moved.setdefault(f"{table.name}.{col}", []).extend(keys)


def _move_back(session: Session, key: str, rows: list[list], old: int) -> None:
    name, col = key.split(".")
    table = registry.tables()[name]
    pk = _pk(table)
    for part in range(0, len(rows), 1000):
        session.execute(table.update().where(tuple_(*[table.c[k] for k in pk]).in_(
            [tuple(r) for r in rows[part : part + 1000]])).values({col: old}))


def _risk_persons(session: Session, survivor: Person, merged: Person, record: dict) -> None:
    """A risk person's key names the person ("p:<person_id>"): rename the merged person's, and where one case
    lists both, keep one row with the higher category and all evidence (measures and tasks follow it)."""
    t = registry.tables()[_RISK]
    old_who, new_who = who.of_person(merged.person_id), who.of_person(survivor.person_id)
    for row in session.execute(select(t).where(t.c.who == old_who)).all():
        keep = session.execute(select(t).where(t.c.case_fk == row.case_fk, t.c.who == new_who)).first()
        if keep is None:
            session.execute(t.update().where(t.c.id == row.id).values(who=new_who))
            record["renamed"].append(row.id)
            continue
        record["combined"].append({"kept": _snapshot(keep), "dropped": _snapshot(row), "refs": []})
        for ref, col in _referencing(_RISK):
            ids = [r[0] for r in session.execute(select(ref.c[_pk(ref)[0]]).where(ref.c[col] == row.id))]
            if ids:
                session.execute(ref.update().where(ref.c[col] == row.id).values({col: keep.id}))
                record["combined"][-1]["refs"].append([ref.name, col, ids])
        best = row if rank(row.category) < rank(keep.category) else keep
        session.execute(t.update().where(t.c.id == keep.id).values(
            category=best.category, found_category=best.found_category, evidence=list(keep.evidence) + list(row.evidence),
            first_exposure_at=min(keep.first_exposure_at, row.first_exposure_at),
            last_exposure_at=max(keep.last_exposure_at, row.last_exposure_at)))
        session.execute(t.delete().where(t.c.id == row.id))


def _unrisk(session: Session, survivor: Person, merged_person_id: str, record: dict) -> None:
    t = registry.tables()[_RISK]
    for c in reversed(record["combined"]):
        kept = {k: _dec(v) for k, v in c["kept"].items()}
        session.execute(t.update().where(t.c.id == kept["id"]).values(kept))
        _restore(session, t, [c["dropped"]])
        for name, col, ids in c["refs"]:
            ref = registry.tables()[name]
            session.execute(ref.update().where(ref.c[_pk(ref)[0]].in_(ids)).values({col: c["dropped"]["id"]}))
    if record["renamed"]:
        session.execute(t.update().where(t.c.id.in_(record["renamed"])).values(who=who.of_person(merged_person_id)))


def merge(session: Session, survivor: Person, merged: Person, *, reason: str, now: datetime,
          review_fk: int | None = None) -> PersonMerge:
    """Merge `merged` into `survivor`: its keys, phones, cases, risk persons, measures, tests, codes and every
    other record naming it move to the survivor; its own record is kept in the merge for `unmerge`. Done by
    the session's actor (fangkong.db.scope.acting)."""
    actor = acting(session)
    if survivor.id == merged.id:
        raise InvalidInput(f"cannot merge person {survivor.person_id} with themself", key="err_merge_self")
    if not reason or not reason.strip():
        raise InvalidInput("a merge needs a reason", key="err_reason_needed")
    if survivor.id_number and merged.id_number and survivor.id_number != merged.id_number:
        raise Conflict(f"{survivor.person_id} and {merged.person_id} have different resident ID numbers "
                       f"({mask(survivor.id_number)}, {mask(merged.id_number)}): not the same person, not merged", key="err_merge_id_numbers")
    moved: dict = {}
    aside: dict = {}
    risk = {"renamed": [], "combined": []}
    for table, col in _referencing("person"):
        _move(session, table, col, merged.id, survivor.id, moved, aside)
    _risk_persons(session, survivor, merged, risk)
    row = {f: _enc(getattr(merged, f)) for f in (*PERSON_FIELDS, "id", "source", "created_at")}
    alias = PersonSourceKey(source=merged.source, key=merged.person_id, person_fk=survivor.id,
                            data=as_data({f: getattr(merged, f) for f in PERSON_FIELDS}), linked_by="merge")
    session.delete(merged)
    session.flush()
    counts.recount(session, [row["community"]])
    mark_swabs_moved(session, [survivor.id], [survivor.community, row["community"]])
    session.add(alias)
    session.flush()
    record = PersonMerge(survivor_id=survivor.id, survivor_person_id=survivor.person_id, merged_id=row["id"],
                         merged_person_id=row["person_id"], merged_row=row, moved={**moved, "_alias": alias.id,
                                                                                 "_risk": risk},
                         set_aside=aside, review_fk=review_fk, reason=reason.strip(), actor=actor, at=now)
    session.add(record)
    session.flush()
    audit(session, actor, "person.merge", "person", survivor.person_id, before={"merged": row["person_id"]},
          after={"merge": record.id, "moved": {k: len(v) for k, v in moved.items()},
                 "set_aside": {k: len(v) for k, v in aside.items()}, "reason": record.reason})
    mark_changed(session, [survivor.id], now)
    session.expire_all()  # rows were moved with set-based statements: no loaded object may keep an old person
    return record


def get_merge(session: Session, merge_id: int) -> PersonMerge:
    m = session.get(PersonMerge, merge_id)
    if m is None:
        raise NotFound(f"unknown merge {merge_id}", key="err_unknown_merge", params={"id": merge_id})
    return m


def recent_merges(session: Session, *, limit: int = 20) -> list[PersonMerge]:
    return list(session.scalars(select(PersonMerge).order_by(PersonMerge.id.desc()).limit(limit)))


def active_merge_of(session: Session, person_id: str) -> PersonMerge:
    """The merge, not undone, that took `person_id` into another person."""
    m = session.scalar(select(PersonMerge).where(PersonMerge.merged_person_id == person_id,
                                                PersonMerge.undone_at.is_(None)).order_by(PersonMerge.id.desc()))
    if m is None:
        raise Conflict(f"{person_id} was never merged into another person: nothing to unmerge")
    return m


def unmerge(session: Session, m: PersonMerge, *, now: datetime) -> Person:
    """Undo a merge: the merged person is back with its own keys, phones and records; returns it."""
    actor = acting(session)
    if m.undone_at is not None:
        raise Conflict(f"merge {m.id} was already undone ({m.undone_at:%Y-%m-%d %H:%M} by {m.undone_by})", key="err_merge_undone", params={"id": m.id})
    later = session.scalar(select(PersonMerge).where(
        PersonMerge.id > m.id, PersonMerge.undone_at.is_(None),
        (PersonMerge.merged_id == m.survivor_id) | (PersonMerge.survivor_id == m.survivor_id)))
    if later is not None:
        raise Conflict(f"merge {later.id} ({later.merged_person_id} into {later.survivor_person_id}) came after "
                       f"merge {m.id} and involves the same person: unmerge it first", key="err_merge_later", params={"id": m.id, "later": later.id})
    survivor = session.get(Person, m.survivor_id)
    if survivor is None:
        raise Conflict(f"survivor {m.survivor_person_id} of merge {m.id} no longer exists", key="err_merge_no_survivor", params={"id": m.id})
    session.execute(Person.__table__.insert().values({k: _dec(v) for k, v in m.merged_row.items()}))
    alias = session.get(PersonSourceKey, m.moved["_alias"])
    if alias is not None:
        session.delete(alias)
    session.flush()
    _unrisk(session, survivor, m.merged_person_id, m.moved["_risk"])
    for key, rows in m.moved.items():
        if not key.startswith("_"):
            _move_back(session, key, rows, m.merged_id)
    for name, rows in m.set_aside.items():
        _restore(session, registry.tables()[name], rows)
    counts.recount(session, [m.merged_row.get("community")])
    mark_swabs_moved(session, [m.survivor_id, m.merged_id], [survivor.community, m.merged_row.get("community")])
    m.undone_at, m.undone_by = now, actor
    review = session.get(MatchReview, m.review_fk) if m.review_fk else None
    if review is not None:  # the analyst's "same person" is withdrawn: the question is open again
        review.status, review.decided_by, review.decided_at = ReviewStatus.OPEN, None, None
    session.flush()
    audit(session, actor, "person.unmerge", "person", m.merged_person_id, before={"merge": m.id},
          after={"survivor": m.survivor_person_id})
    mark_changed(session, [m.survivor_id, m.merged_id], now)
    session.expire_all()
    return session.get(Person, m.merged_id)
