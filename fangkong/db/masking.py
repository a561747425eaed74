"""What belongs to another district, masked in what a district user is shown ("外区" instead of the id).

Rows a district sees can name records it may not see: a risk person of its case who lives elsewhere, the case
of another district behind its resident's task or measure, the other persons of an assistance request, the
source case of a chain edge, the venue or household where a contact met a case. An id is *foreign* when it exists in the deployment but the user's scope does not
see it (fangkong.db.scoping); foreign case and person ids are replaced by OTHER_DISTRICT, and the personal
fields beside a foreign person (name, phone, ID number) are dropped. Ids nobody has (a venue, a free-text
reference) are left alone. The whole deployment (admin, CLI) sees everything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.db.core import Base
from fangkong.db.scope import SCOPE_KEY, scope_of
from fangkong.protocol.roles import normalise_code

__all__ = ["CASE_KEYS", "OTHER_DISTRICT", "PERSON_KEYS", "PLACE_KEYS", "Foreign", "foreign_ids", "foreign_places",
           "mask_other_districts", "mask_page", "mask_rows"]

OTHER_DISTRICT = "外区"
#: JSON keys whose value is a case number / a person id
CASE_KEYS = frozenset({"case_id", "source", "target", "source_case_id", "case"})
PERSON_KEYS = frozenset({"person_id", "via", "survivor_id", "candidate_id"})
#: evidence places: a venue id or a household id (masked when they belong to another district)
PLACE_KEYS = frozenset({"place"})
#: free-text fields that may name a case ("C000001 风险人员协查", "C000001-140106-0")
TEXT_KEYS = frozenset({"ref", "reason", "note"})
_CASE_NO = re.compile(r"C\d{6,}")
#: personal fields of the object that names a foreign person
_PERSONAL = ("name", "phone", "phone_masked", "id_number", "address")
_T = Base.metadata.tables
_CHUNK = 500


def _present(session: Session, column, values: list[str], scoped: bool) -> set[str]:
    found: set[str] = set()
    saved = session.info.get(SCOPE_KEY)
    if not scoped:
        session.info.pop(SCOPE_KEY, None)
    try:
        for i in range(0, len(values), _CHUNK):
            found.update(session.scalars(select(column).where(column.in_(values[i:i + _CHUNK]))))
    finally:
        if saved is not None:
            session.info[SCOPE_KEY] = saved
    return found


def foreign_places(session: Session, places: Iterable[str]) -> set[str]:
    """The evidence places (a venue id, a household id) among these that belong to another district: a venue
    whose community lies outside the user's jurisdiction, a household none of whose members the user sees.
    Other places (grid cells, free text) are nobody's and are left alone."""
    prefix = scope_of(session)
    wanted = sorted({v for v in places if isinstance(v, str) and v and v != OTHER_DISTRICT})
    if not prefix or not wanted:
        return set()
    venue, person = _T["venue"], _T["person"]
    out: set[str] = set()
    for i in range(0, len(wanted), _CHUNK):
        part = wanted[i:i + _CHUNK]
        out.update(session.scalars(select(venue.c.venue_id).where(
            venue.c.venue_id.in_(part), venue.c.community.is_not(None),
            ~venue.c.community.startswith(prefix))))
    households = _present(session, person.c.household_id, wanted, scoped=False)
    if households:
        out |= households - _present(session, person.c.household_id, sorted(households), scoped=True)
    return out


def foreign_ids(session: Session, *, cases: Iterable[str] = (), persons: Iterable[str] = ()) -> tuple[set, set]:
    """(case numbers, person ids) among these that exist but lie outside the session's scope."""
    if not scope_of(session):
        return set(), set()
    out = []
    for column, values in ((_T["case"].c.case_no, cases), (_T["person"].c.person_id, persons)):
        wanted = sorted({v for v in values if isinstance(v, str) and v and v != OTHER_DISTRICT})
        if not wanted:
            out.append(set())
            continue
        exists = _present(session, column, wanted, scoped=False)
        out.append(exists - _present(session, column, sorted(exists), scoped=True) if exists else set())
    return out[0], out[1]


class Foreign:
    """The foreign ids of one payload, looked up once: `.case(x)` and `.person(x)` give what may be shown."""

    def __init__(self, session: Session, cases: Iterable[str] = (), persons: Iterable[str] = (),
                 places: Iterable[str] = ()) -> None:
        self.prefix = scope_of(session)
        self.cases, self.persons = foreign_ids(session, cases=cases, persons=persons)
        self.places = foreign_places(session, places)

    def place(self, value: str | None) -> str | None:
        """An evidence place (venue, household) as the user may see it: another district's is 外区."""
        return OTHER_DISTRICT if value in self.places else value

    def case(self, value: str | None) -> str | None:
        return OTHER_DISTRICT if value in self.cases else value

    def person(self, value: str | None) -> str | None:
        return OTHER_DISTRICT if value in self.persons else value

    def community(self, code: str | None) -> bool:
        """Is this community outside the user's jurisdiction?"""
        if not self.prefix or not code:
            return False
        try:
            return not normalise_code(code).startswith(self.prefix)
        except ValueError:
            return False


def _collect(node: Any, cases: set, persons: set, places: set | None = None) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str):
                if k in PLACE_KEYS and places is not None:
                    places.add(v)
                elif k in CASE_KEYS:
                    cases.add(v)
                elif k in PERSON_KEYS:
                    persons.add(v)
                elif k in TEXT_KEYS:
                    cases.update(_CASE_NO.findall(v))
            else:
                _collect(v, cases, persons, places)
    elif isinstance(node, list):
        for v in node:
            _collect(v, cases, persons, places)


def _rewrite(node: Any, f: Foreign) -> None:
    if isinstance(node, dict):
        person_row = "person_id" in node or "id_number" in node
        foreign_person = person_row and (node.get("person_id") in f.persons or f.community(node.get("community")))
        for k, v in node.items():
            if isinstance(v, str):
                if k in PLACE_KEYS:
                    node[k] = f.place(v)
                elif k in CASE_KEYS:
                    node[k] = f.case(v)
                elif k in PERSON_KEYS:
                    node[k] = f.person(v)
                elif k in TEXT_KEYS and f.cases:
                    node[k] = _CASE_NO.sub(lambda m: f.case(m.group(0)), v)
            else:
                _rewrite(v, f)
        if foreign_person:
            if node.get("person_id"):
                node["person_id"] = OTHER_DISTRICT
            for k in _PERSONAL:
                if k in node:
                    node[k] = None
    elif isinstance(node, list):
        for v in node:
            _rewrite(v, f)


def mask_other_districts(session: Session, payload: Any) -> Any:
    """The JSON-able payload (dicts, lists) with another district's case and person ids masked, in place."""
    if not scope_of(session):
        return payload
    cases: set = set()
    persons: set = set()
    places: set = set()
    _collect(payload, cases, persons, places)
    if cases or persons or places:
        _rewrite(payload, Foreign(session, cases, persons, places))
    elif isinstance(payload, (dict, list)):
        _rewrite(payload, Foreign(session))  # persons of other communities without an id
    return payload


def mask_rows(session: Session, rows: list, *, personal: tuple[str, ...] = ("name", "phone")) -> list:
    """Frozen row objects (dataclasses with case_id / person_id / community) as a district may see them: a
    foreign case id masked; a foreign person's id masked and its personal fields dropped."""
    if not scope_of(session) or not rows:
        return rows
    f = Foreign(session, [getattr(r, "case_id", None) for r in rows], [getattr(r, "person_id", None) for r in rows])
    out = []
    for r in rows:
        change: dict[str, Any] = {}
        if hasattr(r, "case_id") and f.case(r.case_id) != r.case_id:
            change["case_id"] = OTHER_DISTRICT
        pid = getattr(r, "person_id", None)
        if pid in f.persons or f.community(getattr(r, "community", None)):
            change.update({"person_id": OTHER_DISTRICT if pid else None}, **{k: None for k in personal})
        out.append(dataclasses.replace(r, **change) if change else r)
    return out


#: a case number or a person id in a page's text, not inside a longer word or number
_PAGE_IDS = re.compile(r"(?<![A-Za-z0-9_])(C\d{6,}|P\d{5,})(?![0-9])")


def mask_page(session: Session, page: str, label: str = OTHER_DISTRICT) -> str:
    """A page's HTML as a district user may see it: every case number and person id it names that exists but
    lies outside the user's scope becomes `label` (OTHER_DISTRICT; its English on an English page) (the personal
    fields are the templates' to drop: a page draws only rows the data layer let through)."""
    if not scope_of(session):
        return page
    found = set(_PAGE_IDS.findall(page))
    if not found:
        return page
    cases, persons = foreign_ids(session, cases=[x for x in found if x[0] == "C"],
                                 persons=[x for x in found if x[0] == "P"])
    hidden = cases | persons
    if not hidden:
        return page
    return _PAGE_IDS.sub(lambda m: label if m.group(1) in hidden else m.group(0), page)
