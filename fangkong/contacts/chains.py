"""Transmission chains: a case's likely source is an earlier case that had traced them as a risk person."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts.models import ChainEdge, RiskPerson
from fangkong.protocol.classify import rank

__all__ = ["Edge", "Graph", "chains", "cluster_of"]


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
         .where(Case.status.in_(DECLARED), src.declared_at < Case.declared_at, src.id != Case.id))
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
