"""Obligations in force at an instant, from a person's record rows (DOMAIN.md §5, issue 23), and the reasons of a
health code they give (DOMAIN.md §8): the rules both readers of the records apply, the ORM services
(measures.obligations, codes.service) and the plain read of `fangkong codes show` (codes.plain), so that the two
cannot disagree. Pure: rows in (anything with the named attributes), obligations and reasons out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fangkong.protocol.codes import RELEASE_OVERDUE, Reason

__all__ = ["Obligation", "ZONE_REASONS", "case_obligations", "measure_in_force", "measure_obligation",
           "measure_overdue", "obligation_reasons", "pending_test_reason", "reasons_json", "zone_reasons"]

#: living in an approved zone is a reason of its own; the edition's colour lists decide what it means
ZONE_REASONS = {"sealed": "high_risk_area", "controlled": "medium_risk_area", "precaution": "low_risk_area"}
_RULED_OUT = "ruled_out"


@dataclass(frozen=True)
class Obligation:
    """One obligation in force at an instant."""

    #: case | measure | hospital_stay
    kind: str
    #: a measure's category (close, secondary, pool_member, sealed_resident, inbound, post_discharge, ...), a
    #: case's status then (suspected, confirmed, asymptomatic), or "hospital"
    label: str
    start_at: datetime
    #: nominal end (None: ends only by an act: a discharge, a release)
    end_at: datetime | None
    #: a measure's kind (centralized_isolation, home_isolation, ..., temporary_control); None for the others
    measure_kind: str | None = None
    source_kind: str | None = None
    source_ref: str | None = None
    needs_results: bool = False
    #: past its nominal end and still in force: its results are missing, invalid or not negative
    overdue: bool = False
    measure_id: int | None = None
    case_id: int | None = None


def measure_in_force(m, at: datetime) -> bool:
    """A measure row (start_at, ended_at, end_at, needs_results) is in force at `at` from its start until it
    actually ended, or, while it has not, until its nominal end when its end needs no results; one whose end needs
    results stays (overdue past its nominal end) until its results met the end condition, which the caller decides
    (measures.obligations.met_by_results)."""
    return (m.start_at <= at and (m.ended_at is None or m.ended_at > at)
            and bool(m.needs_results or (m.end_at is not None and m.end_at > at)))


def measure_overdue(m, at: datetime) -> bool:
    """Past its nominal end with its end needing results: in force only until its results meet the condition."""
    return bool(m.needs_results) and m.end_at is not None and m.end_at <= at


def measure_obligation(m, at: datetime) -> Obligation:
    """The obligation of a measure row in force at `at` (id, category, kind, start_at, end_at, source_kind,
    source_ref, needs_results, case_fk)."""
    return Obligation("measure", m.category, m.start_at, m.end_at, measure_kind=m.kind, source_kind=m.source_kind,
                      source_ref=m.source_ref, needs_results=bool(m.needs_results), overdue=measure_overdue(m, at),
                      measure_id=m.id, case_id=m.case_fk)


def case_obligations(cases: Iterable, stays: Iterable, at: datetime) -> list[tuple[int, Obligation]]:
    """(person_fk, obligation) of cases (id, person_fk, status, case_no, reported_at, declared_at) given their
    hospital stays (case_fk, admitted_at, discharged_at, id): a case not ruled out is in force from its positive
    report until its discharge from hospital (its latest admission by `at`), labelled by its status at `at`
    (suspected until declared); a hospital stay from admission until discharge."""
    cases = [c for c in cases if c.status != _RULED_OUT and c.reported_at <= at]
    last: dict[int, tuple[datetime, datetime | None]] = {}
    for s in sorted((s for s in stays if s.admitted_at <= at), key=lambda s: (s.admitted_at, s.id)):
        last[s.case_fk] = (s.admitted_at, s.discharged_at)  # the latest admission by then
    out = []
    for c in cases:
        stay = last.get(c.id)
        if stay is not None and stay[1] is not None and stay[1] <= at:
            continue  # discharged: what follows is the post-discharge monitoring obligation
        label = c.status if c.declared_at is not None and c.declared_at <= at else "suspected"
        out.append((c.person_fk, Obligation("case", label, c.reported_at, None, source_kind="case",
                                            source_ref=c.case_no, case_id=c.id)))
        if stay is not None:
            out.append((c.person_fk, Obligation("hospital_stay", "hospital", stay[0], None,
                                                source_kind="case", source_ref=c.case_no, case_id=c.id)))
    return out


def obligation_reasons(obligations: Iterable[Obligation]) -> list[Reason]:
    """The reasons of a code from the obligations in force: an open case (suspected or case), each measure until
    its nominal end, or with no end and a `release_overdue` note once past it (a hospital stay adds none: its case
    is the reason)."""
    out: list[Reason] = []
    for o in obligations:
        if o.kind == "case":
            out.append(Reason("suspected" if o.label == "suspected" else "case", None))
        elif o.kind == "measure":
            if o.overdue:
                out.extend([Reason(o.label, None), Reason(RELEASE_OVERDUE, None)])
            else:
                out.append(Reason(o.label, o.end_at))
    return out


def pending_test_reason(due: date, *, today: date, tz: ZoneInfo) -> Reason:
    """The earliest pending test of the measures in force, due on `due`: overdue from the start of the day after
    it was due; until then a reason ahead (the code's next change)."""
    since = datetime.combine(due + timedelta(days=1), time(0), tzinfo=tz)
    return Reason("overdue_test", None, since=since if due >= today else None)


def zone_reasons(levels: Iterable[str]) -> list[Reason]:
    """Living in approved zones of these levels (sealed, controlled, precaution)."""
    return [Reason(ZONE_REASONS[level], None) for level in sorted(set(levels))]


def reasons_json(reasons: Iterable[Reason], tz: ZoneInfo) -> list[dict]:
    """A code's reasons as stored and shown: label and the local end."""
    return [{"label": r.label, "until": r.until.astimezone(tz).isoformat() if r.until else None} for r in reasons]
