"""Zone services: draw zones from a case's places, approve them, publish the risk-area list, lower and lift."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import Case, CaseStatus
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.db.sets import chunks
from fangkong.errors import Conflict, Forbidden, InvalidInput, NotFound
from fangkong.lake.queries import Lake
from fangkong.measures import service as measure_service
from fangkong.measures.models import MeasureCategory
from fangkong.people import service as people_service
from fangkong.people.models import Person, Venue
from fangkong.protocol.edition import Edition
from fangkong.protocol.grid import grid_id
from fangkong.protocol.zones import (
    LEVELS,
    RISK_OF,
    Drawing,
    LiftCheck,
    ZoneState,
    county_name,
    county_of,
    drawing,
    home_part,
    is_grid_cell,
    lift_check,
    plan_places_for,
    surrounding_cells,
)
from fangkong.zones import queries
from fangkong.zones.jurisdiction import place_codes, require_places_inside, require_zone_inside, zone_inside
from fangkong.zones.models import (
    PLACE_KINDS,
    PlaceKind,
    PlaceReason,
    Zone,
    ZoneLevel,
    ZonePlace,
    ZoneResident,
    ZoneStatus,
)
from fangkong.zones.residence import residence_levels  # noqa: F401 - part of this service
from fangkong.zones.rounds import (
    absences_of,
    contacts_clear,
    record_absence,
    record_round,
    resident_duties,
    rounds_of,
)

__all__ = [
    "OPEN",
    "Proposal",
    "absences_of",
    "approve",
    "check",
    "counts_between",
    "create_zone",
    "get_zone",
    "home_of",
    "list_zones",
    "open_strict_places",
    "propose_for_case",
    "record_absence",
    "record_round",
    "reject",
    "residence_levels",
    "resident_count",
    "review",
    "risk_areas",
    "sealed_venues",
    "step",
    "venue_sealed",
]

#: zones that hold places: a proposal not yet decided, or an approved zone not yet lifted
OPEN = (ZoneStatus.PROPOSED, ZoneStatus.APPROVED)
_GRID = re.compile(r"^-?\d{1,7}:-?\d{1,7}$")
#: a cell id as a feed may write it (docs/formats.md: text): no blanks
_ANY_CELL = re.compile(r"^\S{1,64}$")
_DISTRICT = re.compile(r"^\d{6}$")
_INSTANT = timedelta(microseconds=1)


@dataclass
class Proposal:
    created: list[Zone] = field(default_factory=list)
    restarted: list[Zone] = field(default_factory=list)
    #: what could not be drawn, for the user to see (a ring around an opaque cell, a home with no building)
    warnings: list[str] = field(default_factory=list)


def get_zone(session: Session, zone_no: str) -> Zone:
    zone = session.scalar(select(Zone).where(Zone.zone_no == zone_no))
    if zone is None:
        raise NotFound(f"unknown zone {zone_no!r}", key="err_unknown_zone", params={"zone": zone_no})
    return zone


def list_zones(session: Session, *, status: str | None = None, level: str | None = None,
               limit: int = 100, offset: int = 0) -> list[Zone]:
    q = select(Zone).order_by(Zone.id).limit(limit).offset(offset)
    if status:
        q = q.where(Zone.status == status)
    if level:
        q = q.where(Zone.level == level)
    return list(session.scalars(q))


def home_of(session: Session, person: Person) -> Venue | None:
    """The person's residential compound: a residential venue (of their community, when known) whose name
    appears in their address. The persons table has no compound column; addresses name the compound."""
    if not person.address:
        return None
    q = select(Venue).where(Venue.kind == "residential", Venue.name.is_not(None))
    if person.community:
        q = q.where(Venue.community == person.community)
    found = [v for v in session.scalars(q) if v.name and v.name in person.address]
    return max(found, key=lambda v: (len(v.name), v.venue_id)) if found else None


def _venue_of(kind: str, ref: str) -> str | None:
    """The venue a place is (venue) or lies in (building "VENUE_ID/3号楼")."""
    return ref if kind == PlaceKind.VENUE else ref.rpartition("/")[0] if kind == PlaceKind.BUILDING else None


def _places(session: Session, places: list[tuple[str, str, str]], *, any_cell: bool = False,
            names: dict[tuple[str, str], str] | None = None) -> list[ZonePlace]:
    """(kind, ref, reason) → ZonePlace rows; an unknown venue, a malformed cell id or district code is refused.
    A commander's cell must be one of ours ("row:col"); a cell drawn from the lake may be a feed's own name
    (`any_cell`)."""
    if not places:
        raise InvalidInput("a zone needs at least one place (a venue or a grid cell)", key="zone_r_no_place")
    ids = sorted({v for k, r, _ in places if (v := _venue_of(k, r))})
    venues = {v.venue_id: v for part in chunks(ids) for v in session.scalars(select(Venue).where(Venue.venue_id.in_(part)))}
    out, seen = [], set()
    for kind, ref, reason in places:
        if kind not in PLACE_KINDS:
            raise InvalidInput(f"place kind must be one of {', '.join(PLACE_KINDS)}, got {kind!r}", key="zone_r_kind",
                               params={"kind": kind})
        if kind in (PlaceKind.VENUE, PlaceKind.BUILDING) and _venue_of(kind, ref) not in venues:
            raise NotFound(f"unknown venue {_venue_of(kind, ref)!r}", key="zone_r_venue",
                           params={"venue": _venue_of(kind, ref)})
        if kind == PlaceKind.BUILDING and not ref.rpartition("/")[2]:
            raise InvalidInput(f"building {ref!r} must be VENUE_ID/BUILDING, e.g. V0000012/3号楼", key="zone_r_building",
                               params={"ref": ref})
        if kind == PlaceKind.GRID and not (_ANY_CELL if any_cell else _GRID).match(ref):
            raise InvalidInput(f"grid cell {ref!r} is not a cell id like 4729:12345", key="zone_r_grid", params={"ref": ref})
        if kind == PlaceKind.DISTRICT and not _DISTRICT.match(ref):
            raise InvalidInput(f"district {ref!r} is not a 6-digit county/district code like 140105", key="zone_r_district",
                               params={"ref": ref})
        if (kind, ref) not in seen:
            seen.add((kind, ref))
            name = (names or {}).get((kind, ref)) or (
                venues[ref].name if kind == PlaceKind.VENUE
                else f"{venues[_venue_of(kind, ref)].name}{ref.rpartition('/')[2]}"
                if kind == PlaceKind.BUILDING
                else f"{ref}其余区域" if kind == PlaceKind.DISTRICT else f"网格 {ref}")
            out.append(ZonePlace(kind=kind, ref=ref, name=name, reason=reason))
    return out


def create_zone(session: Session, *, level: str, places: list[tuple[str, str, str]], name: str | None = None,
                edition: Edition, now: datetime, case: Case | None = None, note: str | None = None,
                names: dict[tuple[str, str], str] | None = None) -> Zone:
    """A proposed zone of these places (kind, ref, reason); a commander approves it. A user's own zone must lie
    inside the user's jurisdiction (a case's zones are drawn by the system from the case's places). The level
    must be one the edition publishes (the 20 measures have no 中风险区)."""
    actor = acting(session)
    d = drawing(edition)
    if case is None:
        require_places_inside(session, [(k, r) for k, r, _ in places], "a place of this zone")
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", key="err_bad_level", params={"input": level})
    if level not in d.levels:
        raise InvalidInput(f"edition {edition.name} has no {level} zones ({RISK_OF[level]}-risk areas): "
                           f"its levels are {', '.join(d.levels)}", key="zone_r_level", params={"level": level})
    rows = _places(session, places, any_cell=case is not None, names=names)
    zone = Zone(name=name or f"{case.case_no + ' ' if case else ''}{d.labels[level]}", level=level,
                initial_level=level, status=ZoneStatus.PROPOSED, case_fk=case.id if case else None, proposed_at=now,
                proposed_by=actor, edition=edition.name, note=note, places=rows)
    session.add(zone)
    session.flush()
    zone.zone_no = f"Z{zone.id:06d}"
    audit(session, actor, "zone.propose", "zone", zone.zone_no,
          after={"level": level, "places": [f"{p.kind}:{p.ref}" for p in rows]})
    return zone


def _open_places(session: Session) -> dict[tuple[str, str], list[Zone]]:
    out: dict[tuple[str, str], list[Zone]] = {}
    for p, z in session.execute(select(ZonePlace, Zone).join(Zone).where(Zone.status.in_(OPEN))):
        out.setdefault((p.kind, p.ref), []).append(z)
    return out


def _case_places(session: Session, case: Case, lake: Lake, edition: Edition, d: Drawing,
                 warnings: list[str]) -> tuple[dict, set]:
    """(place → level, homes) of a traced case: its home (compound, or building by edition; else home cell) and
    the venues it stayed at, at the edition's levels."""
    if case.window_start is None or case.window_end is None:
        raise Conflict(f"case {case.case_no} has not been traced yet: trace it first", key="err_not_traced",
                       params={"case": case.case_no})
    ws, we = int(case.window_start.timestamp()), int(case.window_end.timestamp())
    kinds = people_service.venue_kinds(session)
    dwell = pa.table({"venue_id": pa.array(list(kinds), pa.string()),
                      "dwell_s": pa.array([edition.dwell_for(k) * 60 for k in kinds.values()], pa.int64())})
    stays = {(PlaceKind.VENUE, v): s for v, s in queries.stays(lake, case.person.person_id, ws, we, dwell).items()}
    home = home_of(session, case.person)
    homes = {(PlaceKind.VENUE, home.venue_id)} if home else set()
    if home and d.home_by != "compound":
        part = home_part(case.person.address, home.name, d.home_by)
        if part:
            # drawn by building, "不得随意扩大": the compound itself is not zoned for the case's own scans there
            homes = {(PlaceKind.BUILDING, f"{home.venue_id}/{part}")}
            stays.pop((PlaceKind.VENUE, home.venue_id), None)
        else:
            warnings.append(f"{case.case_no}: the address names no building of {home.name}: the whole compound "
                            f"{home.venue_id} is proposed; narrow it to the building before approval")
    if not homes and case.person.phone and (cell := queries.home_cell(lake, case.person.phone, ws, we)):
        homes = {(PlaceKind.GRID, cell)}
    return plan_places_for(edition, homes, stays), homes


def _cells_of(session: Session, places: list[tuple[str, str]]) -> set[str]:
    cells = {ref for kind, ref in places if kind == PlaceKind.GRID}
    ids = sorted({v for kind, ref in places if kind != PlaceKind.GRID and (v := _venue_of(kind, ref))})
    for part in chunks(ids):
        for lat, lon in session.execute(select(Venue.lat, Venue.lon).where(Venue.venue_id.in_(part))):
            if lat is not None and lon is not None:
                cells.add(grid_id(lat, lon))
    return cells


def propose_for_case(session: Session, case: Case, *, lake: Lake, edition: Edition, tz: ZoneInfo,
                     now: datetime) -> Proposal:
    """Draw zones from a traced case by the edition (PROTOCOL-NOTES §3-4): its home (compound; building in the
    20 measures) and long stays sealed, other venues controlled (not in an edition without medium areas), and the
    rest of its county/district precaution (low risk). Places already in an open zone as strict or stricter are
    not proposed again; every open zone the case touches (a place, or the case lives in it) restarts its clock.
    What cannot be drawn is skipped with a warning (Proposal.warnings), never failing the trace."""
    d = drawing(edition)
    warnings: list[str] = []
    plan, homes = _case_places(session, case, lake, edition, d, warnings)
    result = Proposal(restarted=_restart(session, case, set(plan), edition=edition, tz=tz, now=now),
                      warnings=warnings)
    held = _open_places(session)
    by_level: dict[str, list[tuple[str, str, str]]] = {lvl: [] for lvl in d.levels}
    for place, level in sorted(plan.items()):
        if any(LEVELS.index(z.level) <= LEVELS.index(level) for z in held.get(place, [])):
            continue
        reason = (PlaceReason.HOME if place in homes else PlaceReason.LONG_STAY if level == ZoneLevel.SEALED
                  else PlaceReason.VISIT)
        by_level[level].append((*place, reason))
    names: dict[tuple[str, str], str] = {}
    if ZoneLevel.PRECAUTION in d.levels and plan:
        by_level[ZoneLevel.PRECAUTION] = _low_area(session, case, plan, d, held, names, warnings)
    for level in d.levels:
        if by_level[level]:
            result.created.append(create_zone(session, level=level, places=by_level[level], edition=edition,
                                              now=now, case=case, names=names))
    for w in warnings:
        audit(session, acting(session), "zone.draw_warning", "case", case.case_no, after={"warning": w})
    return result


def _low_area(session: Session, case: Case, plan: dict, d: Drawing, held: dict, names: dict,
              warnings: list[str]) -> list[tuple[str, str, str]]:
    """The precaution (low-risk) area around a case's places: the rest of its county/district (PROTOCOL-NOTES
    §3: "所在县（市、区、旗）的其他地区"; §4: 防范区), or, when the district is unknown or the edition asks for
    rings, the grid cells around the places (a cell named by a feed, not "row:col", has no ring: skipped)."""
    person = case.person
    district = county_of(person.community) if d.low_area == "district" else None
    if district is not None:
        place = (PlaceKind.DISTRICT, district)
        county = county_name(person.address)
        names[place] = f"{county}（{district}）其余区域" if county else f"{district}其余区域"
        return [] if place in held else [(*place, PlaceReason.DISTRICT)]
    if d.low_area == "district":
        warnings.append(f"{case.case_no}: the case's county/district is unknown (community "
                        f"{person.community or '-'}): the low-risk area is drawn as rings of grid cells")
    if d.ring < 0:
        return []
    cells = _cells_of(session, list(plan))
    if opaque := sorted(c for c in cells if not is_grid_cell(c)):
        warnings.append(f"{case.case_no}: no precaution ring around grid cell(s) {', '.join(opaque[:5])}"
                        f"{' …' if len(opaque) > 5 else ''}: not row:col cell ids, their neighbours are unknown")
    ring = surrounding_cells(cells, d.ring)
    grid = PlaceKind.GRID
    return [(grid, c, PlaceReason.SURROUNDINGS) for c in sorted(ring) if (grid, c) not in held]


def _restart(session: Session, case: Case, places: set, *, edition: Edition, tz: ZoneInfo,
             now: datetime) -> list[Zone]:
    """Any new case inside an open zone restarts its clock; its residents' measures run again from then."""
    at = case.declared_at or now
    lives_in = set(session.scalars(select(ZoneResident.zone_fk).where(ZoneResident.person_fk == case.person_fk)))
    touched = [z for (kind, ref), zones in _open_places(session).items() if (kind, ref) in places for z in zones]
    touched += list(session.scalars(select(Zone).where(Zone.id.in_(lives_in), Zone.status.in_(OPEN))))
    out = []
    for zone in sorted({z.id: z for z in touched}.values(), key=lambda z: z.id):
        # a proposal's clock starts at approval; the zone's own case does not restart it
        if zone.status != ZoneStatus.APPROVED or zone.level == ZoneLevel.PRECAUTION or zone.case_fk == case.id \
                or zone.clock_from >= at:
            continue
        before = {"clock_from": zone.clock_from.isoformat()}
        zone.clock_from = at
        zone.step_proposed_at = None
        if zone.level == ZoneLevel.SEALED:
            _place_residents(session, zone, start=at, edition=edition, tz=tz, now=now)
        audit(session, acting(session), "zone.clock_restart", "zone", zone.zone_no, before=before,
              after={"case": case.case_no, "at": at.isoformat()})
        out.append(zone)
    return out


def _residents(session: Session, zone: Zone) -> set[int]:
    """People whose home compound is a place of the zone or lies in one of its grid cells, and the people of
    its buildings (the building, or building and unit, their address names after the compound's name)."""
    venue_refs = [p.ref for p in zone.places if p.kind == PlaceKind.VENUE]
    cells = {p.ref for p in zone.places if p.kind == PlaceKind.GRID and is_grid_cell(p.ref)}
    compounds = []
    for part in chunks(venue_refs):
        compounds += session.scalars(select(Venue).where(Venue.venue_id.in_(part), Venue.kind == "residential"))
    if cells:
        compounds += [v for v in session.scalars(select(Venue).where(Venue.kind == "residential"))
                      if v.lat is not None and v.lon is not None and grid_id(v.lat, v.lon) in cells]
    out: set[int] = set()
    for v in {v.id: v for v in compounds if v.name}.values():
        out.update(fk for fk, _ in _addresses(session, v))
    buildings = [p.ref.rpartition("/") for p in zone.places if p.kind == PlaceKind.BUILDING]
    for vid, _, part in buildings:
        v = session.scalar(select(Venue).where(Venue.venue_id == vid))
        if v is None or not v.name:
            continue
        by = "unit" if part.endswith("单元") else "building"
        out.update(fk for fk, address in _addresses(session, v) if home_part(address, v.name, by) == part)
    return out


def _addresses(session: Session, v: Venue) -> list[tuple[int, str]]:
    """(person, address) of the people whose address names compound `v` (of its community, when known)."""
    q = select(Person.id, Person.address).where(Person.address.contains(v.name, autoescape=True))
    if v.community:
        q = q.where(Person.community == v.community)
    return [tuple(r) for r in session.execute(q)]


def _place_residents(session: Session, zone: Zone, *, start: datetime, edition: Edition, tz: ZoneInfo,
                     now: datetime) -> None:
    """Sealed-zone residents (not cases) get the edition's `sealed_resident` measure from `start`."""
    fks = list(session.scalars(select(ZoneResident.person_fk).where(ZoneResident.zone_fk == zone.id)))
    cases = set()
    for part in chunks(fks):
        cases.update(session.scalars(select(Case.person_fk).where(Case.person_fk.in_(part),
                                                                  Case.status != CaseStatus.RULED_OUT)))
    people = [fk for fk in fks if fk not in cases]
    measure_service.assign_for_persons(session, people, MeasureCategory.SEALED_RESIDENT,
                                       last_exposure_at=start, edition=edition, tz=tz, now=now,
                                       case_fk=zone.case_fk)
    mark_changed(session, fks, now)


def approve(session: Session, zone: Zone, *, edition: Edition, tz: ZoneInfo, now: datetime) -> Zone:
    """A commander approves a proposed zone: it is published, its residents are fixed and, in a sealed zone,
    placed under the zone's measure; the lifting clock starts now. Four eyes: not by the user who proposed it."""
    actor = acting(session)
    require_zone_inside(session, zone)
    if zone.status != ZoneStatus.PROPOSED:
        raise Conflict(f"zone {zone.zone_no} is {zone.status}, not awaiting approval", key="zone_r_not_proposed",
                       params={"zone": zone.zone_no})
    if actor == zone.proposed_by:
        raise Forbidden(f"zone {zone.zone_no} was proposed by {actor}: another user must approve it (four eyes)",
                        key="zone_r_four_eyes", params={"zone": zone.zone_no})
    zone.status, zone.approved_at, zone.approved_by = ZoneStatus.APPROVED, now, actor
    zone.clock_from = now
    if zone.level != ZoneLevel.PRECAUTION:
        fks = _residents(session, zone)
        session.add_all(ZoneResident(zone_fk=zone.id, person_fk=fk) for fk in sorted(fks))
        session.flush()
        if zone.level == ZoneLevel.SEALED:
            _place_residents(session, zone, start=now, edition=edition, tz=tz, now=now)
        mark_changed(session, fks, now)
    audit(session, actor, "zone.approve", "zone", zone.zone_no, before={"status": ZoneStatus.PROPOSED},
          after={"status": ZoneStatus.APPROVED, "level": zone.level})
    return zone


def reject(session: Session, zone: Zone, *, reason: str, now: datetime) -> Zone:
    actor = acting(session)
    require_zone_inside(session, zone)
    if zone.status != ZoneStatus.PROPOSED:
        raise Conflict(f"zone {zone.zone_no} is {zone.status}, not awaiting approval", key="zone_r_not_proposed",
                       params={"zone": zone.zone_no})
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason", key="zone_r_reason")
    zone.status, zone.closed_at, zone.closed_by = ZoneStatus.REJECTED, now, actor
    zone.note = reason.strip()[:500]
    audit(session, actor, "zone.reject", "zone", zone.zone_no, after={"reason": reason})
    return zone


def _districts(session: Session, zone: Zone) -> set[str]:
    """The counties/districts a zone lies in: its district places, its places' communities, its case's."""
    out = {p.ref for p in zone.places if p.kind == PlaceKind.DISTRICT}
    case = zone.case
    codes = place_codes(session, [(p.kind, p.ref) for p in zone.places if p.kind != PlaceKind.DISTRICT],
                        case.person.community if case is not None and case.person is not None else None,
                        has_case=case is not None)
    return out | {c for code in codes if (c := county_of(code))}


def _open_stricter(session: Session, zone: Zone) -> int:
    """Approved sealed or controlled zones a precaution zone waits for: those of its district (防范区 /
    低风险区 = the rest of the district: lifted when every stricter zone of the district is), else (a ring of
    cells) those of the same case."""
    q = select(Zone).where(Zone.status == ZoneStatus.APPROVED, Zone.level != ZoneLevel.PRECAUTION)
    districts = {p.ref for p in zone.places if p.kind == PlaceKind.DISTRICT}
    if districts:
        return sum(1 for z in session.scalars(q) if _districts(session, z) & districts)
    if zone.case_fk is not None:
        q = q.where(Zone.case_fk == zone.case_fk)
    return len(list(session.scalars(q)))


def _state(session: Session, zone: Zone, edition: Edition, tz: ZoneInfo, now: datetime) -> ZoneState:
    stricter = _open_stricter(session, zone) if zone.level == ZoneLevel.PRECAUTION else 0
    return ZoneState(level=zone.level, was_sealed=zone.was_sealed, clock_from=zone.clock_from,
                     rounds=rounds_of(session, zone, tz), open_stricter_zones=stricter,
                     contacts_clear=contacts_clear(session, zone, edition, now=now, tz=tz),
                     resident_duties=resident_duties(session, zone, now=now, tz=tz) if zone.level != ZoneLevel.PRECAUTION
                     else ())


def check(session: Session, zone: Zone, *, edition: Edition, tz: ZoneInfo, now: datetime) -> LiftCheck:
    """Whether the zone's next step (lower to controlled, or lift) is met now, and what is missing."""
    if zone.status != ZoneStatus.APPROVED:
        raise Conflict(f"zone {zone.zone_no} is {zone.status}; only an approved zone is lowered or lifted",
                       key="zone_r_not_approved", params={"zone": zone.zone_no})
    return lift_check(edition, _state(session, zone, edition, tz, now), now=now, tz=tz)


def review(session: Session, *, edition: Edition, tz: ZoneInfo, now: datetime) -> list[tuple[Zone, LiftCheck]]:
    """Check every approved zone; a step found met is proposed to the commander (once, audited): for a district
    user, only the zones inside its jurisdiction."""
    out = []
    for zone in list_zones(session, status=ZoneStatus.APPROVED, limit=100_000):
        c = check(session, zone, edition=edition, tz=tz, now=now)
        if c.met and zone.step_proposed_at is None and zone_inside(session, zone):
            zone.step_proposed_at = now
            audit(session, acting(session), "zone.step_proposed", "zone", zone.zone_no,
                  after={"to": c.to_level or ZoneStatus.LIFTED})
        out.append((zone, c))
    return out


def step(session: Session, zone: Zone, *, edition: Edition, tz: ZoneInfo, now: datetime) -> Zone:
    """Lower a sealed zone to controlled, or lift a zone, when its condition is met; refused with the reason."""
    actor = acting(session)
    require_zone_inside(session, zone)
    c = check(session, zone, edition=edition, tz=tz, now=now)
    verb = "lowered" if c.to_level else "lifted"
    if not c.met:
        raise Conflict(f"zone {zone.zone_no} cannot be {verb} yet: " + "; ".join(c.missing), key="zone_r_not_yet",
                       params={"zone": zone.zone_no, "n": len(c.missing)})
    before = {"level": zone.level, "status": zone.status}
    fks = list(session.scalars(select(ZoneResident.person_fk).where(ZoneResident.zone_fk == zone.id)))
    if zone.level == ZoneLevel.SEALED:
        measure_service.release_for_persons(session, fks, MeasureCategory.SEALED_RESIDENT, now=now,
                                            reason=f"zone {zone.zone_no} {verb}")
    if c.to_level:
        # the next step's day 1 is the day after the last clean day of this one
        zone.level, zone.lowered_at, zone.clock_from = c.to_level, now, min(now, c.due_at) - _INSTANT
    else:
        zone.status, zone.closed_at, zone.closed_by = ZoneStatus.LIFTED, now, actor
    zone.step_proposed_at = None
    mark_changed(session, fks, now)
    audit(session, actor, f"zone.{verb}", "zone", zone.zone_no, before=before,
          after={"level": zone.level, "status": zone.status})
    return zone


def risk_areas(session: Session) -> list[dict]:
    """The published list (高/中/低风险区): approved zones, strictest first, with their places."""
    zones = sorted(list_zones(session, status=ZoneStatus.APPROVED, limit=100_000),
                   key=lambda z: (LEVELS.index(z.level), z.approved_at, z.id))
    return [{"zone_id": z.zone_no, "name": z.name, "level": z.level, "risk": RISK_OF[z.level],
             "since": z.approved_at, "places": [{"kind": p.kind, "ref": p.ref, "name": p.name} for p in z.places]}
            for z in zones]


def venue_sealed(session: Session, venue_id: str) -> bool:
    """Is the venue a place of an approved sealed zone (no one may enter)?"""
    q = (select(ZonePlace.id).join(Zone).where(ZonePlace.kind == PlaceKind.VENUE, ZonePlace.ref == venue_id,
                                                Zone.status == ZoneStatus.APPROVED, Zone.level == ZoneLevel.SEALED).limit(1))
    return session.scalar(q) is not None


def open_strict_places(session: Session) -> list[tuple[str, float | None, float | None, str]]:
    """(kind, lat, lon, ref) of every place of an approved sealed or controlled zone (venues and buildings
    located at their venue)."""
    q = (select(ZonePlace.kind, ZonePlace.ref).join(Zone)
         .where(Zone.status == ZoneStatus.APPROVED, Zone.level.in_((ZoneLevel.SEALED, ZoneLevel.CONTROLLED))))
    rows = [tuple(r) for r in session.execute(q)]
    ids = sorted({v for k, r in rows if (v := _venue_of(k, r))})
    where = {vid: (lat, lon) for part in chunks(ids)
             for vid, lat, lon in session.execute(select(Venue.venue_id, Venue.lat, Venue.lon)
                                                  .where(Venue.venue_id.in_(part)))}
    return [(k, *where.get(_venue_of(k, r) or "", (None, None)), r) for k, r in rows]


def sealed_venues(session: Session) -> set[str]:
    """Venue ids of every approved sealed zone."""
    q = (select(ZonePlace.ref).join(Zone).where(ZonePlace.kind == PlaceKind.VENUE, Zone.status == ZoneStatus.APPROVED,
                                                 Zone.level == ZoneLevel.SEALED))
    return set(session.scalars(q))


def resident_count(session: Session, zone: Zone) -> int:
    return session.scalar(select(func.count()).where(ZoneResident.zone_fk == zone.id)) or 0


def counts_between(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """For the bulletin: sealed and controlled zones approved in [start, end) by level, zones lifted in it,
    and the zones open at `end` by the level they had then (as of `end`, whatever happened since)."""
    strict = Zone.initial_level != ZoneLevel.PRECAUTION
    new = dict(session.execute(select(Zone.initial_level, func.count(Zone.id)).where(
        strict, Zone.approved_at >= start, Zone.approved_at < end).group_by(Zone.initial_level)).all())
    lifted = select(func.count(Zone.id)).where(strict, Zone.status == ZoneStatus.LIFTED, Zone.closed_at >= start,
                                               Zone.closed_at < end)
    # the level a zone had at `end`: its initial level until it was lowered (the one step down there is)
    level_then = sql_case((Zone.lowered_at < end, Zone.level), else_=Zone.initial_level)
    open_ = dict(session.execute(select(level_then, func.count(Zone.id)).where(
        Zone.approved_at < end, Zone.status.in_((ZoneStatus.APPROVED, ZoneStatus.LIFTED)),
        Zone.closed_at.is_(None) | (Zone.closed_at >= end)).group_by(level_then)).all())
    return {"new_high": new.get(ZoneLevel.SEALED, 0), "new_medium": new.get(ZoneLevel.CONTROLLED, 0),
            "lifted": session.scalar(lifted) or 0, "open_high": open_.get(ZoneLevel.SEALED, 0),
            "open_medium": open_.get(ZoneLevel.CONTROLLED, 0), "open_low": open_.get(ZoneLevel.PRECAUTION, 0)}


