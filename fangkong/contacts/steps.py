"""A trace's steps, in the order of DOMAIN.md §4, each set-based over every case traced together: the cases'
windows (seeds), close contacts (venue and household), secondary contacts, space-time companions (the grid) and
trajectory overlaps. A step returns what it found; a person found by several steps keeps the highest category,
decided in one place, where the evidence is assembled (contacts.assemble.risk_rows). No step knows about
threads: contacts.service runs them in order and contacts.lanes decides which thread runs what."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts import assemble
from fangkong.contacts.models import RiskCategory
from fangkong.errors import Conflict, InvalidInput
from fangkong.lake.queries import ANCHOR_SCHEMA, Lake
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.people.phones import PersonRef
from fangkong.protocol.classify import rank
from fangkong.protocol.edition import Edition
from fangkong.protocol.who import Who, of_person, person_id
from fangkong.protocol.window import Window, lookback_window

__all__ = ["NOISE_DAYS", "CasePhones", "Close", "CloseContacts", "Evidence", "Rules", "Seed", "by_case",
           "case_phones", "close", "close_contacts", "companions", "epoch", "from_epoch", "holders", "iso",
           "met_at_venues", "met_in_cells", "new_seed", "noise_bounds", "overlaps", "secondary", "seed_table",
           "seeds", "small_evidence", "tuples", "who_table", "windows"]


def iso(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).isoformat()


def epoch(t: datetime) -> int:
    return int(t.timestamp())


def from_epoch(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


def tuples(t: pa.Table, *columns: str) -> list[tuple]:
    """Rows of an Arrow table as tuples of the given columns (cheaper than to_pylist's dicts)."""
    return list(zip(*(t.column(c).to_pylist() for c in columns), strict=True))


def who_table(rows: list[tuple[str, str, int, int]]) -> pa.Table:
    """(key, via, s, e): which trace, whose presence, over which interval."""
    return pa.table({"key": pa.array([r[0] for r in rows], pa.string()),
                     "via": pa.array([r[1] for r in rows], pa.string()),
                     "s": pa.array([r[2] for r in rows], pa.int64()),
                     "e": pa.array([r[3] for r in rows], pa.int64())})



@dataclass(frozen=True)
class Rules:
    """What a trace reads of its edition (DOMAIN.md §4), and each venue's default dwell (contacts.dwell_cache)."""

    dwell: pa.Table
    venue_overlap_s: int
    grid_overlap_s: int
    #: the deployment's companion noise filter (0: off)
    min_cell_hours: float
    secondary: bool

    @classmethod
    def of(cls, edition: Edition, dwell: pa.Table, min_cell_hours: float) -> Rules:
        return cls(dwell, edition.venue_overlap_min * 60, edition.grid_overlap_min * 60, min_cell_hours,
                   edition.identify_secondary)


class Evidence(NamedTuple):
    """One piece of evidence found by a venue or household step: which trace (key), who (the person as the lake
    or the household names them, resolved to the registered person when assembled), the category, and kind,
    via, place, [s, e] in epoch seconds."""

    key: str
    who: Who
    category: RiskCategory
    kind: str
    via: str
    place: str
    s: int
    e: int


@dataclass
class Seed:
    """One case being traced: its person and look-back window ([ws, we] in epoch seconds); `until`: the end of its
    close contacts' exposure of others (now, or the window's end if later)."""

    case: Case
    person: Person
    window: Window
    ws: int
    we: int
    until: int


def seeds(cases: list[Case], edition: Edition, tz: ZoneInfo, now: datetime,
          days_before: int | None) -> dict[str, Seed]:
    """Each case's look-back window, by case number (the trace's key)."""
    return {c.case_no: new_seed(c, edition, tz, now, days_before) for c in cases}


@dataclass(frozen=True)
class Close:
    """The close contacts found, and the cases' own venue visits in their windows (which overlaps start from)."""

    evidence: list[Evidence]
    visits: pa.Table


def close(session: Session, lake: Lake, seeds: dict[str, Seed], rules: Rules) -> Close:
    """Close contacts: at a venue with the case for at least venue_overlap_s inside its window (one lake query
    for every case), and the case's household."""
    # a case known under several source keys has scans under each (people.service resolves them to one person)
    keys = people_service.source_keys(session, [sd.person for sd in seeds.values()])
    visits = lake.own_intervals(who_table([(k, key, sd.ws, sd.we) for k, sd in seeds.items()
                                           for key in keys[sd.person.id]]), rules.dwell)
    met = lake.co_presence(visits, rules.dwell, rules.venue_overlap_s)
    found = [Evidence(k, of_person(pid), RiskCategory.CLOSE, "venue", via, place, s, e)
             for k, pid, via, place, s, e in tuples(met, "key", "person_id", "via", "place", "s", "e")]
    households = people_service.household_members(session, [sd.person.household_id for sd in seeds.values()],
                                                  light=True)
    for k, sd in seeds.items():
        for p in households.get(sd.person.household_id, []) if sd.person.household_id else []:
            if p.id != sd.person.id:
                found.append(Evidence(k, of_person(p.person_id), RiskCategory.CLOSE, "household", sd.person.person_id,
                                      p.household_id, sd.ws, sd.we))
    return Close(found, visits)


@dataclass(frozen=True)
class CloseContacts:
    """The close contacts of every case as the secondary step needs them: per case, each one's first exposure
    (by person_id); their records; and `exposed`, (key, source key, first exposure, until) of each."""

    firsts: dict[str, dict[str, int]]
    persons: dict[str, Person | PersonRef]
    exposed: pa.Table


def close_contacts(session: Session, seeds: dict[str, Seed], close: Close, rules: Rules,
                   cases: Collection[int] = ()) -> CloseContacts:
    """The close contacts whose own contacts are secondary ones (none when the edition names no secondary). A
    declared case met (`cases`: their person record ids) is a chain edge, not a close contact: whom he met is his
    own trace's business, never another case's secondary contacts (issue 23)."""
    if not rules.secondary:
        return CloseContacts({}, {}, who_table([]))
    firsts: dict[str, dict[str, int]] = {k: {} for k in seeds}
    for ev in close.evidence:
        first, pid = firsts[ev.key], person_id(ev.who)
        first[pid] = min(ev.s, first.get(pid, ev.s))
    persons = people_service.persons_by_ids(session, {pid for first in firsts.values() for pid in first},
                                            light=True)
    if cases:
        met = {pid for pid, p in persons.items() if p.id in cases}
        firsts = {k: {pid: s for pid, s in first.items() if pid not in met} for k, first in firsts.items()}
    keys = people_service.source_keys(session, persons.values())  # a contact's scans under each of their keys
    exposed: dict[tuple[str, str], int] = {}
    for k, first in firsts.items():
        for pid, s in first.items():
            for key in keys[persons[pid].id] if pid in persons else [pid]:
                exposed[(k, key)] = min(s, exposed.get((k, key), s))
    return CloseContacts(firsts, persons, who_table([(k, key, s, seeds[k].until)
                                                     for (k, key), s in sorted(exposed.items())]))


def met_at_venues(lake: Lake, exposed: pa.Table, rules: Rules) -> pa.Table:
    """Who was at a venue with the close contacts over their exposed intervals (CloseContacts.exposed): the venue
    query re-run for every contact at once. Lake only."""
    return lake.co_presence(lake.own_intervals(exposed, rules.dwell), rules.dwell, rules.venue_overlap_s)


def secondary(session: Session, seeds: dict[str, Seed], contacts: CloseContacts, met: pa.Table) -> list[Evidence]:
    """Secondary contacts: at a venue with a close contact from their first exposure on (`met`: met_at_venues),
    and the close contacts' households. A close contact found here again stays a close one (assemble)."""
    found = [Evidence(k, of_person(pid), RiskCategory.SECONDARY, "venue", via, place, s, e)
             for k, pid, via, place, s, e in tuples(met, "key", "person_id", "via", "place", "s", "e")]
    if not contacts.persons:
        return found
    households = people_service.household_members(session, [p.household_id for p in contacts.persons.values()],
                                                  light=True)
    for k, first in contacts.firsts.items():
        for pid in sorted(first):
            contact = contacts.persons.get(pid)
            for p in households.get(contact.household_id, []) if contact and contact.household_id else []:
                found.append(Evidence(k, of_person(p.person_id), RiskCategory.SECONDARY, "household", pid, p.household_id,
                                      first[pid], seeds[k].until))
    return found


@dataclass(frozen=True)
class CasePhones:
    """What the grid query needs of the cases, read from their records here (it runs on the lake lane): each
    phone over its case's window (who_table), the cases (seed_table) and the noise filter's bounds."""

    who: pa.Table
    cases: pa.Table
    bounds: pa.Table


def case_phones(seeds: dict[str, Seed]) -> CasePhones:
    return CasePhones(who_table([(k, sd.person.phone, sd.ws, sd.we) for k, sd in seeds.items() if sd.person.phone]),
                      seed_table(seeds), noise_bounds(seeds))


def met_in_cells(lake: Lake, phones: CasePhones, rules: Rules) -> pa.Table:
    """Every phone in a case's cells long enough (key, person_id = phone, place, s, e): one lake query for all
    the cases; the noise filter applied when the deployment sets it. Lake only. The co-presence rows' `via` (the
    case's phone, known from the key) is dropped: a bad day's meetings are held until every case is stored."""
    if phones.who.num_rows == 0:
        return lake.co_presence(ANCHOR_SCHEMA.empty_table(), pa.table({}), rules.grid_overlap_s,
                                cells=True).drop_columns(["via"])
    anchors = lake.own_intervals(phones.who, pa.table({}), cells=True)
    found = lake.co_presence(anchors, pa.table({}), rules.grid_overlap_s, cells=True)
    if rules.min_cell_hours > 0 and found.num_rows:
        found = assemble.noise_filter(found, phones.cases, cell_hours(lake, phones.bounds, phones.cases, found),
                                      rules.min_cell_hours)
    return found.drop_columns(["via"])


def holders(session: Session, met: pa.Table) -> pa.Table:
    """Who may have held each phone met (people.phones.owner_candidates): every case's phones in one look-up, since
    a bad day's cases share most of their phones."""
    return people_service.owner_candidates(session, pc.unique(met.column("person_id")).to_pylist())


def companions(met: pa.Table, cases: pa.Table, holders: pa.Table) -> pa.Table:
    """Space-time companions of the cases in `cases` (a seed_table), as evidence (assemble.EVIDENCE): tens of
    thousands of phones per case, each named by its holder at the time. Arrow and DuckDB only."""
    met = met.filter(pc.is_in(met.column("key"), value_set=cases.column("key")))
    return assemble.holders(met, cases, holders, rank(RiskCategory.COMPANION))


def overlaps(same_day: pa.Table) -> list[Evidence]:
    """Trajectory overlaps: at a venue of the case on the same calendar day inside its window (Lake.same_day)."""
    return [Evidence(k, of_person(pid), RiskCategory.OVERLAP, "venue", via, place, s, e)
            for k, pid, via, place, s, e in tuples(same_day, "key", "person_id", "via", "place", "s", "e")]


def by_case(*found: list[Evidence]) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = {}
    for evidence in found:
        for ev in evidence:
            out.setdefault(ev.key, []).append(ev)
    return out


def seed_table(seeds: dict[str, Seed]) -> pa.Table:
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "case_fk": pa.array([sd.case.id for sd in seeds.values()], pa.int64()),
                     "case_person_fk": pa.array([sd.person.id for sd in seeds.values()], pa.int64()),
                     "case_person_id": pa.array([sd.person.person_id for sd in seeds.values()], pa.string()),
                     "case_phone": pa.array([sd.person.phone for sd in seeds.values()], pa.string())},
                    schema=assemble.SEEDS)


#: the noise filter counts a phone's hours in a cell over the 14 days up to the end of the case's window
NOISE_DAYS = 14


def noise_bounds(seeds: dict[str, Seed]) -> pa.Table:
    """Per case (key, lo, hi): the NOISE_DAYS days up to the window's end, over which the noise filter counts."""
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "lo": pa.array([sd.we - NOISE_DAYS * 86_400 for sd in seeds.values()], pa.int64()),
                     "hi": pa.array([sd.we for sd in seeds.values()], pa.int64())})


def cell_hours(lake: Lake, bounds: pa.Table, seed_table: pa.Table, found: pa.Table) -> pa.Table:
    """Per case: hours each phone met and the case's phone spent in each cell met, over the case's `bounds`
    (noise_bounds), stays clipped to them (Chengdu's noise filter: 最近14天内累计停留); one lake query for
    every case."""
    met = found.select(["key", "person_id", "place"]).rename_columns(["key", "phone", "place"])
    own = (found.select(["key", "place"]).group_by(["key", "place"]).aggregate([])  # the case's phone, each cell met
           .join(seed_table.select(["key", "case_phone"]).filter(pc.is_valid(seed_table.column("case_phone"))),
                 "key", join_type="inner")
           .select(["key", "case_phone", "place"]).rename_columns(["key", "phone", "place"]))
    wanted = pa.concat_tables([met, own]).group_by(["key", "phone", "place"]).aggregate([])
    return lake.cell_hours(wanted, bounds)


def windows(seeds: dict[str, Seed]) -> pa.Table:
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "ws": pa.array([sd.ws for sd in seeds.values()], pa.int64()),
                     "we": pa.array([sd.we for sd in seeds.values()], pa.int64())})


def small_evidence(session: Session, found: list[Evidence]) -> pa.Table:
    """The venue and household evidence (hundreds of persons per case) as assemble.EVIDENCE, each person as the
    lake or household names them resolved to their record (people.service): a person's source keys are one
    risk person. A person_id the register does not know stays as found."""
    persons = people_service.persons_by_ids(session, {person_id(ev.who) for ev in found}, light=True)
    ranks = {c: rank(c) for c in RiskCategory}
    rows = []
    for ev in found:
        pid = person_id(ev.who)
        p = persons.get(pid)
        head = (ev.key, of_person(p.person_id), ranks[ev.category], p.id, p.person_id, p.phone, p.household_id) \
            if p else (ev.key, ev.who, ranks[ev.category], None, None, pid, None)
        rows.append(head + (ev.kind, ev.via, ev.place, ev.s, ev.e))
    return assemble.evidence_table(rows)


def new_seed(case: Case, edition: Edition, tz: ZoneInfo, now: datetime, days_before: int | None) -> Seed:
    """A declared case ready to be traced: its look-back window (DOMAIN.md §4)."""
    if case.status not in DECLARED:
        raise Conflict(f"case {case.case_no} is {case.status}; only a declared case is traced")
    end = case.isolated_at or case.declared_at or now
    try:
        window = lookback_window(edition, sampled_at=case.sampled_at, isolated_at=end, onset_date=case.onset_date,
                                 last_negative_at=case.last_negative_at, days_before=days_before, tz=tz)
    except ValueError as exc:
        raise InvalidInput(f"case {case.case_no}: {exc}") from None
    ws, we = epoch(window.start), epoch(window.end)
    return Seed(case=case, person=case.person, window=window, ws=ws, we=we, until=max(epoch(now), we))
