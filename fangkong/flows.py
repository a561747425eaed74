"""The main flow across domains (ARCHITECTURE.md): declared case → trace → measures → health codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from fangkong.cases.models import Case
from fangkong.codes import service as code_service
from fangkong.contacts import service as contact_service
from fangkong.contacts.teams import service as team_service
from fangkong.contacts.teams.models import Investigation
from fangkong.lake import append
from fangkong.lake.queries import Lake
from fangkong.measures import lifecycle
from fangkong.measures import service as measure_service
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.sites import service as sites
from fangkong.measures.verification import service as verification
from fangkong.protocol.edition import load_edition
from fangkong.settings import Settings
from fangkong.zones import service as zone_service

__all__ = ["Response", "respond", "respond_many", "lake_for", "retrace_case", "trace_case"]


@dataclass
class Response:
    trace: contact_service.TraceResult
    measures: measure_service.AssignResult
    codes: dict[str, int]
    zones: zone_service.Proposal = field(default_factory=zone_service.Proposal)
    investigation: Investigation | None = None
    rooms: sites.AssignReport = field(default_factory=sites.AssignReport)


def lake_for(settings: Settings, at: datetime | None = None) -> Lake:
    append.flush_pending(settings.lake, settings.tz)  # every acknowledged scan is read too
    return Lake.from_settings(settings, at)


def trace_case(session: Session, settings: Settings, case: Case, *, now: datetime) -> contact_service.TraceResult:
    return contact_service.trace(session, case, lake=lake_for(settings, case.sampled_at),
                                 edition=load_edition(settings.edition), tz=settings.zone, now=now,
                                 companion_min_cell_hours=settings.companion_min_cell_hours)


def retrace_case(session: Session, settings: Settings, case: Case, *, now: datetime,
                 versions: dict[str, int | None]) -> tuple[contact_service.TraceResult, dict[str, dict]]:
    """The case traced again from the lake as of earlier versions (lake.versions.resolve), storing nothing; with
    the versions it read and their commit times."""
    lake = Lake.from_settings(settings, case.sampled_at, versions=versions)
    result = contact_service.retrace(session, case, lake=lake, edition=load_edition(settings.edition),
                                     tz=settings.zone, now=now,
                                     companion_min_cell_hours=settings.companion_min_cell_hours)
    return result, lake.used()


def respond(session: Session, settings: Settings, case: Case, *, now: datetime) -> Response:
    """Everything that follows a declared case, in one transaction: trace, place everyone, recolour codes,
    propose zones from the case's places (a commander approves them)."""
    return respond_many(session, settings, [case], now=now)[0]


def respond_many(session: Session, settings: Settings, cases: list[Case], *, now: datetime,
                 keep_evidence: bool = True) -> list[Response]:
    """The same for a bad day's cases: traced together (one lake query per step), then each placed.
    keep_evidence: as contacts.service.trace_many (False when only counts are shown)."""
    edition = load_edition(settings.edition)
    investigations = []
    for case in cases:
        for ended in measure_service.end_for_case(session, case.person_fk, now=now):
            sites.vacate(session, ended, at=now, reason="became_case")
        investigations.append(team_service.open_investigation(session, case, now=now))  # at once
        hospitals.open_transfer(session, case, now=now)  # to a designated hospital, by the 1 h placement deadline
    # the secondary contacts found through them are close contacts from the report on (done at the report's commit;
    # here before the trace, for a case declared and traced at once: the trace then finds them covered)
    lifecycle.upgrade_secondaries_of(session, [(c.person_fk, c.reported_at) for c in cases], edition=edition,
                                     tz=settings.zone)
    lake = lake_for(settings, min((c.sampled_at for c in cases), default=None))
    results = contact_service.trace_many(session, cases, lake=lake, edition=edition, tz=settings.zone, now=now,
                                         companion_min_cell_hours=settings.companion_min_cell_hours,
                                         keep_evidence=keep_evidence)
    out = []
    for case, result, investigation in zip(cases, results, investigations, strict=True):
        assigned = measure_service.assign_for_case(session, case, edition=edition, tz=settings.zone, now=now)
        lifecycle.upgrade_placed_through_reported(session, case, edition=edition, tz=settings.zone, now=now)
        verification.open_for_case(session, case, now=now)  # each person found at the door (落地核查)
        rooms = sites.assign_rooms(session, now=now)  # nearest free rooms, 8 h transfer tasks
        people = [case.person_fk] + result.person_fks()
        codes = code_service.recompute(session, people, edition=edition, now=now, tz=settings.zone)
        zones = zone_service.propose_for_case(session, case, lake=lake, edition=edition, tz=settings.zone, now=now)
        out.append(Response(trace=result, measures=assigned, codes=codes, zones=zones, investigation=investigation,
                            rooms=rooms))
    return out
