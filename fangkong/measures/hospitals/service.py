"""Designated-hospital services: hospitals and beds, admission and discharge of cases, the escalation plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case, CaseStatus
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.jurisdiction import require_city, require_inside
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures import service as measure_service
from fangkong.measures.models import EscalationStep, Hospital, HospitalAdmission, MeasureCategory
from fangkong.protocol.edition import Edition, load_edition
from fangkong.protocol.hospitals import (
    DEFAULT_PLAN,
    DISCHARGE_REFUSALS,
    DischargeSample,
    PlanState,
    Step,
    discharge_refusal_reason,
    plan_state,
)
from fangkong.settings import get_settings
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, Task, TaskKind, TaskStatus

__all__ = ["add_hospital", "get_hospital", "HospitalBeds", "hospital_beds", "admit", "discharge", "open_transfer",
           "active_cases", "plan", "set_step", "remove_step", "steps", "beds_used"]


def get_hospital(session: Session, hospital_id: str) -> Hospital:
    h = session.scalar(select(Hospital).where(Hospital.hospital_id == hospital_id))
    if h is None:
        raise NotFound(f"unknown hospital {hospital_id!r}")
    return h


def add_hospital(session: Session, hospital_id: str, *, name: str, jurisdiction: str, beds: int,
                 negative_pressure_beds: int = 0, lat: float | None = None, lon: float | None = None,
                 designated: bool = True) -> Hospital:
    require_inside(session, jurisdiction, f"hospital {hospital_id}")
    if session.scalar(select(Hospital.id).where(Hospital.hospital_id == hospital_id)):
        raise Conflict(f"hospital {hospital_id} is already registered", key="err_hospital_exists", params={"id": hospital_id})
    if not 0 <= negative_pressure_beds <= beds <= 100_000:
        raise InvalidInput("beds must be 0–100 000 and include the negative-pressure beds", key="err_hospital_beds")
    h = Hospital(hospital_id=hospital_id, name=name, jurisdiction=jurisdiction, beds=beds,
                 negative_pressure_beds=negative_pressure_beds, lat=lat, lon=lon, designated=designated)
    session.add(h)
    session.flush()
    audit(session, acting(session), "hospital.add", "hospital", hospital_id, after={"beds": beds,
                                                                         "negative_pressure_beds": negative_pressure_beds})
    return h


@dataclass
class HospitalBeds:
    hospital: Hospital
    used: int
    negative_pressure_used: int

    @property
    def free(self) -> int:
        return self.hospital.beds - self.used

    @property
    def negative_pressure_free(self) -> int:
        return self.hospital.negative_pressure_beds - self.negative_pressure_used


def hospital_beds(session: Session, *, at: datetime | None = None) -> list[HospitalBeds]:
    """Every hospital with its beds in use now, or at a past instant `at` (admitted by then, not discharged
    by then: the admissions' history) (one aggregate query)."""
    open_then = (HospitalAdmission.discharged_at.is_(None) if at is None else
                 (HospitalAdmission.admitted_at <= at)
                 & (HospitalAdmission.discharged_at.is_(None) | (HospitalAdmission.discharged_at > at)))
    used = {h: (n, np) for h, n, np in session.execute(
        select(HospitalAdmission.hospital_fk, func.count(), func.count().filter(HospitalAdmission.negative_pressure))
        .where(open_then).group_by(HospitalAdmission.hospital_fk))}
    return [HospitalBeds(h, *used.get(h.id, (0, 0)))
            for h in session.scalars(select(Hospital).order_by(Hospital.hospital_id))]


def _open_admission(session: Session, case: Case) -> HospitalAdmission | None:
    return session.scalar(select(HospitalAdmission).where(HospitalAdmission.case_fk == case.id,
                                                          HospitalAdmission.discharged_at.is_(None)))


def admit(session: Session, case: Case, hospital: Hospital, *, at: datetime, negative_pressure: bool = False) -> HospitalAdmission:
    """A case admitted to a designated hospital: refused when the hospital (or its negative-pressure beds) is
    full or the case is already in a hospital. Closes the case's transfer task."""
    actor = acting(session)
    if case.status == CaseStatus.RULED_OUT:
        raise Conflict(f"case {case.case_no} was ruled out at its re-check")
    if not hospital.designated:
        raise Conflict(f"hospital {hospital.hospital_id} is not a designated hospital")
    current = _open_admission(session, case)
    if current is not None:
        raise Conflict(f"case {case.case_no} is already in hospital {current.hospital.hospital_id}",
                       key="hosp_already_in", params={"case": case.case_no, "hospital": current.hospital.hospital_id})
    beds = next(b for b in hospital_beds(session) if b.hospital.id == hospital.id)
    if beds.free <= 0:
        raise Conflict(f"hospital {hospital.hospital_id} has no free bed ({beds.used}/{hospital.beds})",
                       key="hosp_full", params={"hospital": hospital.hospital_id, "used": beds.used,
                                                "beds": hospital.beds})
    if negative_pressure and beds.negative_pressure_free <= 0:
        raise Conflict(f"hospital {hospital.hospital_id} has no free negative-pressure bed "
                       f"({beds.negative_pressure_used}/{hospital.negative_pressure_beds})", key="hosp_np_full",
                       params={"hospital": hospital.hospital_id, "used": beds.negative_pressure_used,
                               "beds": hospital.negative_pressure_beds})
    if at < case.reported_at:
        raise InvalidInput("admission time is before the positive result was reported", key="hosp_admit_early",
                           params={"case": case.case_no})
    a = HospitalAdmission(case_fk=case.id, hospital_fk=hospital.id, negative_pressure=negative_pressure,
                          admitted_at=at)
    session.add(a)
    for task in session.scalars(select(Task).where(Task.case_fk == case.id,
                                                   Task.kind == TaskKind.CASE_TRANSFER,
                                                   Task.status == TaskStatus.OPEN)):
        task_service.close_task(session, task, "done", at=at, note=f"admitted to {hospital.hospital_id}")
    audit(session, actor, "hospital.admit", "case", case.case_no, after={"hospital": hospital.hospital_id,
                                                                       "negative_pressure": negative_pressure})
    session.flush()
    return a


def discharge(session: Session, case: Case, *, at: datetime, samples: Sequence[DischargeSample] = (),
              edition: Edition | None = None) -> HospitalAdmission:
    """Discharge a case when the edition's criteria are met by its last samples (edition 9: two, 24 h apart,
    Ct ≥ 35); refused with what is missing otherwise. The case's obligation ends at discharge and the edition's
    post-discharge monitoring starts (edition 9: 7 days home health monitoring), so the code follows it."""
    actor = acting(session)
    a = _open_admission(session, case)
    if a is None:
        raise Conflict(f"case {case.case_no} is not in a hospital")
    if at < a.admitted_at:
        raise InvalidInput("discharge time is before the admission", key="discharge_early",
                           params={"case": case.case_no})
    settings = get_settings()
    edition = edition or load_edition(settings.edition)
    rule = edition.raw.get("discharge", {})
    if rule:
        if any(s.sampled_at > at or s.sampled_at < a.admitted_at for s in samples):
            raise InvalidInput("discharge samples must be taken during the stay, before the discharge",
                               key="discharge_outside", params={"case": case.case_no})
        why = discharge_refusal_reason(samples, ct_min=rule["ct_min"], needed=rule["samples"],
                                       hours_apart=rule["hours_apart"])
        if why:
            key, params = why
            raise InvalidInput(f"case {case.case_no} does not meet edition {edition.name}'s discharge criteria: "
                               f"{DISCHARGE_REFUSALS[key].format(**params)}", key=key,
                               params={**params, "case": case.case_no, "edition": edition.name})
    a.discharged_at = at
    audit(session, actor, "hospital.discharge", "case", case.case_no,
          after={"hospital": a.hospital.hospital_id, "samples": [(s.sampled_at.isoformat(), s.ct) for s in samples]})
    if MeasureCategory.POST_DISCHARGE in edition.measures:
        measure_service.assign_for_persons(session, [case.person_fk], MeasureCategory.POST_DISCHARGE,
                                           last_exposure_at=at, edition=edition, tz=settings.zone, now=at,
                                           source=("discharge", case.case_no))
    mark_changed(session, [case.person_fk], at)
    return a


def open_transfer(session: Session, case: Case, *, now: datetime) -> Task | None:
    """The case's transfer to a designated hospital, due by its placement deadline (1 h from the positive
    result), owned by the designated hospital of its jurisdiction with the most free beds (or the district)."""
    if case.placed_deadline_at is None or _open_admission(session, case) is not None or session.scalar(
            select(Task.id).where(Task.case_fk == case.id, Task.kind == TaskKind.CASE_TRANSFER)):
        return None
    community = case.person.community or ""
    fits = [b for b in hospital_beds(session) if b.hospital.designated and b.free > 0]
    local = [b for b in fits if community.startswith(b.hospital.jurisdiction)] or fits
    best = max(local, key=lambda b: (len(b.hospital.jurisdiction), b.free), default=None)
    owner = (task_service.Owner(OwnerKind.HOSPITAL, best.hospital.hospital_id, best.hospital.name)
             if best else
             task_service.Owner(OwnerKind.DISTRICT, community[:6] or "unknown", None))
    return task_service.open_task(session, TaskKind.CASE_TRANSFER, "case_placed", owner=owner,
                                  start=case.reported_at,
                                  due=case.placed_deadline_at, jurisdiction=community or None, case_fk=case.id,
                                  person_fk=case.person_fk)


def active_cases(session: Session, *, at: datetime | None = None) -> int:
    """Declared cases not discharged from hospital (now, or as of a past instant `at`: declared by then, not
    discharged by then)."""
    if at is None:
        discharged = exists().where(and_(HospitalAdmission.case_fk == Case.id,
                                         HospitalAdmission.discharged_at.is_not(None)))
        return session.scalar(select(func.count(Case.id)).where(Case.status.in_(DECLARED), ~discharged)) or 0
    discharged = exists().where(and_(HospitalAdmission.case_fk == Case.id, HospitalAdmission.discharged_at <= at))
    return session.scalar(select(func.count(Case.id)).where(Case.status.in_(DECLARED), Case.declared_at <= at,
                                                            ~discharged)) or 0


def steps(session: Session) -> list[Step]:
    """The deployment's plan, or seed 003's when none is set."""
    rows = list(session.scalars(select(EscalationStep).order_by(EscalationStep.threshold)))
    return [Step(r.threshold, r.action, r.beds) for r in rows] if rows else list(DEFAULT_PLAN)


def plan(session: Session, *, at: datetime | None = None) -> PlanState:
    return plan_state(active_cases(session, at=at), steps(session))


def set_step(session: Session, threshold: int, *, action: str, beds: int = 0) -> EscalationStep:
    """Add or replace the step for `threshold` (the first one set replaces the default plan); the plan is the
    whole city's, so only a user whose jurisdiction covers the city changes it."""
    require_city(session, "the hospital escalation plan")
    if not 0 <= threshold <= 10_000_000 or not action.strip():
        raise InvalidInput("a step needs a threshold 0–10 000 000 and an action", key="err_plan_step")
    step = session.scalar(select(EscalationStep).where(EscalationStep.threshold == threshold))
    if step is None:
        step = EscalationStep(threshold=threshold, action=action, beds=beds)
        session.add(step)
    else:
        step.action, step.beds = action, beds
    audit(session, acting(session), "hospital.plan_step", "escalation_step", threshold,
          after={"action": action, "beds": beds})
    return step


def remove_step(session: Session, threshold: int) -> None:
    require_city(session, "the hospital escalation plan")
    step = session.scalar(select(EscalationStep).where(EscalationStep.threshold == threshold))
    if step is None:
        raise NotFound(f"no plan step at {threshold} cases", key="err_no_plan_step", params={"n": threshold})
    session.delete(step)
    audit(session, acting(session), "hospital.plan_step_removed", "escalation_step", threshold)


def beds_used(session: Session, at: datetime) -> int:
    """Hospital beds occupied at `at` (the bulletin's figure)."""
    return session.scalar(select(func.count(HospitalAdmission.id)).where(
        HospitalAdmission.admitted_at < at,
        (HospitalAdmission.discharged_at.is_(None)) | (HospitalAdmission.discharged_at > at))) or 0


def state_of(state: PlanState) -> dict:
    return {"active_cases": state.active_cases, "in_force": [vars(s) for s in state.in_force],
            "next_step": vars(state.next_step) if state.next_step else None, "cases_to_next": state.cases_to_next}
