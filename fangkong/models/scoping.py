"""The jurisdiction rules of every table: which rows of each table a scoped session sees (fangkong.db.scoping).

Visible persons: residents of the subtree (person.community under the prefix), plus persons pushed to it:
a task owned by a jurisdiction in the subtree (verification, assistance), an assistance row routed to one of
its communities. Everything about a person (cases, measures, codes, samples, ...) follows the person. The rules
name tables of every domain, so they live above the domains, beside the models registry that hands them to the
data layer.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, FromClause, Select, literal, or_, select, union

from fangkong.db.core import Base

__all__ = ["RULES", "visible_case_ids", "visible_person_ids"]

_T = Base.metadata.tables


def visible_person_ids(p: str) -> Select:
    person, task, ap = _T["person"], _T["task"], _T["assist_person"]
    return union(select(person.c.id).where(person.c.community.startswith(p)),
                 select(task.c.person_fk).where(task.c.jurisdiction.startswith(p), task.c.person_fk.is_not(None)),
                 select(ap.c.person_fk).where(ap.c.community.startswith(p), ap.c.person_fk.is_not(None)))


def visible_case_ids(p: str) -> Select:
    case = _T["case"]
    return select(case.c.id).where(case.c.person_fk.in_(visible_person_ids(p)))


def _by_person(column: str = "person_fk") -> Callable[[FromClause, str], ColumnElement]:
    return lambda t, p: t.c[column].in_(visible_person_ids(p))


def _by_case(t: FromClause, p: str) -> ColumnElement:
    return t.c.case_fk.in_(visible_case_ids(p))


def _related(t: FromClause, p: str) -> ColumnElement:
    """A place or team of a jurisdiction: seen from inside its subtree and from above it."""
    return or_(t.c.jurisdiction.startswith(p), literal(p).startswith(t.c.jurisdiction))


def _person(t, p):
    pushed = union(select(_T["task"].c.person_fk).where(_T["task"].c.jurisdiction.startswith(p)),
                   select(_T["assist_person"].c.person_fk).where(_T["assist_person"].c.community.startswith(p)))
    return or_(t.c.community.startswith(p), t.c.id.in_(pushed))


def _risk_person(t, p):
    return or_(t.c.person_fk.in_(visible_person_ids(p)), t.c.case_fk.in_(visible_case_ids(p)))


def _task(t, p):
    return or_(t.c.jurisdiction.startswith(p), t.c.person_fk.in_(visible_person_ids(p)),
               t.c.case_fk.in_(visible_case_ids(p)))


def _assist_request(t, p):
    ap = _T["assist_person"]
    return or_(t.c.recipient.startswith(p), t.c.case_fk.in_(visible_case_ids(p)),
               t.c.id.in_(select(ap.c.request_fk).where(ap.c.community.startswith(p))))


def _assist_person(t, p):
    ar = _T["assist_request"]
    return or_(t.c.community.startswith(p), t.c.person_fk.in_(visible_person_ids(p)),
               t.c.request_fk.in_(select(ar.c.id).where(ar.c.case_fk.in_(visible_case_ids(p)))))


def _zone(t, p):
    return or_(t.c.case_fk.is_(None), t.c.case_fk.in_(visible_case_ids(p)))


def _match_review(t, p):
    return or_(t.c.person_fk.in_(visible_person_ids(p)), t.c.candidate_fk.in_(visible_person_ids(p)))


#: table → its WHERE clause for prefix p. Tables not listed hold no personal data (venues, labs, rounds,
#: tubes, editions) or are guarded by a permission instead (users, tokens, the audit log).
RULES: dict[str, Callable[[FromClause, str], ColumnElement]] = {
    "person": _person,
    "case": _by_person(),
    "risk_person": _risk_person,
    "measure": _by_person(),
    "test_task": _by_person(),
    "check_in": _by_person(),
    "room_stay": _by_person(),
    "health_code": _by_person(),
    "health_code_change": _by_person(),
    "sample": _by_person(),
    "zone_resident": _by_person(),
    "zone_absence": _by_person(),
    "arrival": _by_person(),
    "inbound_arrival": _by_person(),
    "drug_purchase": _by_person(),
    "fever_report": _by_person(),
    "vaccination": _by_person(),
    "person_source_key": _by_person(),
    "person_phone": _by_person(),
    "person_merge": _by_person("survivor_id"),
    "match_review": _match_review,
    "hospital_admission": _by_case,
    "investigation": _by_case,
    "task": _task,
    "assist_request": _assist_request,
    "assist_person": _assist_person,
    "zone": _zone,
    "tracing_team": _related,
    "isolation_site": _related,
    "hospital": _related,
}
