"""HTTP routes of measures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.deps import Page, SessionDep
from fangkong.measures import service
from fangkong.measures.schemas import MeasureRead
from fangkong.measures.verification_api import router as verification_router

router = APIRouter(prefix="/api/measures", tags=["measures"])
#: the domain's other routers (verification, sites, hospitals, check-ins), mounted once by fangkong/api.py
more = APIRouter()
KindQ = Annotated[str | None, Query(pattern="^(centralized_isolation|home_isolation|home_monitoring|health_monitoring|temporary_control)$")]
StatusQ = Annotated[str | None, Query(pattern="^(active|replaced|became_case|released|withdrawn)$")]


@router.get("", response_model=list[MeasureRead])
def list_measures(session: SessionDep, page: Page, kind: KindQ = None, status: StatusQ = "active"):
    return [MeasureRead.of(m) for m in service.list_measures(session, status=status, kind=kind, limit=page.limit,
                                                             offset=page.offset)]


@router.get("/{measure_id}", response_model=MeasureRead)
def read_measure(session: SessionDep, measure_id: Annotated[int, Path(ge=1, le=2**62)]):
    return MeasureRead.of(service.get_measure(session, measure_id))


more.include_router(verification_router)
