"""HTTP routes of measures: read them, escalate, extend, release, record a scheduled test's result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.deps import Page, SessionDep, SettingsDep
from fangkong.measures import lifecycle, service
from fangkong.measures.schemas import DecisionRead, EscalateIn, ExtendIn, MeasureRead, ResultIn
from fangkong.protocol.edition import load_edition

router = APIRouter(prefix="/api/measures", tags=["measures"])
KindQ = Annotated[str | None, Query(pattern="^(centralized_isolation|home_isolation|home_monitoring|health_monitoring|temporary_control)$")]
StatusQ = Annotated[str | None, Query(pattern="^(active|replaced|became_case|released|withdrawn)$")]
MeasureId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=list[MeasureRead])
def list_measures(session: SessionDep, page: Page, kind: KindQ = None, status: StatusQ = "active"):
    return [MeasureRead.of(m) for m in service.list_measures(session, status=status, kind=kind, limit=page.limit,
                                                             offset=page.offset)]


@router.get("/{measure_id}", response_model=MeasureRead)
def read_measure(session: SessionDep, measure_id: MeasureId):
    return MeasureRead.of(service.get_measure(session, measure_id))


@router.post("/{measure_id}/escalate", response_model=MeasureRead)
def escalate(session: SessionDep, measure_id: MeasureId, body: EscalateIn):
    """Home → centralized isolation for the rest of the period."""
    m = lifecycle.escalate(session, service.get_measure(session, measure_id), now=utcnow(), reason=body.reason)
    return MeasureRead.of(m)


@router.post("/{measure_id}/extend", response_model=MeasureRead)
def extend(session: SessionDep, settings: SettingsDep, measure_id: MeasureId, body: ExtendIn):
    """A new exposure: the period and tests restart from it."""
    m = service.get_measure(session, measure_id)
    service.check_version(m, body.version)
    m = lifecycle.extend(session, m, exposure_at=body.exposure_at,
                         edition=load_edition(settings.edition), tz=settings.zone, now=utcnow(), reason=body.reason)
    return MeasureRead.of(m)


@router.get("/{measure_id}/release", response_model=DecisionRead)
def check_release(session: SessionDep, settings: SettingsDep, measure_id: MeasureId):
    """What the rules allow now (release, step_down, upgrade or refuse with the reason); changes nothing."""
    d = lifecycle.check_release(session, service.get_measure(session, measure_id),
                                edition=load_edition(settings.edition), tz=settings.zone, now=utcnow())
    return DecisionRead(action=d.action, reason=d.reason)


@router.post("/{measure_id}/release", response_model=DecisionRead)
def release(session: SessionDep, settings: SettingsDep, measure_id: MeasureId):
    """Release after the full period with every scheduled test negative; 422 with the reason otherwise."""
    d, m = lifecycle.release(session, service.get_measure(session, measure_id),
                             edition=load_edition(settings.edition), tz=settings.zone, now=utcnow())
    return DecisionRead(action=d.action, reason=d.reason, measure=MeasureRead.of(m))


@router.post("/tests/{test_id}/result", response_model=MeasureRead)
def record_result(session: SessionDep, settings: SettingsDep, test_id: MeasureId, body: ResultIn):
    """A scheduled test's result; a positive one opens a suspected case for the re-check."""
    task = lifecycle.get_test(session, test_id)
    now = utcnow()
    if body.at is not None and not datetime(2000, 1, 1, tzinfo=UTC) <= body.at <= now:
        raise InvalidInput("the result time must lie between 2000 and now")
    lifecycle.record_result(session, task, body.result, at=body.at or now, edition=load_edition(settings.edition),
                            tz=settings.zone)
    return MeasureRead.of(task.measure)

