"""Testing services: rounds, sampling points, labs, environmental samples, imports with their follow-ups,
re-tests and conflicts, and the round planner. Progress and turnaround figures live in progress.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.cases import service as case_service
from fangkong.db import scope
from fangkong.db.audit import audit
from fangkong.db.jurisdiction import require_city, require_inside
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.lake.files import ImportResult, TableFile
from fangkong.people.models import Person
from fangkong.protocol.pooling import RESULTS, RoundPlan, TestingRule, plan_round
from fangkong.testing import results_import, samples_import, tally
from fangkong.testing.followup import Outcome, apply_results
from fangkong.testing.models import (
    ENV_PLACES,
    LAB_KINDS,
    ROUND_KINDS,
    ConflictStatus,
    EnvironmentalSample,
    Lab,
    LabResult,
    ResultConflict,
    RetestTask,
    Sample,
    SamplingPoint,
    TestingRound,
    Tube,
)
from fangkong.testing.progress import (
    environmental_counts,
    not_sampled,
    people_in_area,
    round_persons,
    round_progress,
    turnaround,
)

__all__ = ["LabImportResult", "create_round", "get_round", "list_rounds", "add_point", "list_points", "add_lab",
           "list_labs", "person_results", "register_environmental", "list_environmental", "import_samples", "import_lab_results",
           "list_retests", "list_conflicts", "resolve_conflict", "plan", "plan_for_round", "round_progress",
           "not_sampled", "turnaround", "environmental_counts", "people_in_area", "recount_figures"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass
class LabImportResult(ImportResult):
    """An import of lab results, with what the new results set in motion."""

    outcome: Outcome | None = None


def _check_id(value: str, what: str) -> str:
    value = (value or "").strip()
    if not _ID.match(value):
        raise InvalidInput(f"{what} {value!r} must be 1–64 letters, digits or _.:- (starting with a letter or digit)", key="err_bad_id", params={"value": value})
    return value


def add_point(session: Session, point_id: str, *, name: str | None = None, community: str | None = None,
              tables: int = 1) -> SamplingPoint:
    """Register a sampling point; the same point again is a no-op, different data a conflict. A point of no
    community serves the whole city."""
    if community:
        require_inside(session, community, f"sampling point {point_id}")
    else:
        require_city(session, f"sampling point {point_id} (of no community)")
    point_id = _check_id(point_id, "point id")
    if not 1 <= tables <= 1000:
        raise InvalidInput(f"point {point_id}: tables must lie between 1 and 1000", key="err_point_tables")
    old = session.scalar(select(SamplingPoint).where(SamplingPoint.point_id == point_id))
    if old is not None:
        if (old.name, old.community, old.tables) != (name, community, tables):
            raise Conflict(f"sampling point {point_id} already exists with other data", key="err_point_exists", params={"id": point_id})
        return old
    point = SamplingPoint(point_id=point_id, name=name, community=community, tables=tables)
    session.add(point)
    session.flush()
    audit(session, scope.acting(session), "testing.point_add", "sampling_point", point_id,
          after={"community": community})
    return point


def list_points(session: Session, *, limit: int = 100, offset: int = 0) -> list[SamplingPoint]:
    return list(session.scalars(select(SamplingPoint).order_by(SamplingPoint.point_id).limit(limit).offset(offset)))


def add_lab(session: Session, lab_id: str, *, daily_capacity: int, kind: str = "own",
            name: str | None = None) -> Lab:
    """Register an own or contracted lab with its daily capacity in tubes (seed 000: 48 000/day); labs serve
    the whole city."""
    require_city(session, f"lab {lab_id}")
    lab_id = _check_id(lab_id, "lab id")
    if kind not in LAB_KINDS:
        raise InvalidInput(f"lab kind must be one of {', '.join(LAB_KINDS)}", key="err_bad_lab_kind")
    if not 1 <= daily_capacity <= 10_000_000:
        raise InvalidInput(f"lab {lab_id}: daily capacity must lie between 1 and 10 000 000 tubes", key="err_lab_capacity")
    old = session.scalar(select(Lab).where(Lab.lab_id == lab_id))
    if old is not None:
        if (old.kind, old.daily_capacity, old.name) != (kind, daily_capacity, name):
            raise Conflict(f"lab {lab_id} already exists with other data", key="err_lab_exists", params={"id": lab_id})
        return old
    lab = Lab(lab_id=lab_id, name=name, kind=kind, daily_capacity=daily_capacity)
    session.add(lab)
    session.flush()
    audit(session, scope.acting(session), "testing.lab_add", "lab", lab_id,
          after={"kind": kind, "daily_capacity": daily_capacity})
    return lab


def list_labs(session: Session) -> list[Lab]:
    return list(session.scalars(select(Lab).order_by(Lab.lab_id)))


def create_round(session: Session, round_id: str, *, rule: TestingRule, name: str, kind: str, start_date: date,
                 end_date: date, point_ids: list[str], pool_size: int = 10, communities: list[str] | None = None,
                 target_hours: float | None = None) -> TestingRound:
    """A testing round over an area (communities; none = everyone) with its sampling points and pooling rule."""
    for code in communities or []:
        require_inside(session, code, f"round {round_id}")
    if not communities:
        require_city(session, f"round {round_id} (of the whole city)")
    round_id = _check_id(round_id, "round id")
    if kind not in ROUND_KINDS:
        raise InvalidInput(f"round kind must be one of {', '.join(ROUND_KINDS)}", key="err_bad_round_kind")
    if end_date < start_date:
        raise InvalidInput(f"round {round_id}: end date {end_date} is before start date {start_date}", key="err_round_dates")
    if pool_size not in rule.pool_sizes:
        raise InvalidInput(f"round {round_id}: pool size must be one of {', '.join(map(str, rule.pool_sizes))} "
                           "(validated pools; 1 = every tube single)", key="round_r_pool",
                           params={"sizes": "、".join(map(str, rule.pool_sizes))})
    if not point_ids:
        raise InvalidInput(f"round {round_id} has no sampling points: add at least one (--point)", key="err_round_no_points")
    points = list(session.scalars(select(SamplingPoint).where(SamplingPoint.point_id.in_(set(point_ids)))))
    unknown = sorted(set(point_ids) - {p.point_id for p in points})
    if unknown:
        raise InvalidInput(f"round {round_id}: unknown sampling point(s) {', '.join(unknown[:10])}",
                           key="round_r_points", params={"points": "、".join(unknown[:10])})
    if session.scalar(select(TestingRound.id).where(TestingRound.round_id == round_id)) is not None:
        raise Conflict(f"round {round_id} already exists", key="err_round_exists", params={"id": round_id})
    rnd = TestingRound(round_id=round_id, name=name[:200], kind=kind, communities=sorted(set(communities or [])),
                       start_date=start_date, end_date=end_date, pool_size=pool_size,
                       single_tube_groups=list(rule.single_tube_groups),
                       target_hours=target_hours or rule.round_target_hours)
    rnd.points = points
    session.add(rnd)
    session.flush()
    audit(session, scope.acting(session), "testing.round_create", "testing_round", round_id,
          after={"points": len(points), "pool_size": pool_size, "communities": rnd.communities})
    return rnd


def get_round(session: Session, round_id: str) -> TestingRound:
    rnd = session.scalar(select(TestingRound).where(TestingRound.round_id == round_id))
    if rnd is None:
        raise NotFound(f"unknown round {round_id!r}", key="err_unknown_round", params={"id": round_id})
    return rnd


def list_rounds(session: Session, *, limit: int = 100, offset: int = 0) -> list[TestingRound]:
    return list(session.scalars(select(TestingRound).order_by(TestingRound.start_date.desc(), TestingRound.id.desc())
                                .limit(limit).offset(offset)))


def register_environmental(session: Session, tube_id: str, *, place_kind: str, sampled_at: datetime,
                           place_ref: str | None = None, case_ref: str | None = None,
                           note: str | None = None) -> EnvironmentalSample:
    """An environmental (物表) swab from a case's home, a hotel room, a venue or a vehicle; its result comes in
    through the lab_results import like any tube's."""
    tube_id = _check_id(tube_id, "tube id")
    if place_kind not in ENV_PLACES:
        raise InvalidInput(f"place kind must be one of {', '.join(ENV_PLACES)}")
    if sampled_at.tzinfo is None:
        raise InvalidInput("sampled_at must carry a time zone")
    if session.scalar(select(Tube.id).where(Tube.tube_id == tube_id)) is not None:
        raise Conflict(f"tube {tube_id} already exists")
    case_fk = case_service.get_case(session, case_ref).id if case_ref else None
    tube = Tube(tube_id=tube_id, kind="environment", members=0, sampled_at=sampled_at)
    env = EnvironmentalSample(tube=tube, place_kind=place_kind, place_ref=(place_ref or None) and place_ref[:200],
                              case_fk=case_fk, note=(note or None) and note[:500])
    session.add(env)
    session.flush()
    audit(session, scope.acting(session), "testing.environmental_add", "tube", tube_id,
          after={"place_kind": place_kind})
    return env


def list_environmental(session: Session, *, limit: int = 100, offset: int = 0) -> list[tuple]:
    """(environmental sample, its result or None), newest first."""
    q = (select(EnvironmentalSample, LabResult.result).join(Tube, Tube.id == EnvironmentalSample.tube_fk)
         .outerjoin(LabResult, LabResult.tube_fk == Tube.id).order_by(Tube.sampled_at.desc()).limit(limit)
         .offset(offset))
    return list(session.execute(q))


def import_samples(session: Session, tf: TableFile, *, rule: TestingRule, tz: str, now: datetime,
                   strict: bool = False) -> ImportResult:
    """FORMATS.md `samples`: validated, idempotent, all good rows of the file in one transaction."""
    return samples_import.import_samples(session, tf, rule=rule, tz=tz, now=now, strict=strict)


def import_lab_results(session: Session, tf: TableFile, *, rule: TestingRule, edition: str, tz: str,
                       now: datetime, strict: bool = False) -> LabImportResult:
    """FORMATS.md `lab_results`, then the follow-ups of every new result that asks for one (follow_up())."""
    base = results_import.stage_lab_results(session, tf, tz=tz)
    result = LabImportResult(**vars(base))
    try:
        if results_import.finish_lab_results(session, result, now=now, strict=strict):
            tubes = [fk for fk, _, _ in results_import.interesting_results(session)]
            result.outcome = apply_results(session, tubes, rule=rule, edition=edition, tz=ZoneInfo(tz))
    finally:
        results_import.drop_stage(session)
    return result


def list_retests(session: Session, *, status: str | None = "open", reason: str | None = None, limit: int = 100,
                 offset: int = 0) -> list[RetestTask]:
    q = select(RetestTask).order_by(RetestTask.id).limit(limit).offset(offset)
    if status:
        q = q.where(RetestTask.status == status)
    if reason:
        q = q.where(RetestTask.reason == reason)
    return list(session.scalars(q))


def list_conflicts(session: Session, *, status: str | None = "open", limit: int = 100,
                   offset: int = 0) -> list[ResultConflict]:
    q = select(ResultConflict).order_by(ResultConflict.id).limit(limit).offset(offset)
    if status:
        q = q.where(ResultConflict.status == status)
    return list(session.scalars(q))


def resolve_conflict(session: Session, conflict_id: int, *, result: str, rule: TestingRule, edition: str,
                     tz: ZoneInfo, now: datetime) -> tuple[ResultConflict, Outcome | None]:
    """A reviewer decides a conflicting tube's result: kept if it is the stored one, else stored (audited)
    and followed up. Every open conflict of that tube is closed with the same decision."""
    actor = scope.acting(session)
    if result not in RESULTS:
        raise InvalidInput(f"result must be one of {', '.join(RESULTS)}")
    conflict = session.get(ResultConflict, conflict_id)
    if conflict is None:
        raise NotFound(f"unknown conflict {conflict_id}")
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict(f"conflict {conflict_id} is already resolved ({conflict.resolution})")
    stored = session.scalar(select(LabResult).where(LabResult.tube_fk == conflict.tube_fk))
    outcome = None
    if stored is None or stored.result != result:
        before = {"result": stored.result if stored else None}
        if stored is None:
            stored = LabResult(tube_fk=conflict.tube_fk, result=result, reported_at=now, imported_at=now,
                               source=f"conflict {conflict_id}")
            session.add(stored)
        else:
            stored.result = result
        session.flush()
        tally.recount_tubes(session, "SELECT CAST(:tube AS INTEGER)", now=now, tube=conflict.tube_fk)
        audit(session, actor, "testing.result_decided", "tube", conflict.tube.tube_id, before=before,
              after={"result": result, "conflict": conflict_id})
        outcome = apply_results(session, [conflict.tube_fk], rule=rule, edition=edition, tz=tz)
    for c in session.scalars(select(ResultConflict).where(ResultConflict.tube_fk == conflict.tube_fk,
                                                          ResultConflict.status == ConflictStatus.OPEN)):
        c.status, c.resolution, c.resolved_by, c.resolved_at = ConflictStatus.RESOLVED, result, actor, now
    return conflict, outcome


def plan(rule: TestingRule, *, persons: int, prevalence: float, points: int, labs: dict[str, int],
         single_tube_persons: int = 0, pool_size: int | None = None) -> RoundPlan:
    """The round planner (pure maths) with its bad input turned into one-line errors."""
    try:
        return plan_round(rule, persons=persons, prevalence=prevalence, points=points, labs=labs,
                          single_tube_persons=single_tube_persons, pool_size=pool_size)
    except ValueError as exc:
        raise InvalidInput(str(exc), key="err_bad_plan") from None


def plan_for_round(session: Session, round_id: str, *, rule: TestingRule, prevalence: float) -> RoundPlan:
    """Plan a stored round: its people (key groups single), its points, every registered lab."""
    rnd = get_round(session, round_id)
    labs = {lab.lab_id: lab.daily_capacity for lab in list_labs(session)}
    if not labs:
        raise InvalidInput("no lab registered: add one with `fangkong testing lab add`")
    people, key = round_persons(session, rnd)
    if people == 0:
        raise InvalidInput(f"round {round_id}: nobody lives in its area")
    return plan(rule, persons=people, prevalence=prevalence, points=max(1, len(rnd.points)), labs=labs,
                single_tube_persons=key, pool_size=rnd.pool_size)


def person_results(session: Session, person_fk: int, *, limit: int = 10, until: datetime | None = None
                   ) -> list[dict]:
    """One person's latest samples with their tube's result (None while pending), newest first: what a citizen
    sees of their own tests on /me. A pooled tube's reactive result is the pool's, not yet the person's.
    `until`: as known then (samples taken by then; a result reported later is still pending)."""
    q = (select(Sample.sampled_at, Tube.kind, Tube.members, LabResult.result, LabResult.reported_at)
         .join(Tube, Tube.id == Sample.tube_fk).outerjoin(LabResult, LabResult.tube_fk == Tube.id)
         .where(Sample.person_fk == person_fk).order_by(Sample.sampled_at.desc()).limit(limit))
    if until is not None:
        q = q.where(Sample.sampled_at <= until)
    out = []
    for at, _kind, members, result, reported in session.execute(q):
        if until is not None and reported is not None and reported > until:
            result, reported = None, None
        out.append({"sampled_at": at, "pooled": members > 1, "result": result, "reported_at": reported})
    return out


def count_persons(session: Session) -> int:
    return session.scalar(select(func.count(Person.id))) or 0


def recount_figures(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Every round's kept figures and the persons per community counted again (tally.recount_all): the
    testing.recount job, `fangkong testing recount`. {'rounds': n, 'repaired': rows that had drifted}."""
    return tally.recount_all(session, now=now)
