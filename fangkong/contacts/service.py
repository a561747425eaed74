"""Tracing a case: find close and secondary contacts, companions and overlaps, store them as risk persons."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts import assemble
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import audit
from fangkong.db.bulk import insert_arrow
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.lake.queries import ANCHOR_SCHEMA, Lake
from fangkong.people import service as people_service
from fangkong.people.models import Person, Venue
from fangkong.people.phones import PersonRef
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
    person: Person | PersonRef | None
    phone: str | None
    category: str
    evidence: list[dict] = field(default_factory=list)

    @property
    def person_id(self) -> str | None:
        return self.person.person_id if self.person else None


@dataclass
class TraceResult:
    """A case's trace: `rows` are its risk persons as assembled (contacts.assemble.risk_rows), sorted by
    category and who; `found` makes them Found objects when first asked for (tens of thousands at city
    scale: what reads only counts or record ids never builds them). Readable after its transaction has ended
    (Arrow columns and the case's number, no record loaded)."""

    case: Case
    edition: str
    window: Window
    rows: pa.Table
    tz: ZoneInfo
    _found: list[Found] | None = field(default=None, repr=False)
    case_no: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.case_no = self.case.case_no

    @property
    def found(self) -> list[Found]:
        if self._found is None:
            self._found = self._build_found()
        return self._found

    def _build_found(self) -> list[Found]:
        cols = [self.rows.column(c).to_pylist() for c in
                ("who", "found_rank", "person_fk", "person_id", "phone", "household_id")]
        evidence = json.loads("[" + ",".join(self.rows.column("evidence").to_pylist()) + "]")  # one parse
        return [Found(who=who, person=PersonRef(fk, pid, phone, hh) if fk is not None else None, phone=phone,
                      category=CATEGORIES[r], evidence=ev)
                for who, r, fk, pid, phone, hh, ev in zip(*cols, evidence, strict=True)]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CATEGORIES, 0)
        for r in pc.value_counts(self.rows.column("found_rank")).to_pylist():
            out[CATEGORIES[r["values"]]] = r["counts"]
        return out

    def person_fks(self) -> list[int]:
        """The record ids of the persons found (not the phones with no registered holder)."""
        return [fk for fk in self.rows.column("person_fk").to_pylist() if fk is not None]

    def window_json(self) -> dict[str, str]:
        return {"start": _iso(self.window.start, self.tz), "end": _iso(self.window.end, self.tz)}

    def as_json(self) -> dict:
        """The FORMATS.md shape of `fangkong trace --format json`. Its risk persons are built for this call and
        not kept (a bad day's cases are printed one after another: millions of them at city scale)."""
        found = self._found if self._found is not None else self._build_found()
        return {
            "case_id": self.case_no,
            "edition": self.edition,
            "window": self.window_json(),
            "risk_persons": [
                {"person_id": f.person_id, "phone": None if f.person else f.phone, "category": f.category,
                 "evidence": f.evidence}
                for f in found
            ],
        }


def _iso(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).isoformat()


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _from_epoch(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


def _tuples(t: pa.Table, *columns: str) -> list[tuple]:
    """Rows of an Arrow table as tuples of the given columns (cheaper than to_pylist's dicts)."""
    return list(zip(*(t.column(c).to_pylist() for c in columns), strict=True))


class _Collector:
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


_DWELLS: dict[tuple, pa.Table] = {}


def _dwell_table(session: Session, edition: Edition, cache: Path | None = None) -> pa.Table:
    """(venue_id, default dwell in seconds) of every venue, kept per process while the venues stay the same: a
    city has ~100 000 venues, and loading them cost more than the rest of a trace. A venue's kind is never
    changed (an import reports a conflicting row and keeps the stored one) and venues are only added, so the
    count, the lowest and highest ids and their venue_ids, and the count per kind tell whether the venues
    changed (they differ after a store is emptied and refilled, as tests do). With `cache` (a folder of the
    lake) the table is also kept on disk, so a new process does not load the venues again (0.4 s at 1 M)."""
    count, lo, hi = session.execute(select(func.count(Venue.id), func.min(Venue.id), func.max(Venue.id))).one()
    ends = tuple(session.scalars(select(Venue.venue_id).where(Venue.id.in_([lo, hi])).order_by(Venue.id))) \
        if count else ()
    key = (str(session.get_bind().url), tuple(sorted(edition.dwell_min.items())), count, lo, hi, ends)
    table = _DWELLS.get(key)
    if table is not None:
        return table
    path = None
    if cache is not None:  # on disk, the count per kind too (a store refilled differently between processes)
        kinds_count = tuple(tuple(r) for r in session.execute(
            select(Venue.kind, func.count(Venue.id)).group_by(Venue.kind).order_by(Venue.kind)))
        path = cache / f"dwell-{hashlib.sha256(repr((key, kinds_count)).encode()).hexdigest()[:24]}.arrow"
    if path is not None and path.is_file():
        try:
            table = feather.read_table(path)
        except (OSError, pa.ArrowException):  # a torn or foreign file: load from the records
            table = None
    if table is None:
        ids, kinds = [], []
        for venue_id, kind in session.execute(select(Venue.venue_id, Venue.kind)):
            ids.append(venue_id)
            kinds.append(kind)
        minutes = {k: edition.dwell_for(k) * 60 for k in set(kinds)}
        table = pa.table({"venue_id": pa.array(ids, pa.string()),
                          "dwell_s": pa.array([minutes[k] for k in kinds], pa.int64())})
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob("dwell-*.arrow"):
                    old.unlink(missing_ok=True)
                tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
                feather.write_feather(table, tmp)
                os.replace(tmp, path)
            except OSError:  # a read-only lake: kept in this process only
                pass
    _DWELLS.clear()
    _DWELLS[key] = table
    return table


def _cache_dir(lake: Lake) -> Path | None:
    """Derived tables kept beside the lake's data (never read as lake rows: not a table folder)."""
    root = getattr(lake, "root", None)
    return Path(root) / "_cache" if root is not None else None


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
    for k, pid, via, place, s, e in _tuples(lake.co_presence(anchors, dwell, min_s), "key", "person_id", "via",
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
class _Contacts:
    """The close contacts of every case, read from the records, and the lake query of their venues (a Future:
    it runs on the trace worker while this thread names the phones met)."""

    firsts: dict[str, dict[str, int]]
    persons: dict[str, Person | PersonRef]
    venues: Future


def _secondary_query(session, lake, seeds: dict[str, _Seed], dwell, min_s) -> _Contacts:
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
    return _Contacts(firsts, contacts, _soon(lake, _co_presence, lake, _who_table(
        [(k, key, s, seeds[k].until) for (k, key), s in sorted(who.items())]), dwell, min_s))


def _co_presence(lake, who: pa.Table, dwell, min_s) -> pa.Table:
    """Who was at a venue with `who` over their intervals (Lake.co_presence of their own visits): lake only."""
    return lake.co_presence(lake.own_intervals(who, dwell), dwell, min_s)


def _secondary(session, seeds: dict[str, _Seed], contacts: _Contacts) -> None:
    """Secondary contacts from the contacts' venue query and households: whoever is not already a close one."""
    households = people_service.household_members(session, [p.household_id for p in contacts.persons.values()],
                                                  light=True)
    for k, pid, via, place, s, e in _tuples(contacts.venues.result(), "key", "person_id", "via", "place", "s", "e"):
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


def _seed_table(seeds: dict[str, _Seed]) -> pa.Table:
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "case_fk": pa.array([sd.case.id for sd in seeds.values()], pa.int64()),
                     "case_person_fk": pa.array([sd.person.id for sd in seeds.values()], pa.int64()),
                     "case_person_id": pa.array([sd.person.person_id for sd in seeds.values()], pa.string()),
                     "case_phone": pa.array([sd.person.phone for sd in seeds.values()], pa.string())},
                    schema=assemble.SEEDS)


def _grid_meetings(lake, who: pa.Table, seed_table: pa.Table, noise_bounds: pa.Table, min_s,
                   min_cell_hours) -> pa.Table:
    """Every phone in a case's cells long enough (key, person_id = phone, via, place, s, e): one lake query for
    all the cases (`who`: each case's phone over its window); the noise filter applied when the deployment
    sets it. Lake work only, no session: it runs on the worker thread (_soon)."""
    if who.num_rows == 0:
        return lake.co_presence(ANCHOR_SCHEMA.empty_table(), pa.table({}), min_s, cells=True)
    anchors = lake.own_intervals(who, pa.table({}), cells=True)
    found = lake.co_presence(anchors, pa.table({}), min_s, cells=True)
    if min_cell_hours > 0 and found.num_rows:
        found = assemble.noise_filter(found, seed_table, _cell_hours(lake, noise_bounds, seed_table, found),
                                      min_cell_hours)
    return found


def _companions(found: pa.Table, seed_table: pa.Table, owners: pa.Table) -> pa.Table:
    """Companion evidence (assemble.EVIDENCE) of the cases in seed_table, set-based: tens of thousands of
    phones per case, each named by its holder at the time (`owners`: the candidates of every phone met)."""
    found = found.filter(pc.is_in(found.column("key"), value_set=seed_table.column("key")))
    return assemble.holders(found, seed_table, owners, rank("companion"))


#: the noise filter counts a phone's hours in a cell over the 14 days up to the end of the case's window
NOISE_DAYS = 14


def _noise_bounds(seeds: dict[str, _Seed]) -> pa.Table:
    """Per case (key, lo, hi): the NOISE_DAYS days up to the window's end, over which the noise filter counts."""
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "lo": pa.array([sd.we - NOISE_DAYS * 86_400 for sd in seeds.values()], pa.int64()),
                     "hi": pa.array([sd.we for sd in seeds.values()], pa.int64())})


def _cell_hours(lake, bounds: pa.Table, seed_table: pa.Table, found: pa.Table) -> pa.Table:
    """Per case: hours each phone met and the case's phone spent in each cell met, over the case's `bounds`
    (_noise_bounds), stays clipped to them (Chengdu's noise filter: 最近14天内累计停留); one lake query for
    every case."""
    met = found.select(["key", "person_id", "place"]).rename_columns(["key", "phone", "place"])
    own = (found.select(["key", "place"]).group_by(["key", "place"]).aggregate([])  # the case's phone, each cell met
           .join(seed_table.select(["key", "case_phone"]).filter(pc.is_valid(seed_table.column("case_phone"))),
                 "key", join_type="inner")
           .select(["key", "case_phone", "place"]).rename_columns(["key", "phone", "place"]))
    wanted = pa.concat_tables([met, own]).group_by(["key", "phone", "place"]).aggregate([])
    return lake.cell_hours(wanted, bounds)


def _windows(seeds: dict[str, _Seed]) -> pa.Table:
    return pa.table({"key": pa.array(list(seeds), pa.string()),
                     "ws": pa.array([sd.ws for sd in seeds.values()], pa.int64()),
                     "we": pa.array([sd.we for sd in seeds.values()], pa.int64())})


def _overlaps(seeds: dict[str, _Seed], same_day: pa.Table) -> None:
    """Overlap evidence from the lake's same-day rows (Lake.same_day): whoever is not already a closer contact."""
    for k, pid, via, place, s, e in _tuples(same_day, "key", "person_id", "via", "place", "s", "e"):
        sd, key = seeds[k], "p:" + pid
        if pid != sd.person.person_id and not sd.col.has(key, "close", "secondary", "companion"):
            sd.col.add("overlap", key, "venue", via, place, s, e)


def _small_evidence(session: Session, seeds: dict[str, _Seed]) -> pa.Table:
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


def _overrides(session: Session, seeds: dict[str, _Seed]) -> pa.Table:
    """Categories an epidemiologist overrode on the cases' earlier traces (kept when re-traced)."""
    rows = session.execute(select(RiskPerson.case_fk, RiskPerson.who, RiskPerson.category, RiskPerson.override_reason)
                           .where(RiskPerson.case_fk.in_([sd.case.id for sd in seeds.values()]),
                                  RiskPerson.override_reason.is_not(None))).all()
    return pa.table({"case_fk": pa.array([r[0] for r in rows], pa.int64()),
                     "who": pa.array([r[1] for r in rows], pa.string()),
                     "category_rank": pa.array([rank(r[2]) for r in rows], pa.int8()),
                     "reason": pa.array([r[3] for r in rows], pa.string())})


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
                 col=_Collector())


_WORKER: list[ThreadPoolExecutor] = []
_WORKER_LOCK = threading.Lock()
_INHERITED_WORKERS: list[ThreadPoolExecutor] = []


def _after_fork_in_child() -> None:
    """A forked child has no worker thread: the inherited executor would queue work nobody runs."""
    global _WORKER_LOCK
    _INHERITED_WORKERS.extend(_WORKER)
    _WORKER.clear()
    _WORKER_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _soon(lake: Lake, fn, *args) -> Future:
    """`fn(*args)` (lake queries or assembly: no session, no ORM object) on the trace worker thread, so that its
    DuckDB work overlaps this thread's record look-ups, venue queries and writes; the result is taken with .result(),
    which raises what fn raised. One worker, kept: its DuckDB connection keeps the Parquet footers cached
    between traces. Other engines run fn here and now (a Spark job is parallel by itself)."""
    if lake.engine != "duckdb":
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - raised again by .result(), as from the worker
            done.set_exception(exc)
        return done
    with _WORKER_LOCK:
        if not _WORKER:
            _WORKER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangkong-trace"))
    return _WORKER[0].submit(fn, *args)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a trace runs: a city-scale trace makes hundreds of thousands of
    short-lived tuples (rows fetched, evidence pieces), and each collection they trigger walks the whole heap
    (15-20 % of a warm trace at 1 M persons). Reference counting still frees them; cycles wait until the end."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@_gc_paused()
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
    dwell = _dwell_table(session, edition, _cache_dir(lake))
    # the grid branch needs no session: its lake queries run on the worker while this thread does the venues
    phones = _who_table([(k, sd.person.phone, sd.ws, sd.we) for k, sd in seeds.items() if sd.person.phone])
    meetings = _soon(lake, _grid_meetings, lake, phones, _seed_table(seeds), _noise_bounds(seeds),
                     edition.grid_overlap_min * 60, companion_min_cell_hours)
    anchors = _close(session, lake, seeds, dwell, edition.venue_overlap_min * 60)
    # the close contacts' venue query goes to the worker too, after the grid: this thread meanwhile names the
    # phones met (SQLite or PostgreSQL), the trace's other long step, instead of waiting for DuckDB
    contacts = _secondary_query(session, lake, seeds, dwell, edition.venue_overlap_min * 60) \
        if edition.identify_secondary else None
    meetings = meetings.result()
    # every phone met by any case named in one look-up: a bad day's cases share most of their phones (100 cases
    # at 1 M persons: 5.4 M meetings, a look-up per batch of cases cost 20.2 s, one for all 5.7 s)
    owners = people_service.owner_candidates(session, pc.unique(meetings.column("person_id")).to_pylist())
    keys = list(seeds)
    batches = [{k: seeds[k] for k in keys[i:i + _ASSEMBLE_CASES]}  # a bad day's millions of rows: memory
               for i in range(0, len(keys), _ASSEMBLE_CASES)]      # bounded per batch
    companions = _soon(lake, _companions, meetings, _seed_table(batches[0]), owners)
    same_day = lake.same_day(anchors, _windows(seeds), dwell)
    if contacts is not None:
        _secondary(session, seeds, contacts)
    _overlaps(seeds, same_day)
    results: list[TraceResult] = []
    # a batch is assembled on the worker (DuckDB and Arrow, no session) while this thread stores the one before
    # (SQLite's executemany, PostgreSQL's COPY): 100 cases at 1 M persons spent 26 s assembling, 43 s storing;
    # a batch of many rows is assembled in parts, so that its own first part is stored while the next is assembled
    n_parts = min(_PARTS_MAX, 1 + meetings.num_rows // _PART_ROWS)
    pending = _assembly(session, lake, batches[0], companions, n_parts, tz)
    for n, batch in enumerate(batches):
        parts = pending
        session.execute(delete(RiskPerson).where(RiskPerson.case_fk.in_([sd.case.id for sd in batch.values()])))
        done = [parts[0].result()]
        if n + 1 < len(batches):
            companions = _soon(lake, _companions, meetings, _seed_table(batches[n + 1]), owners)
            pending = _assembly(session, lake, batches[n + 1], companions, n_parts, tz)
        _store(session, done[0], now)
        for part in parts[1:]:
            done.append(part.result())
            _store(session, done[-1], now)
        rows = pa.concat_tables(done)
        for k, sd in batch.items():
            case = sd.case
            case.traced_at, case.window_start, case.window_end, case.edition = now, sd.window.start, \
                sd.window.end, edition.name
            result = TraceResult(case=case, edition=edition.name, window=sd.window, rows=_rows_of(rows, k), tz=tz)
            audit(session, actor, "case.trace", "case", case.case_no, after=result.counts())
            results.append(result)
    return results


def _assembly(session: Session, lake: Lake, batch: dict[str, _Seed], companions: Future, n_parts: int,
              tz: ZoneInfo) -> list[Future]:
    """A batch's risk rows in n_parts parts (each a Future on the worker), from its small evidence (read here,
    on the session's thread) and its companions (submitted to the worker before: done when these start)."""
    small, seed_table, overrides = _small_evidence(session, batch), _seed_table(batch), _overrides(session, batch)
    evidence = _soon(lake, _by_person, small, companions, n_parts)
    return [_soon(lake, _assembled, evidence, i, seed_table, overrides, tz) for i in range(n_parts)]


def _by_person(small: pa.Table, companions: Future, n_parts: int) -> list[pa.Table]:
    return assemble.by_person([small, companions.result()], n_parts)


def _assembled(evidence: Future, i: int, seed_table: pa.Table, overrides: pa.Table, tz: ZoneInfo) -> pa.Table:
    """Part i of a batch's risk rows (assemble.risk_rows): Arrow and DuckDB only, so it may run on the worker."""
    return assemble.risk_rows([evidence.result()[i]], seed_table, overrides, tz)


#: cases assembled and stored together (a case in a dense city has ~50 000 risk-person rows)
_ASSEMBLE_CASES = 5
#: a batch's assembly is cut into parts of about this many phone meetings, at most _PARTS_MAX (one case at 1 M
#: persons: 89 672 meetings, 29 503 risk persons)
_PART_ROWS = 25_000
_PARTS_MAX = 4


def _rows_of(rows: pa.Table, key: str) -> pa.Table:
    """The rows of one trace key, sorted by found rank and who (each part of a batch is sorted so)."""
    mine = rows.filter(pc.equal(rows.column("key"), key))
    return mine.take(pc.sort_indices(mine, [("found_rank", "ascending"), ("who", "ascending")]))


def trace(session: Session, case: Case, **kwargs) -> TraceResult:
    """Trace one declared case (see trace_many)."""
    return trace_many(session, [case], **kwargs)[0]


_STORED = ("case_fk", "who", "person_fk", "phone", "category", "found_category", "override_reason", "evidence",
           "first_exposure_at", "last_exposure_at", "found_at", "placed_deadline_at")


def _store(session: Session, rows: pa.Table, now: datetime) -> None:
    """Insert risk persons (`rows`): thousands per case on a bad day, written without ORM objects (COPY on
    PostgreSQL). The cases' earlier rows were deleted first."""
    n = rows.num_rows
    names = pa.array(CATEGORIES, pa.string())
    category = pc.take(names, rows.column("rank"))
    at = pa.timestamp("s", tz="UTC")
    placed_due = deadline("contacts_placed", now)
    table = pa.table({
        "case_fk": rows.column("case_fk"), "who": rows.column("who"), "person_fk": rows.column("person_fk"),
        "phone": rows.column("phone"), "category": category,
        "found_category": pc.take(names, rows.column("found_rank")), "override_reason": rows.column("override_reason"),
        "evidence": rows.column("evidence"),
        "first_exposure_at": pc.cast(rows.column("first_s"), pa.int64()).cast(at),
        "last_exposure_at": pc.cast(rows.column("last_s"), pa.int64()).cast(at),
        "found_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        "placed_deadline_at": pc.if_else(pc.equal(category, "close"),
                                         pa.scalar(placed_due, pa.timestamp("us", tz="UTC")),
                                         pa.scalar(None, pa.timestamp("us", tz="UTC"))),
    })
    insert_arrow(session, RiskPerson.__table__, table.select(list(_STORED)))


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
    visits = lake.own_intervals(_who_table([("t", k, ws, we) for k in keys]),
                                 _dwell_table(session, edition, _cache_dir(lake)))
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
