"""Transmission chains: a case's likely source is an earlier case that had traced them as a risk person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts.models import ChainEdge, RiskCategory, RiskPerson
from fangkong.people.models import Person
from fangkong.protocol.chains import clusters, generations
from fangkong.protocol.classify import rank

__all__ = ["Edge", "Graph", "chains", "city_chains", "cluster_of", "source_of"]


@dataclass(frozen=True)
class Edge:
    source: str        # the earlier case
    target: str        # the case it likely infected
    category: str      # how the target was found from the source
    evidence: list = field(hash=False, compare=False, default_factory=list)


@dataclass
class Graph:
    nodes: list[dict]
    edges: list[Edge]
    clusters: list[list[str]]


def _edges(session: Session) -> tuple[dict[str, Case], list[Edge]]:
    """Per case, the earliest-declared earlier case that found it, by the highest category."""
    src = aliased(Case)
    q = (select(Case, src.case_no, src.declared_at, RiskPerson.category, RiskPerson.evidence)
         .join(RiskPerson, RiskPerson.person_fk == Case.person_fk)
         .join(src, src.id == RiskPerson.case_fk)
         .where(Case.status.in_(DECLARED), src.status.in_(DECLARED), src.declared_at < Case.declared_at,
                src.id != Case.id))
    best: dict[str, tuple] = {}
    for case, src_no, src_at, cat, evidence in session.execute(q):
        key = (rank(cat), src_at, src_no)
        if case.case_no not in best or key < best[case.case_no][0]:
            best[case.case_no] = (key, Edge(src_no, case.case_no, cat, evidence[:5]))
    cases = {c.case_no: c for c in session.scalars(select(Case).where(Case.status.in_(DECLARED)))}
    # a case met by another case's trace (never a risk person): the earlier-declared of the two is the source
    by_id = {c.id: c for c in cases.values()}
    for a_fk, b_fk, cat, evidence in session.execute(select(ChainEdge.case_fk, ChainEdge.target_case_fk,
                                                            ChainEdge.category, ChainEdge.evidence)):
        a, b = by_id.get(a_fk), by_id.get(b_fk)
        if a is None or b is None:
            continue
        src, case = sorted((a, b), key=lambda c: (c.declared_at, c.case_no))
        key = (rank(cat), src.declared_at, src.case_no)
        if case.case_no not in best or key < best[case.case_no][0]:
            best[case.case_no] = (key, Edge(src.case_no, case.case_no, cat, evidence[:5]))
    return cases, [e for _, e in sorted(best.values(), key=lambda x: x[1].target)]


def _components(names: list[str], edges: list[Edge]) -> list[list[str]]:
    parent = {n: n for n in names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in edges:
        if e.source in parent and e.target in parent:
            parent[find(e.source)] = find(e.target)
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(find(n), []).append(n)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))


def chains(session: Session) -> Graph:
    """Every declared case as a node, likely-source edges with evidence, and the clusters they form."""
    cases, edges = _edges(session)
    nodes = [{"case_id": c.case_no, "status": c.status, "person_id": c.person.person_id,
              "declared_at": c.declared_at.isoformat() if c.declared_at else None} for c in cases.values()]
    return Graph(nodes=nodes, edges=edges, clusters=_components(sorted(cases), edges))


def cluster_of(session: Session, case_no: str) -> Graph:
    """Only the cluster that contains this case: graphs are drawn one cluster at a time."""
    g = chains(session)
    members = next((set(c) for c in g.clusters if case_no in c), {case_no})
    return Graph(nodes=[n for n in g.nodes if n["case_id"] in members],
                 edges=[e for e in g.edges if e.target in members], clusters=[sorted(members)])


def _sources(session: Session, case_ids: dict[int, datetime]) -> dict[int, tuple[int, str]]:
    """Visible case id → (its likely source's id, how it was found), by the same rule as _edges, without loading a
    record or an evidence list: the highest category, then the earliest-declared earlier case. A source outside
    `case_ids` (another district's case, for a district's reader) is left out."""
    src = aliased(Case)
    q = (select(Case.id, src.id, src.declared_at, src.case_no, RiskPerson.category)
         .join(RiskPerson, RiskPerson.person_fk == Case.person_fk)
         .join(src, src.id == RiskPerson.case_fk)
         .where(Case.status.in_(DECLARED), src.declared_at < Case.declared_at, src.id != Case.id))
    best: dict[int, tuple] = {}
    for cid, sid, s_at, s_no, cat in session.execute(q):
        key = (rank(cat), s_at, s_no)
        if sid in case_ids and (cid not in best or key < best[cid][0]):
            best[cid] = (key, sid, cat)
    for a, b, cat in session.execute(select(ChainEdge.case_fk, ChainEdge.target_case_fk, ChainEdge.category)):
        if a not in case_ids or b not in case_ids:
            continue
        s, c = sorted((a, b), key=lambda i: (case_ids[i], i))
        key = (rank(cat), case_ids[s], "")
        if c not in best or key < best[c][0]:
            best[c] = (key, s, cat)
    return {c: (s, cat) for c, (_, s, cat) in best.items()}


def city_chains(session: Session, *, tz: ZoneInfo) -> dict:
    """Every declared case the reader may see, in columns for the chains view (issue 26): number, declared day
    (days since 1970-01-01, local), district (index into `districts`), likely source (index, -1 none), how it was
    found (index into `categories`), generation, cluster (0 = the largest) and close contacts counted."""
    rows = session.execute(select(Case.id, Case.case_no, Case.declared_at, Person.community)
                           .join(Person, Person.id == Case.person_fk)
                           .where(Case.status.in_(DECLARED), Case.declared_at.is_not(None))
                           .order_by(Case.declared_at, Case.case_no)).all()
    index = {r[0]: i for i, r in enumerate(rows)}
    sources = _sources(session, {r[0]: r[2] for r in rows})
    close = dict(session.execute(select(RiskPerson.case_fk, func.count()).where(RiskPerson.category == RiskCategory.CLOSE)
                                 .group_by(RiskPerson.case_fk)).all())
    src = [index[sources[r[0]][0]] if r[0] in sources else -1 for r in rows]
    districts = sorted({(r[3] or "")[:6] for r in rows})
    where = {d: i for i, d in enumerate(districts)}
    categories = list(RiskCategory)
    epoch = date(1970, 1, 1)
    return {"no": [r[1] for r in rows], "day": [(r[2].astimezone(tz).date() - epoch).days for r in rows],
            "district": [where[(r[3] or "")[:6]] for r in rows], "districts": districts,
            "src": src, "cat": [categories.index(sources[r[0]][1]) if r[0] in sources else -1 for r in rows],
            "categories": [c.value for c in categories], "gen": generations(src), "cluster": clusters(src),
            "contacts": [close.get(r[0], 0) for r in rows]}


def source_of(session: Session, case: Case) -> Edge | None:
    """The edge into this case from its likely source, with its evidence (the chains view shows it on a click)."""
    src = aliased(Case)
    q = (select(src.case_no, src.declared_at, RiskPerson.category, RiskPerson.evidence)
         .join(RiskPerson, RiskPerson.case_fk == src.id)
         .where(RiskPerson.person_fk == case.person_fk, src.declared_at < case.declared_at, src.id != case.id))
    best = None
    for s_no, s_at, cat, evidence in session.execute(q):
        key = (rank(cat), s_at, s_no)
        if best is None or key < best[0]:
            best = (key, Edge(s_no, case.case_no, cat, (evidence or [])[:5]))
    for a, b, cat, evidence in session.execute(
            select(ChainEdge.case_fk, ChainEdge.target_case_fk, ChainEdge.category, ChainEdge.evidence)
            .where(or_(ChainEdge.case_fk == case.id, ChainEdge.target_case_fk == case.id))):
        other = session.get(Case, b if a == case.id else a)
        if other is None or other.declared_at is None or case.declared_at is None or \
                (other.declared_at, other.case_no) > (case.declared_at, case.case_no):
            continue  # the other case came later: this one is its source, not the other way round
        key = (rank(cat), other.declared_at, other.case_no)
        if best is None or key < best[0]:
            best = (key, Edge(other.case_no, case.case_no, cat, (evidence or [])[:5]))
    return best[1] if best else None
