"""Tracing a case: find close and secondary contacts, companions and overlaps, store them as risk persons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import audit
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.lake.queries import Lake
from fangkong.people import service as people_service
from fangkong.people.models import Person, Venue
from fangkong.protocol.classify import rank
from fangkong.tasks.service import deadline
from fangkong.protocol.edition import CATEGORIES, Edition
from fangkong.protocol.window import Window, lookback_window

__all__ = ["TraceResult", "Found", "trace", "trace_many", "risk_persons", "override_category", "category_counts", "trajectory",
           "get_risk_person", "count_risk_persons"]


@dataclass
class Found:
    """One risk person found by a trace: the key, the highest category, every piece of evidence."""

    who: str
    person: Person | None
    phone: str | None
    category: str
    evidence: list[dict] = field(default_factory=list)

    @property
    def person_id(self) -> str | None:
        return self.person.person_id if self.person else None


@dataclass
class TraceResult:
    case: Case
    edition: str
    window: Window
    found: list[Found]
    tz: ZoneInfo

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CATEGORIES, 0)
        for f in self.found:
            out[f.category] += 1
        return out

    def as_json(self) -> dict:
        """The FORMATS.md shape of `fangkong trace --format json`."""
        return {
            "case_id": self.case.case_no,
            "edition": self.edition,
            "window": {"start": _iso(self.window.start, self.tz), "end": _iso(self.window.end, self.tz)},
            "risk_persons": [
                {"person_id": f.person_id, "phone": None if f.person else f.phone, "category": f.category,
                 "evidence": f.evidence}
                for f in self.found
            ],
        }


def _iso(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).isoformat()


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _from_epoch(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


class _Collector:
    """Evidence per person and category; a person keeps the highest category found."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.by_cat: dict[str, dict[str, list[dict]]] = {c: defaultdict(list) for c in CATEGORIES}
        self.seen: set[tuple] = set()

    def add(self, category: str, who: str, kind: str, via: str, place: str, s: int, e: int) -> None:
        """Evidence is a set: the same (kind, via, place, interval) found twice is kept once."""
        key = (category, who, kind, via, place, s, e)
        if key in self.seen:
            return
        self.seen.add(key)
        self.by_cat[category][who].append({"kind": kind, "via": via, "place": place,
                                           "start": _iso(_from_epoch(s), self.tz),
                                           "end": _iso(_from_epoch(e), self.tz), "_s": s, "_e": e})

    def has(self, who: str, *categories: str) -> bool:
        return any(who in self.by_cat[c] for c in categories)

    def members(self, category: str) -> dict[str, list[dict]]:
        return self.by_cat[category]


_DWELLS: dict[tuple, pa.Table] = {}


def _dwell_table(session: Session, edition: Edition) -> pa.Table:
    """(venue_id, default dwell in seconds) of every venue, kept per process while the venues stay the same: a
    city has ~100 000 venues, and loading them cost more than the rest of a trace. A venue's kind is never
    changed (an import reports a conflicting row and keeps the stored one) and venues are only added, so the
    count, the lowest and highest ids and their venue_ids tell whether the venues changed (they differ after a
    store is emptied and refilled, as tests do)."""
    count, lo, hi = session.execute(select(func.count(Venue.id), func.min(Venue.id), func.max(Venue.id))).one()
    ends = tuple(session.scalars(select(Venue.venue_id).where(Venue.id.in_([lo, hi])).order_by(Venue.id))) \
        if count else ()
    key = (str(session.get_bind().url), tuple(sorted(edition.dwell_min.items())), count, lo, hi, ends)
    table = _DWELLS.get(key)
    if table is None:
        ids, kinds = [], []
        for venue_id, kind in session.execute(select(Venue.venue_id, Venue.kind)):
            ids.append(venue_id)
            kinds.append(kind)
        minutes = {k: edition.dwell_for(k) * 60 for k in set(kinds)}
        table = pa.table({"venue_id": pa.array(ids, pa.string()),
                          "dwell_s": pa.array([minutes[k] for k in kinds], pa.int64())})
        _DWELLS.clear()
        _DWELLS[key] = table
    return table


def _who_table(rows: list[tuple[str, str, int, int]]) -> pa.Table:
    """(key, via, s, e): which trace, whose presence, over which interval."""
    return pa.table({"key": pa.array([r[0] for r in rows], pa.string()),
                     "via": pa.array([r[1] for r in rows], pa.string()),
                     "s": pa.array([r[2] for r in rows], pa.int64()),
                     "e": pa.array([r[3] for r in rows], pa.int64())})


@dataclass
class _Seed:
    """One case being traced: its person, window and the evidence collected so far."""

    case: Case
    person: Person
    window: Window
    ws: int
    we: int
    until: int
    col: _Collector


def _close(session, lake, seeds: dict[str, _Seed], dwell, min_s) -> pa.Table:
    # a case known under several source keys has scans under each (people.service resolves them to one person)
    keys = people_service.source_keys(session, [sd.person for sd in seeds.values()])
    anchors = lake.own_intervals(_who_table([(k, key, sd.ws, sd.we) for k, sd in seeds.items()
                                             for key in keys[sd.person.id]]), dwell)
    for r in lake.co_presence(anchors, dwell, min_s).to_pylist():
        seeds[r["key"]].col.add("close", "p:" + r["person_id"], "venue", r["via"], r["place"], r["s"], r["e"])
    households = people_service.household_members(session, [sd.person.household_id for sd in seeds.values()])
    for sd in seeds.values():
        for p in households.get(sd.person.household_id, []) if sd.person.household_id else []:
            if p.id != sd.person.id:
                sd.col.add("close", "p:" + p.person_id, "household", sd.person.person_id, p.household_id, sd.ws, sd.we)
    return anchors


def _secondary(session, lake, seeds: dict[str, _Seed], dwell, min_s) -> None:
    """One query for the close contacts of every case: the venue query re-run for each contact at once."""
    firsts = {k: {who[2:]: min(ev["_s"] for ev in evs) for who, evs in sd.col.members("close").items()}
              for k, sd in seeds.items()}
    contacts = people_service.persons_by_ids(session, {pid for first in firsts.values() for pid in first})
    keys = people_service.source_keys(session, contacts.values())  # a contact's scans under each of their keys
    who: dict[tuple[str, str], int] = {}
    for k, first in firsts.items():
        for pid, s in first.items():
            for key in keys[contacts[pid].id] if pid in contacts else [pid]:
                who[(k, key)] = min(s, who.get((k, key), s))
    anchors = lake.own_intervals(_who_table([(k, key, s, seeds[k].until) for (k, key), s in sorted(who.items())]),
                                 dwell)
    for r in lake.co_presence(anchors, dwell, min_s).to_pylist():
        sd, key = seeds[r["key"]], "p:" + r["person_id"]
        if r["person_id"] != sd.person.person_id and not sd.col.has(key, "close"):
            sd.col.add("secondary", key, "venue", r["via"], r["place"], r["s"], r["e"])
    households = people_service.household_members(session, [p.household_id for p in contacts.values()])
    for k, first in firsts.items():
        sd = seeds[k]
        for pid in sorted(first):
            contact = contacts.get(pid)
            for p in households.get(contact.household_id, []) if contact and contact.household_id else []:
                key = "p:" + p.person_id
                if p.id != sd.person.id and p.person_id != pid and not sd.col.has(key, "close"):
                    sd.col.add("secondary", key, "household", pid, p.household_id, first[pid], sd.until)


def _companions(session, lake, seeds: dict[str, _Seed], min_s, min_cell_hours) -> None:
    who = [(k, sd.person.phone, sd.ws, sd.we) for k, sd in seeds.items() if sd.person.phone]
    if not who:
        return
    anchors = lake.own_intervals(_who_table(who), pa.table({}), cells=True)
    rows = [r for r in lake.co_presence(anchors, pa.table({}), min_s, cells=True).to_pylist()
            if r["person_id"] != seeds[r["key"]].person.phone]
    if min_cell_hours > 0 and rows:
        rows = [r for k, sd in seeds.items() for r in
                _noise_filter(lake, [r for r in rows if r["key"] == k], sd.person.phone, sd.ws, min_cell_hours)]
    owners = people_service.phone_owners(session, {r["person_id"] for r in rows})
    for r in rows:
        sd, owner = seeds[r["key"]], owners.at(r["person_id"], r["s"])  # the phone's holder at that time
        key = "p:" + owner.person_id if owner else "t:" + r["person_id"]
        if owner is not None and (owner.id == sd.person.id or sd.col.has(key, "close", "secondary")):
            continue
        sd.col.add("companion", key, "grid", sd.person.person_id, r["place"], r["s"], r["e"])


def _noise_filter(lake, rows, case_phone, ws, min_hours) -> list[dict]:
    """Chengdu's filter: keep a cell only if either phone spent ≥ min_hours there over 14 days."""
    if not rows:
        return []
    first = (_from_epoch(ws) - timedelta(days=14)).date()
    last = (_from_epoch(max(r["e"] for r in rows))).date()
    phones = sorted({r["person_id"] for r in rows} | {case_phone})
    hours = {(h["person_id"], h["place"]): h["hours"] for h in
             lake.cell_hours(phones, sorted({r["place"] for r in rows}), first, last).to_pylist()}
    return [r for r in rows if max(hours.get((r["person_id"], r["place"]), 0),
                                   hours.get((case_phone, r["place"]), 0)) >= min_hours]


def _overlaps(lake, seeds: dict[str, _Seed], anchors, dwell) -> None:
    windows = pa.table({"key": pa.array(list(seeds), pa.string()),
                        "ws": pa.array([sd.ws for sd in seeds.values()], pa.int64()),
                        "we": pa.array([sd.we for sd in seeds.values()], pa.int64())})
    for r in lake.same_day(anchors, windows, dwell).to_pylist():
        sd, key = seeds[r["key"]], "p:" + r["person_id"]
        if r["person_id"] != sd.person.person_id and not sd.col.has(key, "close", "secondary", "companion"):
            sd.col.add("overlap", key, "venue", r["via"], r["place"], r["s"], r["e"])


def _found(session: Session, col: _Collector, case_person: Person | None = None) -> list[Found]:
    """One Found per person: source keys of one person (people.service) are one risk person, highest category."""
    ids = {who[2:] for c in CATEGORIES for who in col.members(c) if who.startswith("p:")}
    persons = people_service.persons_by_ids(session, ids)
    out: dict[str, Found] = {}
    for category in CATEGORIES:
        for who, evs in col.members(category).items():
            person = persons.get(who[2:]) if who.startswith("p:") else None
            if person is not None and case_person is not None and person.id == case_person.id:
                continue  # the case itself, found under another of its keys
            key = "p:" + person.person_id if person else who
            if key in out:
                if out[key].category == category:
                    out[key].evidence.extend(evs)
                continue
            out[key] = Found(who=key, person=person, phone=person.phone if person else who[2:], category=category,
                             evidence=list(evs))
    for f in out.values():
        f.evidence.sort(key=lambda ev: (ev["_s"], ev["_e"], ev["kind"], ev["via"], ev["place"]))
    return sorted(out.values(), key=lambda f: (rank(f.category), f.who))


def _seed(case: Case, edition: Edition, tz: ZoneInfo, now: datetime, days_before: int | None) -> _Seed:
    if case.status not in DECLARED:
        raise Conflict(f"case {case.case_no} is {case.status}; only a declared case is traced")
    end = case.isolated_at or case.declared_at or now
    try:
        window = lookback_window(edition, sampled_at=case.sampled_at, isolated_at=end, onset_date=case.onset_date,
                                 last_negative_at=case.last_negative_at, days_before=days_before, tz=tz)
    except ValueError as exc:
        raise InvalidInput(f"case {case.case_no}: {exc}") from None
    ws, we = _epoch(window.start), _epoch(window.end)
    return _Seed(case=case, person=case.person, window=window, ws=ws, we=we, until=max(_epoch(now), we),
                 col=_Collector(tz))


def trace_many(session: Session, cases: list[Case], *, lake: Lake, edition: Edition, tz: ZoneInfo,
               now: datetime, companion_min_cell_hours: float = 0.0, days_before: int | None = None,
               actor: str = "system") -> list[TraceResult]:
    """Trace declared cases together, exactly per DOMAIN.md §4, and store the risk persons of each.

    One lake query per step serves every case (a bad day's cases in one pass); each case's answer is
    the same as tracing it alone. Re-tracing replaces a case's risk persons; categories an
    epidemiologist overrode stay overridden.
    """
    seeds = {c.case_no: _seed(c, edition, tz, now, days_before) for c in cases}
    if not seeds:
        return []
    dwell = _dwell_table(session, edition)
    anchors = _close(session, lake, seeds, dwell, edition.venue_overlap_min * 60)
    if edition.identify_secondary:
        _secondary(session, lake, seeds, dwell, edition.venue_overlap_min * 60)
    _companions(session, lake, seeds, edition.grid_overlap_min * 60, companion_min_cell_hours)
    _overlaps(lake, seeds, anchors, dwell)
    results = []
    for sd in seeds.values():
        found = _found(session, sd.col, sd.person)
        _store(session, sd.case, found, now)
        case = sd.case
        case.traced_at, case.window_start, case.window_end, case.edition = now, sd.window.start, sd.window.end, \
            edition.name
        result = TraceResult(case=case, edition=edition.name, window=sd.window, found=found, tz=tz)
        audit(session, actor, "case.trace", "case", case.case_no, after=result.counts())
        results.append(result)
    return results


def trace(session: Session, case: Case, **kwargs) -> TraceResult:
    """Trace one declared case (see trace_many)."""
    return trace_many(session, [case], **kwargs)[0]


def _store(session: Session, case: Case, found: list[Found], now: datetime) -> None:
    overrides = {r.who: (r.category, r.override_reason) for r in
                 session.scalars(select(RiskPerson).where(RiskPerson.case_fk == case.id,
                                                          RiskPerson.override_reason.is_not(None)))}
    session.execute(delete(RiskPerson).where(RiskPerson.case_fk == case.id))
    placed_due = deadline("contacts_placed", now)
    rows = []
    for f in found:
        category, reason = overrides.get(f.who, (f.category, None))
        evidence = [{k: v for k, v in ev.items() if not k.startswith("_")} for ev in f.evidence]
        rows.append(dict(
            case_fk=case.id, who=f.who, person_fk=f.person.id if f.person else None, phone=f.phone,
            category=category, found_category=f.category, override_reason=reason, evidence=evidence,
            first_exposure_at=_from_epoch(min(ev["_s"] for ev in f.evidence)),
            last_exposure_at=_from_epoch(max(ev["_e"] for ev in f.evidence)), found_at=now,
            placed_deadline_at=placed_due if category == "close" else None))
        f.evidence = evidence
    if rows:  # one bulk INSERT: thousands of risk persons per case on a bad day
        session.execute(insert(RiskPerson), rows)


def risk_persons(session: Session, *, case: Case | None = None, category: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[RiskPerson]:
    q = select(RiskPerson).order_by(RiskPerson.id).limit(limit).offset(offset)
    if case is not None:
        q = q.where(RiskPerson.case_fk == case.id)
    if category:
        q = q.where(RiskPerson.category == category)
    return list(session.scalars(q))


def category_counts(session: Session, *, case: Case | None = None) -> dict[str, int]:
    """Distinct people per highest category over all cases (or one case): each person counted once."""
    q = select(RiskPerson.who, RiskPerson.category)
    if case is not None:
        q = q.where(RiskPerson.case_fk == case.id)
    best: dict[str, str] = {}
    for who, cat in session.execute(q):
        if who not in best or rank(cat) < rank(best[who]):
            best[who] = cat
    out = dict.fromkeys(CATEGORIES, 0)
    for cat in best.values():
        out[cat] += 1
    return out


def override_category(session: Session, risk: RiskPerson, category: str, *, reason: str,
                      actor: str) -> RiskPerson:
    """An epidemiologist's decision replaces the computed category; audited with the reason."""
    if category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}")
    if not reason.strip():
        raise InvalidInput("an override needs a reason")
    before = {"category": risk.category}
    risk.category, risk.override_reason = category, reason.strip()
    audit(session, actor, "risk_person.override", "risk_person", risk.id, before=before,
          after={"category": category, "reason": reason})
    return risk


def get_risk_person(session: Session, risk_id: int) -> RiskPerson:
    risk = session.get(RiskPerson, risk_id)
    if risk is None:
        raise NotFound(f"unknown risk person {risk_id}")
    return risk


def count_risk_persons(session: Session) -> int:
    return session.scalar(select(func.count(RiskPerson.id))) or 0


def trajectory(session: Session, case: Case, *, lake: Lake, edition: Edition, tz: ZoneInfo) -> list[dict]:
    """The case's venue visits inside its window, from the lake, with venue names and places (for the case page)."""
    if case.window_start is None or case.window_end is None:
        return []
    ws, we = _epoch(case.window_start), _epoch(case.window_end)
    keys = people_service.source_keys(session, [case.person])[case.person.id]
    visits = lake.own_intervals(_who_table([("t", k, ws, we) for k in keys]), _dwell_table(session, edition))
    venues = people_service.venues_by_ids(session, set(visits.column("place").to_pylist()))
    out = []
    for r in visits.to_pylist():
        v = venues.get(r["place"])
        out.append({"venue_id": r["place"], "name": v.name if v else r["place"], "kind": v.kind if v else None,
                    "lat": v.lat if v else None, "lon": v.lon if v else None,
                    "start": _from_epoch(r["s"]).astimezone(tz), "end": _from_epoch(r["e"]).astimezone(tz)})
    return sorted(out, key=lambda x: x["start"])


def cell_trajectory(case: Case, *, lake: Lake, tz: ZoneInfo) -> list[dict]:
    """The case's phone in carrier cells inside its window (for concealment checks)."""
    if case.window_start is None or case.window_end is None or not case.person.phone:
        return []
    cells = lake.own_intervals(_who_table([("t", case.person.phone, _epoch(case.window_start),
                                            _epoch(case.window_end))]), pa.table({}), cells=True)
    return [{"grid_id": r["place"], "start": _from_epoch(r["s"]).astimezone(tz),
             "end": _from_epoch(r["e"]).astimezone(tz)} for r in cells.to_pylist()]
