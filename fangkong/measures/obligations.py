"""Obligations (DOMAIN.md §5, issue 23): what each person must keep at an instant, from the records' history.

A person may be under several obligations at once; none overwrites another. The `measure` table is the
obligation record of every measure-like duty (a contact's isolation or monitoring, a pool hold, a sealed-zone
resident's tests, an arrival, an assistance request, post-discharge monitoring): a row is in force from its
`start_at` until its `ended_at` (the instant it actually ended), or, while that is empty, until its nominal
`end_at` when its end needs no results, or until its results meet the end condition when it does (every
required test negative: nothing whose end needs results ends by time alone). Cases and hospital stays are
obligations read from their own tables; zone residence is read by the codes domain from the zones' tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case, CaseStatus
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.db.sets import chunks, one_of
from fangkong.measures.models import EndReason, HospitalAdmission, Measure, MeasureStatus, TestTask
from fangkong.people.models import Person
from fangkong.protocol.edition import load_edition
from fangkong.protocol.lifecycle import Test, first_results, results_met_at, upstream_verdict
from fangkong.protocol.obligations import Obligation, case_obligations, measure_in_force, measure_obligation
from fangkong.settings import get_settings

__all__ = ["CONTACT_CATEGORIES", "Obligation", "end_obligation", "in_force", "met_by_results", "tests_of", "upstream_at",
           "upstream_required"]

#: the categories a trace gives (a contact link): declaring the person a case ends these
CONTACT_CATEGORIES = tuple(m.value for m in RiskCategory)


def tests_of(session: Session, measure_ids: list[int]) -> dict[int, list[Test]]:
    """The scheduled tests (and re-samples) of these measures, as the end condition reads them."""
    out: dict[int, list[Test]] = defaultdict(list)
    for part in chunks(sorted(set(measure_ids))):
        q = select(TestTask.measure_fk, TestTask.id, TestTask.due_date, TestTask.result, TestTask.result_at,
                   TestTask.resample_of).where(one_of(session, TestTask.measure_fk, part))
        for mfk, tid, due, result, result_at, of in session.execute(q):
            out[mfk].append(Test(tid, due, result, result_at, of))
    return out


#: a row that ended so, by `at`, was no longer the close contact's: a new exposure gave him new first tests
_SUPERSEDED = (EndReason.EXTENDED, EndReason.REPLACED)
#: a row that ended so handed its scheduled tests on to its successor (lifecycle.escalate, lifecycle.release)
_HANDS_ON_TESTS = (EndReason.ESCALATED, EndReason.STEPPED_DOWN)


def _close_rows_at(session: Session, person_fks: list[int], at: datetime) -> dict[int, int]:
    """Person → the close-contact measure row whose first tests count at `at`: the newest one started by `at`
    and not superseded by then (extended, replaced), followed to the successor its tests moved to when it was
    escalated or stepped down (at any time: the tests live on the successor now)."""
    rows: dict[int, list] = defaultdict(list)
    for part in chunks(sorted(set(person_fks))):
        q = select(Measure.id, Measure.person_fk, Measure.start_at, Measure.ended_at, Measure.end_reason).where(
            one_of(session, Measure.person_fk, part), Measure.category == RiskCategory.CLOSE)
        for r in session.execute(q):
            rows[r.person_fk].append(r)
    out = {}
    for fk, mine in rows.items():
        mine.sort(key=lambda r: r.id)
        held = [r for r in mine if r.start_at <= at and not (
            r.ended_at is not None and r.ended_at <= at and r.end_reason in _SUPERSEDED)]
        if not held:
            continue
        row = held[-1]
        while row.end_reason in _HANDS_ON_TESTS:
            after = [r for r in mine if r.id > row.id and r.start_at == row.ended_at]
            if not after:
                break
            row = after[0]
        out[fk] = row.id
    return out


def upstream_at(session: Session, secondaries: dict[int, tuple[int | None, int]], at: datetime) -> dict[int, str]:
    """For secondary-contact measures (id → (risk-person row, first tests required of the close contacts)):
    the verdict on the close contacts each was found through (protocol.lifecycle.upstream_verdict), as known at
    `at`: `positive` when one of them had become a case by then (reported, not ruled out) or one of his first
    tests was positive, `negative` when all their first tests were negative (an invalid one's re-sample standing
    for it), else `pending`. A measure with no link to a risk person, or none required, is `negative`. A few
    queries for the whole batch, not one per measure."""
    out = {mid: "negative" for mid, (rp, required) in secondaries.items() if rp is None or required <= 0}
    todo = {mid: (rp, required) for mid, (rp, required) in secondaries.items() if mid not in out}
    if not todo:
        return out
    vias: dict[int, list[str]] = {}
    for part in chunks(sorted({rp for rp, _ in todo.values()})):
        for rp, evidence in session.execute(select(RiskPerson.id, RiskPerson.evidence)
                                            .where(one_of(session, RiskPerson.id, part))):
            vias[rp] = sorted({ev["via"] for ev in evidence or [] if ev.get("via")})
    names = sorted({v for vs in vias.values() for v in vs})
    fk_of: dict[str, int] = {}
    for part in chunks(names):
        fk_of.update(session.execute(select(Person.person_id, Person.id).where(one_of(session, Person.person_id,
                                                                                      part))).all())
    fks = sorted(set(fk_of.values()))
    cases: set[int] = set()
    for part in chunks(fks):
        cases.update(session.scalars(select(Case.person_fk).where(one_of(session, Case.person_fk, part),
                                                                  Case.status != CaseStatus.RULED_OUT,
                                                                  Case.reported_at <= at)))
    heads = _close_rows_at(session, [fk for fk in fks if fk not in cases], at)
    tests = tests_of(session, list(heads.values()))
    for mid, (rp, required) in todo.items():
        results = []
        for name in vias.get(rp, []):
            fk = fk_of.get(name)
            if fk is None:
                continue
            if fk in cases:
                results.append(["positive"])
            else:
                results.append(first_results(tests.get(heads[fk], []), required, at) if fk in heads else [])
        out[mid] = upstream_verdict(results, required)
    return out


def upstream_required(edition: str | None = None) -> int:
    """How many first tests of his close contacts a secondary contact's obligation waits for: the rule of the
    deployment's edition (default: the settings'), whichever edition the obligation was started under. Its code
    (met_by_results) and its release (lifecycle.release_due) read the same one, so they agree across a switch of
    edition (docs/rules.md, "A switch of edition")."""
    edition = edition or get_settings().edition
    rule = load_edition(edition).measures.get(RiskCategory.SECONDARY)
    return rule.upstream_tests_required if rule else 0


def _measures(session: Session, part: list[int], at: datetime, tz: ZoneInfo) -> list[tuple[int, Obligation]]:
    # the columns, not Measure objects (each joins its person): a bad day recolours hundreds of thousands
    q = select(Measure.id, Measure.person_fk, Measure.category, Measure.kind, Measure.start_at, Measure.end_at,
               Measure.source_kind, Measure.source_ref, Measure.needs_results, Measure.case_fk,
               Measure.risk_person_fk, Measure.edition, Measure.ended_at).where(
        one_of(session, Measure.person_fk, part), Measure.start_at <= at,
        or_(Measure.ended_at.is_(None), Measure.ended_at > at),
        or_(Measure.needs_results, Measure.end_at > at))
    # the same rule as the plain read of `codes show` (protocol.obligations); the query above only narrows
    rows = [m for m in session.execute(q).all() if measure_in_force(m, at)]
    # only the obligations past their nominal end need their tests read: few, against a bad day's thousands
    over = met_by_results(session, [m for m in rows if m.needs_results and m.end_at <= at], at, tz)
    out = []
    for m in rows:
        o = measure_obligation(m, at)
        if o.overdue and m.id in over:
            continue  # its end condition was met: over, though no one has released it yet
        out.append((m.person_fk, o))
    return out


def met_by_results(session: Session, late: list, at: datetime, tz: ZoneInfo) -> set[int]:
    """Of these obligation rows past their nominal end whose end needs results (each with `id`, `end_at`,
    `category`, `risk_person_fk`, `edition`), the ids of those whose end condition was met by `at`: every
    required test negative with its result in (protocol.lifecycle.results_met_at), and, for a secondary
    contact found through close contacts, their first tests negative too, as known at `at` (upstream_at): what
    release-due would refuse at `at` is still in force then. One batch of queries for them all."""
    if not late:
        return set()
    tests = tests_of(session, [m.id for m in late])
    met = [m for m in late if results_met_at(tests.get(m.id, []), end_at=m.end_at, at=at, tz=tz) is not None]
    required = upstream_required()
    waiting = {m.id: (m.risk_person_fk, required) for m in met
               if m.category == RiskCategory.SECONDARY and m.risk_person_fk is not None}
    verdicts = upstream_at(session, waiting, at) if waiting else {}
    return {m.id for m in met if verdicts.get(m.id, "negative") == "negative"}


def _cases(session: Session, part: list[int], at: datetime) -> list[tuple[int, Obligation]]:
    """An open case is an obligation from its positive report until its discharge from hospital."""
    # the columns, not Case and HospitalAdmission objects (an admission joins its hospital and its case)
    cases = session.execute(select(Case.id, Case.person_fk, Case.status, Case.case_no, Case.reported_at,
                                   Case.declared_at).where(one_of(session, Case.person_fk, part),
                                                           Case.status != CaseStatus.RULED_OUT,
                                                           Case.reported_at <= at)).all()
    if not cases:
        return []
    stays = session.execute(
        select(HospitalAdmission.case_fk, HospitalAdmission.admitted_at, HospitalAdmission.discharged_at,
               HospitalAdmission.id)
        .where(one_of(session, HospitalAdmission.case_fk, [c.id for c in cases]),
               HospitalAdmission.admitted_at <= at)).all()
    return case_obligations(cases, stays, at)   # the rules: protocol.obligations


def in_force(session: Session, person_fks: list[int], at: datetime, *, tz: ZoneInfo | None = None
             ) -> dict[int, list[Obligation]]:
    """Every obligation in force at `at`, per person (each listed person has a list, maybe empty).

    A measure row is in force from `start_at` until `ended_at`; while `ended_at` is empty, until its nominal
    `end_at` when `needs_results` is false, else until its results met the end condition as known at `at`
    (every required test negative, an invalid test's re-sample standing for it; protocol.lifecycle.
    results_met_at; for a secondary contact, the first tests of the close contacts he was found through as
    well: met_by_results): such an obligation past its nominal end is listed with `overdue=True`. A case (not ruled
    out) is in force from its positive report until its discharge, labelled by its status at `at`
    (suspected until declared); a hospital stay from admission to discharge. Zone residence is not here
    (codes.service reads it from the zones' tables). `at` may be any instant: past ones answer from history
    (what the bulletin of a past day and 社会面 at sampling need). `tz` decides the calendar days of tests
    (default: the settings' zone).
    """
    tz = tz or get_settings().zone
    out: dict[int, list[Obligation]] = {fk: [] for fk in person_fks}
    for part in chunks(sorted(set(person_fks))):
        for fk, o in [*_cases(session, list(part), at), *_measures(session, list(part), at, tz)]:
            out[fk].append(o)
    return out


def end_obligation(session: Session, m: Measure, *, at: datetime, reason: str, status: str | None = None,
                   audited: bool = False) -> Measure:
    """End one obligation at `at` (its history is kept: the row stays with `ended_at` and `end_reason`); the
    person's other obligations stay in force. `status` is the coarse word kept for older readers (default:
    released, or replaced for a successor). Audited (by the session's actor) when `audited`; the code is recomputed."""
    m.ended_at = max(at, m.start_at)
    m.end_reason = reason
    released = (EndReason.RELEASED, EndReason.ZONE_LIFTED, EndReason.RETEST_NEGATIVE)
    m.status = status or (MeasureStatus.RELEASED if reason in released else
                          MeasureStatus(reason) if reason in (EndReason.BECAME_CASE, EndReason.WITHDRAWN) else
                          MeasureStatus.REPLACED)
    if audited:
        audit(session, acting(session), f"measure.{reason}", "measure", m.id, after={"at": m.ended_at.isoformat()})
    mark_changed(session, [m.person_fk], at)
    return m
