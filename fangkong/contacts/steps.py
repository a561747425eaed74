"""A trace's steps, each one set-based over every case traced together: a case's seed (its window and the
evidence collected), the venue and household steps (close and secondary contacts, overlaps) and the grid step
(space-time companions). contacts.service runs them in order and stores what they find."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts import assemble
from fangkong.contacts.worker import soon
from fangkong.errors import Conflict, InvalidInput
from fangkong.lake.queries import ANCHOR_SCHEMA
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.people.phones import PersonRef
from fangkong.protocol.classify import rank
from fangkong.protocol.edition import CATEGORIES, Edition
from fangkong.protocol.window import Window, lookback_window

__all__ = ["NOISE_DAYS", "Collector", "Contacts", "Seed", "close", "companions", "co_presence", "epoch", "from_epoch",
           "grid_meetings", "iso", "new_seed", "noise_bounds", "overlaps", "secondary", "secondary_query",
           "seed_table", "small_evidence", "tuples", "who_table", "windows"]


def iso(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).isoformat()


def epoch(t: datetime) -> int:
    return int(t.timestamp())


def from_epoch(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


def tuples(t: pa.Table, *columns: str) -> list[tuple]:
    """Rows of an Arrow table as tuples of the given columns (cheaper than to_pylist's dicts)."""
    return list(zip(*(t.column(c).to_pylist() for c in columns), strict=True))


class Collector:
    """Evidence per person and category, as (s, e, kind, via, place); a person keeps the highest category."""

    def __init__(self) -> None:
        self.by_cat: dict[str, dict[str, list[tuple]]] = {c: defaultdict(list) for c in CATEGORIES}
        self.seen: set[tuple] = set()

    def add(self, category: str, who: str, kind: str, via: str, place: str, s: int, e: int) -> None:
        """Evidence is a set: the same (kind, via, place, interval) found twice is kept once."""
        key = (category, who, kind, via, place, s, e)
        if key in self.seen:
            return
        self.seen.add(key)
        self.by_cat[category][who].append((s, e, kind, via, place))

    def has(self, who: str, *categories: str) -> bool:
        for c in categories:
            if who in self.by_cat[c]:
                return True
        return False

    def members(self, category: str) -> dict[str, list[tuple]]:
        return self.by_cat[category]


def who_table(rows: list[tuple[str, str, int, int]]) -> pa.Table:
    """(key, via, s, e): which trace, whose presence, over which interval."""
    return pa.table({"key": pa.array([r[0] for r in rows], pa.string()),
                     "via": pa.array([r[1] for r in rows], pa.string()),
                     "s": pa.array([r[2] for r in rows], pa.int64()),
                     "e": pa.array([r[3] for r in rows], pa.int64())})


@dataclass
class Seed:
    """One case being traced: its person, window and the evidence collected so far."""

    case: Case
    person: Person
    window: Window
    ws: int
    we: int
    until: int
    col: Collector


def close(session, lake, seeds: dict[str, Seed], dwell, min_s) -> pa.Table:
    """Close contacts by venue (one lake query for every case) and household; returns the cases' own visits."""
    # a case known under several source keys has scans under each (people.service resolves them to one person)
    keys = people_service.source_keys(session, [sd.person for sd in seeds.values()])
    anchors = lake.own_intervals(who_table([(k, key, sd.ws, sd.we) for k, sd in seeds.items()
                                            for key in keys[sd.person.id]]), dwell)
    for k, pid, via, place, s, e in tuples(lake.co_presence(anchors, dwell, min_s), "key", "person_id", "via",
                                           "place", "s", "e"):
        seeds[k].col.add("close", "p:" + pid, "venue", via, place, s, e)
    households = people_service.household_members(session, [sd.person.household_id for sd in seeds.values()],
                                                  light=True)
    for sd in seeds.values():
        for p in households.get(sd.person.household_id, []) if sd.person.household_id else []:
            if p.id != sd.person.id:
                sd.col.add("close", "p:" + p.person_id, "household", sd.person.person_id, p.household_id, sd.ws, sd.we)
    return anchors


@dataclass
class Contacts:
    """The close contacts of every case, read from the records, and the lake query of their venues (a Future:
    it runs on the trace worker while this thread names the phones met)."""

    firsts: dict[str, dict[str, int]]
    persons: dict[str, Person | PersonRef]
    venues: Future


def secondary_query(session, lake, seeds: dict[str, Seed], dwell, min_s) -> Contacts:
    """One query for the close contacts of every case: the venue query re-run for each contact at once."""
    firsts = {k: {who[2:]: min(ev[0] for ev in evs) for who, evs in sd.col.members("close").items()}
              for k, sd in seeds.items()}
    contacts = people_service.persons_by_ids(session, {pid for first in firsts.values() for pid in first},
                                             light=True)
    keys = people_service.source_keys(session, contacts.values())  # a contact's scans under each of their keys
    who: dict[tuple[str, str], int] = {}
    for k, first in firsts.items():
        for pid, s in first.items():
            for key in keys[contacts[pid].id] if pid in contacts else [pid]:
                who[(k, key)] = min(s, who.get((k, key), s))
    return Contacts(firsts, contacts, soon(lake, co_presence, lake, who_table(
        [(k, key, s, seeds[k].until) for (k, key), s in sorted(who.items())]), dwell, min_s))


def co_presence(lake, who: pa.Table, dwell, min_s) -> pa.Table:
    """Who was at a venue with `who` over their intervals (Lake.co_presence of their own visits): lake only."""
    return lake.co_presence(lake.own_intervals(who, dwell), dwell, min_s)


def secondary(session, seeds: dict[str, Seed], contacts: Contacts) -> None:
    """Secondary contacts from the contacts' venue query and households: whoever is not already a close one."""
    households = people_service.household_members(session, [p.household_id for p in contacts.persons.values()],
                                                  light=True)
    for k, pid, via, place, s, e in tuples(contacts.venues.result(), "key", "person_id", "via", "place", "s", "e"):
        sd, key = seeds[k], "p:" + pid
        if pid != sd.person.person_id and not sd.col.has(key, "close"):
            sd.col.add("secondary", key, "venue", via, place, s, e)
    for k, first in contacts.firsts.items():
        sd = seeds[k]
        for pid in sorted(first):
            contact = contacts.persons.get(pid)
            for p in households.get(contact.household_id, []) if contact and contact.household_id else []:
                key = "p:" + p.person_id
                if p.id != sd.person.id and p.person_id != pid and not sd.col.has(key, "close"):
                    sd.col.add("secondary", key, "household", pid, p.household_id, first[pid], sd.until)


def seed_table(seeds: dict[str, Seed]) -> pa.Table:
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "case_fk": pa.array([sd.case.id for sd in seeds.values()], pa.int64()),
                     "case_person_fk": pa.array([sd.person.id for sd in seeds.values()], pa.int64()),
                     "case_person_id": pa.array([sd.person.person_id for sd in seeds.values()], pa.string()),
                     "case_phone": pa.array([sd.person.phone for sd in seeds.values()], pa.string())},
                    schema=assemble.SEEDS)


def grid_meetings(lake, who: pa.Table, seed_table: pa.Table, noise_bounds: pa.Table, min_s,
                  min_cell_hours) -> pa.Table:
    """Every phone in a case's cells long enough (key, person_id = phone, place, s, e): one lake query for all
    the cases (`who`: each case's phone over its window); the noise filter applied when the deployment sets it.
    Lake work only, no session: it runs on the worker thread (worker.soon). The co-presence rows' `via` (the
    case's phone, known from the key) is dropped: a bad day's meetings are held until every case is stored
    (a fifth of their memory)."""
    if who.num_rows == 0:
        return lake.co_presence(ANCHOR_SCHEMA.empty_table(), pa.table({}), min_s, cells=True).drop_columns(["via"])
    anchors = lake.own_intervals(who, pa.table({}), cells=True)
    found = lake.co_presence(anchors, pa.table({}), min_s, cells=True)
    if min_cell_hours > 0 and found.num_rows:
        found = assemble.noise_filter(found, seed_table, cell_hours(lake, noise_bounds, seed_table, found),
                                      min_cell_hours)
    return found.drop_columns(["via"])


def companions(found: pa.Table, seed_table: pa.Table, owners: pa.Table) -> pa.Table:
    """Companion evidence (assemble.EVIDENCE) of the cases in seed_table, set-based: tens of thousands of
    phones per case, each named by its holder at the time (`owners`: the candidates of every phone met)."""
    found = found.filter(pc.is_in(found.column("key"), value_set=seed_table.column("key")))
    return assemble.holders(found, seed_table, owners, rank("companion"))


#: the noise filter counts a phone's hours in a cell over the 14 days up to the end of the case's window
NOISE_DAYS = 14


def noise_bounds(seeds: dict[str, Seed]) -> pa.Table:
    """Per case (key, lo, hi): the NOISE_DAYS days up to the window's end, over which the noise filter counts."""
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "lo": pa.array([sd.we - NOISE_DAYS * 86_400 for sd in seeds.values()], pa.int64()),
                     "hi": pa.array([sd.we for sd in seeds.values()], pa.int64())})


def cell_hours(lake, bounds: pa.Table, seed_table: pa.Table, found: pa.Table) -> pa.Table:
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


def overlaps(seeds: dict[str, Seed], same_day: pa.Table) -> None:
    """Overlap evidence from the lake's same-day rows (Lake.same_day): whoever is not already a closer contact."""
    for k, pid, via, place, s, e in tuples(same_day, "key", "person_id", "via", "place", "s", "e"):
        sd, key = seeds[k], "p:" + pid
        if pid != sd.person.person_id and not sd.col.has(key, "close", "secondary", "companion"):
            sd.col.add("overlap", key, "venue", via, place, s, e)


def small_evidence(session: Session, seeds: dict[str, Seed]) -> pa.Table:
    """The venue and household evidence collected per case (hundreds of persons), with each scan key resolved
    to its person (people.service): source keys of one person are one risk person."""
    cats = [c for c in CATEGORIES if c != "companion"]
    ids = {who[2:] for sd in seeds.values() for c in cats for who in sd.col.members(c) if who.startswith("p:")}
    persons = people_service.persons_by_ids(session, ids, light=True)
    rows = []
    for k, sd in seeds.items():
        for category in cats:
            r = rank(category)
            for who, evs in sd.col.members(category).items():
                p = persons.get(who[2:]) if who.startswith("p:") else None
                head = (k, "p:" + p.person_id, r, p.id, p.person_id, p.phone, p.household_id) if p else \
                    (k, who, r, None, None, who[2:], None)
                rows.extend(head + (kind, via, place, s, e) for s, e, kind, via, place in evs)
    return assemble.evidence_table(rows)


def new_seed(case: Case, edition: Edition, tz: ZoneInfo, now: datetime, days_before: int | None) -> Seed:
    """A declared case ready to be traced: its look-back window (DOMAIN.md §4) and an empty collector."""
    if case.status not in DECLARED:
        raise Conflict(f"case {case.case_no} is {case.status}; only a declared case is traced")
    end = case.isolated_at or case.declared_at or now
    try:
        window = lookback_window(edition, sampled_at=case.sampled_at, isolated_at=end, onset_date=case.onset_date,
                                 last_negative_at=case.last_negative_at, days_before=days_before, tz=tz)
    except ValueError as exc:
        raise InvalidInput(f"case {case.case_no}: {exc}") from None
    ws, we = epoch(window.start), epoch(window.end)
    return Seed(case=case, person=case.person, window=window, ws=ws, we=we, until=max(epoch(now), we),
                col=Collector())
