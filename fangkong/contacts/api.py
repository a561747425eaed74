"""HTTP routes of risk persons: list, filter, override a category (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.cases import service as case_service
from fangkong.contacts import chains, concealment, service
from fangkong.contacts.models import CATEGORY_PATTERN
from fangkong.contacts.schemas import RiskPersonOverride, RiskPersonRead
from fangkong.kit.deps import Page, SessionDep, SettingsDep
from fangkong.lake.queries import Lake
from fangkong.protocol.edition import load_edition

router = APIRouter(prefix="/api", tags=["risk persons"])
CategoryQ = Annotated[str | None, Query(pattern=CATEGORY_PATTERN)]


@router.get("/risk-persons", response_model=list[RiskPersonRead])
def list_risk_persons(session: SessionDep, page: Page, category: CategoryQ = None,
                      case_id: Annotated[str | None, Query(max_length=20)] = None):
    case = case_service.get_case(session, case_id) if case_id else None
    rows = service.risk_persons(session, case=case, category=category, limit=page.limit, offset=page.offset)
    return [RiskPersonRead.of(r) for r in rows]


@router.patch("/risk-persons/{risk_id}", response_model=RiskPersonRead)
def override(session: SessionDep, risk_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: RiskPersonOverride):
    risk = service.get_risk_person(session, risk_id)
    risk = service.override_category(session, risk, body.category, reason=body.reason, version=body.version)
    session.flush()  # the version check runs here: a simultaneous override is refused before we answer
    return RiskPersonRead.of(risk)


@router.get("/chains", tags=["cases"])
def transmission_chains(session: SessionDep, case_id: Annotated[str | None, Query(max_length=20)] = None) -> dict:
    """The transmission graph: cases, likely-source edges with evidence, clusters (one cluster with case_id)."""
    g = chains.cluster_of(session, case_id.upper()) if case_id else chains.chains(session)
    return {"nodes": g.nodes, "clusters": g.clusters,
            "edges": [{"source": e.source, "target": e.target, "category": e.category, "evidence": e.evidence}
                      for e in g.edges]}


@router.get("/cases/{case_id}/concealment", tags=["cases"])
def case_concealment(session: SessionDep, settings: SettingsDep, case_id: Annotated[str, Path(max_length=20)]) -> list:
    """Data points of the case's window (venue scans, carrier cells), each marked declared or not (瞒报)."""
    case = case_service.get_case(session, case_id)
    points = concealment.undeclared(session, case, lake=Lake.from_settings(settings, case.sampled_at),
                                    edition=load_edition(case.edition or settings.edition), tz=settings.zone)
    return [{"source": p.source, "place": p.place, "name": p.name, "start": p.start, "end": p.end,
             "declared": p.declared} for p in points]
