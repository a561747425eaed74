"""One search box for people (issue 25): a person id or any source key, a phone (their own or a contact phone),
an ID number, or a name (exact, or its beginning). Every look-up is an index look-up (person_id, source keys,
phones, id_number, name), so it stays fast at any register size; the session's jurisdiction cuts the persons."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fangkong.people.models import Person, PersonPhone, PersonSourceKey

__all__ = ["classify", "find_people", "masked_query"]

_PHONE = re.compile(r"^1\d{10}$")
_ID = re.compile(r"^\d{17}[\dXx]$")
_CASE = re.compile(r"^[Cc]\d{3,}$")


def classify(q: str) -> str:
    """What was typed: phone, id_number, case, or key_or_name (a person id, a source key, a name)."""
    q = q.strip()
    if _PHONE.fullmatch(q):
        return "phone"
    if _ID.fullmatch(q):
        return "id_number"
    if _CASE.fullmatch(q):
        return "case"
    return "key_or_name"


def masked_query(q: str, kind: str) -> str:
    """What the audit log keeps of a search: not the phone, ID number or name itself."""
    q = q.strip()
    if kind == "phone":
        return q[:3] + "****" + q[-4:]
    if kind == "id_number":
        return q[:6] + "********" + q[-4:]
    if kind == "case":
        return q.upper()
    return q[:1] + "*" * max(0, len(q) - 1)


def find_people(session: Session, q: str, *, limit: int = 20) -> list[Person]:
    """The persons the text names, at most `limit`, exact matches before name prefixes."""
    q = q.strip()
    kind = classify(q)
    if not q or kind == "case":
        return []
    if kind == "phone":
        cond = or_(Person.phone == q, Person.id.in_(select(PersonPhone.person_fk).where(PersonPhone.phone == q)))
    elif kind == "id_number":
        cond = Person.id_number == q.upper()
    else:
        cond = or_(Person.person_id == q, Person.id.in_(select(PersonSourceKey.person_fk)
                                                        .where(PersonSourceKey.key == q)))
    found = list(session.scalars(select(Person).where(cond).order_by(Person.person_id).limit(limit)))
    if kind == "key_or_name" and len(found) < limit:
        # the name on its own: walked on the name index in the register's order and cut at the limit (with the
        # keys' OR and an order by person id, SQLite read and sorted every namesake: 0.5 s for a common name
        # in a city of 1 M)
        seen = {p.id for p in found}
        namesakes = session.scalars(select(Person).where(Person.name == q).order_by(Person.id).limit(limit))
        found = sorted([*found, *(p for p in namesakes if p.id not in seen)], key=lambda p: p.person_id)[:limit]
    if kind == "key_or_name" and len(found) < limit and len(q) >= 1 and not q.isascii():
        # a name's beginning (王小 → 王小明): a range on the name index, not a LIKE that scans the register
        seen = {p.id for p in found}
        more = session.scalars(select(Person).where(Person.name > q, Person.name < q + "\uffff")
                               .order_by(Person.name, Person.person_id).limit(limit - len(found)))
        found += [p for p in more if p.id not in seen]
    return found
