"""HTTP routes of the testing domain: planner, points, labs, rounds and their progress, turnaround,
re-tests, conflicts, environmental samples."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.deps import Page, SessionDep, SettingsDep
from fangkong.protocol.edition import load_edition
from fangkong.protocol.pooling import testing_rule
from fangkong.testing import service, tally
from fangkong.testing.schemas import (
    ConflictRead,
    EnvCreate,
    EnvRead,
    LabCreate,
    LabRead,
    PlanRead,
    PointCreate,
    PointRead,
    ResolveIn,
    RetestRead,
    RoundCreate,
    RoundRead,
)

router = APIRouter(prefix="/api/testing", tags=["testing"])
RoundId = Annotated[str, Path(min_length=1, max_length=64)]
LabsQ = Annotated[str, Query(min_length=1, max_length=2000, pattern=r"^[A-Za-z0-9_.:,-]+$",
                             description="LAB:CAPACITY,… e.g. own:143000,contract:80000")]


def _rule(settings):
    return testing_rule(load_edition(settings.edition))


def _labs(text: str) -> dict[str, int]:
    labs: dict[str, int] = {}
    for i, part in enumerate(p for p in text.split(",") if p):
        name, _, cap = part.rpartition(":")
        if not cap.isdigit() or len(cap) > 9:
            raise InvalidInput(f"labs: {part!r} is not LAB:CAPACITY")
        labs[name or f"lab{i + 1}"] = int(cap)
    if not labs:
        raise InvalidInput("labs: give at least one LAB:CAPACITY")
    return labs


@router.get("/plan", response_model=PlanRead)
def plan(settings: SettingsDep, labs: LabsQ, persons: Annotated[int, Query(ge=1, le=10**9)],
         prevalence: Annotated[float, Query(gt=0, lt=1)], points: Annotated[int, Query(ge=1, le=10**7)],
         single: Annotated[int, Query(ge=0, le=10**9)] = 0,
         pool_size: Annotated[int | None, Query(ge=1, le=20)] = None):
    """The round planner: Dorfman pool size, tests, tubes, lab-days, sampling hours, duration vs 24 h."""
    return PlanRead.of(service.plan(_rule(settings), persons=persons, prevalence=prevalence, points=points,
                                    labs=_labs(labs), single_tube_persons=single, pool_size=pool_size))


@router.get("/points", response_model=list[PointRead])
def list_points(session: SessionDep, page: Page):
    return [PointRead(point_id=p.point_id, name=p.name, community=p.community, tables=p.tables)
            for p in service.list_points(session, limit=page.limit, offset=page.offset)]


@router.post("/points", response_model=PointRead, status_code=201)
def add_point(session: SessionDep, body: PointCreate):
    p = service.add_point(session, body.point_id, name=body.name, community=body.community,
                          tables=body.tables)
    return PointRead(point_id=p.point_id, name=p.name, community=p.community, tables=p.tables)


@router.get("/labs", response_model=list[LabRead])
def list_labs(session: SessionDep):
    return [LabRead(lab_id=x.lab_id, name=x.name, kind=x.kind, daily_capacity=x.daily_capacity)
            for x in service.list_labs(session)]


@router.post("/labs", response_model=LabRead, status_code=201)
def add_lab(session: SessionDep, body: LabCreate):
    x = service.add_lab(session, body.lab_id, daily_capacity=body.daily_capacity, kind=body.kind,
                        name=body.name)
    return LabRead(lab_id=x.lab_id, name=x.name, kind=x.kind, daily_capacity=x.daily_capacity)


@router.get("/rounds", response_model=list[RoundRead])
def list_rounds(session: SessionDep, page: Page):
    return [RoundRead.of(r) for r in service.list_rounds(session, limit=page.limit, offset=page.offset)]


@router.post("/rounds", response_model=RoundRead, status_code=201)
def create_round(session: SessionDep, settings: SettingsDep, body: RoundCreate):
    r = service.create_round(session, body.round_id, rule=_rule(settings), name=body.name, kind=body.kind,
                             start_date=body.start_date, end_date=body.end_date or body.start_date,
                             point_ids=body.point_ids, pool_size=body.pool_size, communities=body.communities)
    return RoundRead.of(r)


@router.get("/rounds/{round_id}/progress")
def round_progress(session: SessionDep, round_id: RoundId) -> dict:
    """Expected / sampled / results in / reactive, in total, per point and per community (kept by every import:
    testing/tally.py)."""
    return tally.progress(session, service.get_round(session, round_id))


@router.get("/rounds/{round_id}/not-sampled")
def not_sampled(session: SessionDep, round_id: RoundId, page: Page) -> list[dict]:
    """不漏一人: people of the area with no swab in this round yet (ids only; names stay masked)."""
    rnd = service.get_round(session, round_id)
    return [{"person_id": p.person_id, "community": p.community}
            for p in service.not_sampled(session, rnd, limit=page.limit, offset=page.offset)]


@router.get("/turnaround")
def turnaround(session: SessionDep, round_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict]:
    """Hours per stage (ship, test, report, total) per lab: count, p50, p90, p99, max."""
    return service.turnaround(session, round_id=round_id)


@router.get("/retests", response_model=list[RetestRead])
def retests(session: SessionDep, page: Page,
            status: Annotated[str | None, Query(pattern="^(open|done|cancelled)$")] = "open",
            reason: Annotated[str | None, Query(pattern="^(pool_positive|recheck|repeat|resample)$")] = None):
    return [RetestRead.of(r) for r in service.list_retests(session, status=status, reason=reason, limit=page.limit,
                                                            offset=page.offset)]


@router.get("/conflicts", response_model=list[ConflictRead])
def conflicts(session: SessionDep, page: Page,
              status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = "open"):
    return [ConflictRead.of(c) for c in service.list_conflicts(session, status=status, limit=page.limit,
                                                                offset=page.offset)]


@router.post("/conflicts/{conflict_id}/resolve", response_model=ConflictRead)
def resolve(session: SessionDep, settings: SettingsDep, conflict_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
            body: ResolveIn):
    """A reviewer decides the tube's result (audited); a new result is followed up like an imported one."""
    c, _ = service.resolve_conflict(session, conflict_id, result=body.result, rule=_rule(settings),
                                    edition=settings.edition, tz=settings.zone, now=utcnow())
    return ConflictRead.of(c)


@router.get("/environmental", response_model=list[EnvRead])
def environmental(session: SessionDep, page: Page):
    return [EnvRead(tube_id=e.tube.tube_id, place_kind=e.place_kind, place_ref=e.place_ref,
                    sampled_at=e.tube.sampled_at, result=res)
            for e, res in service.list_environmental(session, limit=page.limit, offset=page.offset)]


@router.post("/environmental", response_model=EnvRead, status_code=201)
def add_environmental(session: SessionDep, body: EnvCreate):
    e = service.register_environmental(session, body.tube_id, place_kind=body.place_kind, sampled_at=body.sampled_at,
                                       place_ref=body.place_ref, case_ref=body.case_id, note=body.note)
    return EnvRead(tube_id=e.tube.tube_id, place_kind=e.place_kind, place_ref=e.place_ref,
                   sampled_at=e.tube.sampled_at, result=None)
