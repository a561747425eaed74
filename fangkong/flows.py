"""The main flow across domains (ARCHITECTURE.md): declared case → trace → measures → health codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from fangkong.cases import teams as team_service
from fangkong.cases.models import Case
from fangkong.tasks.models import Investigation
from fangkong.codes import service as code_service
from fangkong.contacts import service as contact_service
from fangkong.lake.queries import Lake
from fangkong.measures import service as measure_service
from fangkong.measures import verification
from fangkong.protocol.edition import load_edition
from fangkong.settings import Settings
from fangkong.zones import service as zone_service

__all__ = ["Response", "respond", "lake_for", "trace_case"]


@dataclass
class Response:
    trace: contact_service.TraceResult
    measures: measure_service.AssignResult
    codes: dict[str, int]
    zones: zone_service.Proposal = field(default_factory=zone_service.Proposal)
    investigation: Investigation | None = None


def lake_for(settings: Settings, at: datetime | None = None) -> Lake:
    return Lake.from_settings(settings, at)


def trace_case(session: Session, settings: Settings, case: Case, *, now: datetime,
               actor: str = "system") -> contact_service.TraceResult:
    return contact_service.trace(session, case, lake=lake_for(settings, case.sampled_at),
                                 edition=load_edition(settings.edition), tz=settings.zone, now=now,
                                 companion_min_cell_hours=settings.companion_min_cell_hours, actor=actor)


def respond(session: Session, settings: Settings, case: Case, *, now: datetime, actor: str = "system") -> Response:
    """Everything that follows a declared case, in one transaction: trace, place everyone, recolour codes,
    propose zones from the case's places (a commander approves them)."""
    edition = load_edition(settings.edition)
    measure_service.end_for_case(session, case.person_fk, now=now, actor=actor)
    investigation = team_service.open_investigation(session, case, now=now, actor=actor)  # one team per case, at once
    result = trace_case(session, settings, case, now=now, actor=actor)
    assigned = measure_service.assign_for_case(session, case, edition=edition, tz=settings.zone, now=now, actor=actor)
    verification.open_for_case(session, case, now=now, actor=actor)  # each person found at the door (落地核查)
    people = [case.person_fk] + [f.person.id for f in result.found if f.person is not None]
    codes = code_service.recompute(session, people, edition=edition, now=now, tz=settings.zone)
    zones = zone_service.propose_for_case(session, case, lake=lake_for(settings, case.sampled_at), edition=edition,
                                          tz=settings.zone, now=now, actor=actor)
    return Response(trace=result, measures=assigned, codes=codes, zones=zones, investigation=investigation)
