"""Tracing a case: find close and secondary contacts, companions and overlaps, store them as risk persons."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts import assemble, dwell_cache, lanes, steps
from fangkong.contacts.models import ChainEdge, RiskPerson, RiskPersonPast
from fangkong.db.audit import audit
from fangkong.db.bulk import insert_arrow
from fangkong.db.core import utcnow
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.lake.queries import Lake
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.people.phones import PersonRef
from fangkong.protocol.classify import rank
from fangkong.protocol.edition import CATEGORIES, Edition
from fangkong.protocol.window import Window
from fangkong.tasks.service import deadline

__all__ = ["Found", "TraceResult", "category_counts", "risk_counts", "records_of", "cell_trajectory", "get_risk_person",
           "override_category", "retrace", "risk_persons", "trace", "trace_many", "trajectory"]


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
        if "evidence" not in self.rows.column_names:
            raise ValueError(f"case {self.case_no} was traced with keep_evidence=False: its evidence is in the records")
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
        return {"start": steps.iso(self.window.start, self.tz), "end": steps.iso(self.window.end, self.tz)}

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


def _overrides(session: Session, seeds: dict[str, steps.Seed]) -> pa.Table:
    """Categories an epidemiologist overrode on the cases' earlier traces (kept when re-traced)."""
    rows = session.execute(select(RiskPerson.case_fk, RiskPerson.who, RiskPerson.category, RiskPerson.override_reason)
                           .where(RiskPerson.case_fk.in_([sd.case.id for sd in seeds.values()]),
                                  RiskPerson.override_reason.is_not(None))).all()
    return pa.table({"case_fk": pa.array([r[0] for r in rows], pa.int64()),
                     "who": pa.array([r[1] for r in rows], pa.string()),
                     "category_rank": pa.array([rank(r[2]) for r in rows], pa.int8()),
                     "reason": pa.array([r[3] for r in rows], pa.string())})


def trace_many(session: Session, cases: list[Case], *, lake: Lake, edition: Edition, tz: ZoneInfo,
               now: datetime, companion_min_cell_hours: float = 0.0, days_before: int | None = None,
               keep_evidence: bool = True) -> list[TraceResult]:
    """Trace declared cases together, exactly per DOMAIN.md §4, and store the risk persons of each.

    One lake query per step serves every case (a bad day's cases in one pass); each case's answer is
    the same as tracing it alone. Re-tracing replaces a case's risk persons; categories an
    epidemiologist overrode stay overridden. keep_evidence False: the results keep counts and record ids but
    not the evidence, which is stored (a bad day's evidence is gigabytes at city scale).
    The lake lane (contacts.lanes) runs what needs no session meanwhile: the grid first, the longest query.
    """
    seeds = steps.seeds(cases, edition, tz, now, days_before)
    if not seeds:
        return []
    rules = steps.Rules.of(edition, dwell_cache.dwell_table(session, edition, dwell_cache.cache_dir(lake)),
                           companion_min_cell_hours)
    lake.pin()   # every query of the trace reads the same version of each table, the one it records
    with lanes.fewer_collections():
        in_cells = lanes.soon(lake, steps.met_in_cells, lake, steps.case_phones(seeds), rules)
        close = steps.close(session, lake, seeds, rules)
        contacts = steps.close_contacts(session, seeds, close, rules, _declared_cases(session, now))
        at_venues = lanes.soon(lake, steps.met_at_venues, lake, contacts.exposed, rules)
        holders = steps.holders(session, in_cells.get())  # the companions' phones, named while at_venues runs
        batches = _batches(seeds)
        # the first batch's companions named on the lake lane while this thread finds the secondary contacts
        named = lanes.soon(lake, steps.companions, in_cells, steps.seed_table(batches[0]), holders)
        secondary = steps.secondary(session, seeds, contacts, at_venues.get())
        overlaps = steps.overlaps(lake.same_day(close.visits, steps.windows(seeds), rules.dwell))
        found = steps.by_case(close.evidence, secondary, overlaps)
        return _assemble_and_store(session, lake, batches, found, in_cells.get(), holders, named,
                                   edition=edition.name, tz=tz, now=now,
                                   keep_evidence=keep_evidence)


def _batches(seeds: dict[str, steps.Seed]) -> list[dict[str, steps.Seed]]:
    """The cases in batches of _ASSEMBLE_CASES, assembled and stored together (a bad day's millions of rows:
    memory bounded per batch)."""
    keys = list(seeds)
    return [{k: seeds[k] for k in keys[i:i + _ASSEMBLE_CASES]} for i in range(0, len(keys), _ASSEMBLE_CASES)]


def _assemble_and_store(session: Session, lake: Lake, batches: list[dict[str, steps.Seed]],
                        found: dict[str, list[steps.Evidence]], met: pa.Table, holders: pa.Table,
                        first_named: lanes.Later[pa.Table], *, edition: str, tz: ZoneInfo, now: datetime,
                        keep_evidence: bool) -> list[TraceResult]:
    """Each case's risk persons (its evidence, the companions named, the highest category per person: assemble)
    stored in place of the earlier ones; a declared case met becomes a chain edge. The cases go in batches (a bad
    day's millions of rows: memory bounded per batch), each assembled on the lake lane in parts cut by person
    while this thread stores the part before (SQLite's executemany, PostgreSQL's COPY). `first_named`: the
    first batch's companions (steps.companions), handed to the lake lane once the phone holders are named."""
    cases_met = _declared_cases(session, now)
    lake_versions = lake.used()
    n_parts = min(_PARTS_MAX, 1 + met.num_rows // _PART_ROWS)
    results: list[TraceResult] = []

    def start(b: dict[str, steps.Seed]) -> list[lanes.Later[pa.Table]]:
        named = first_named if b is batches[0] else None
        return _assembly(session, lake, b, found, met, holders, n_parts, tz, named)

    for batch, parts in lanes.ahead(batches, start):
        ids = [sd.case.id for sd in batch.values()]
        earlier = _earlier(session, ids)
        first_found = _first_found(earlier)
        session.execute(delete(RiskPerson).where(RiskPerson.case_fk.in_(ids)))
        session.execute(delete(ChainEdge).where(ChainEdge.case_fk.in_(ids)))
        stored = [_store(session, _not_cases(session, rows, cases_met, now), now, first_found) for rows in parts]
        rows = pa.concat_tables(stored if keep_evidence else [r.drop_columns(["evidence"]) for r in stored])
        _keep_past(session, earlier, rows, now)
        for k, sd in batch.items():
            case = sd.case
            case.traced_at, case.window_start, case.window_end, case.edition = now, sd.window.start, \
                sd.window.end, edition
            case.lake_versions = lake_versions
            result = TraceResult(case=case, edition=edition, window=sd.window, rows=_rows_of(rows, k), tz=tz)
            # each trace's lake versions stay in the audit log (the case keeps its last trace's)
            audit(session, acting(session), "case.trace", "case", case.case_no,
                  after={**result.counts(), "lake_versions": lake_versions})
            results.append(result)
    return results


def _assembly(session: Session, lake: Lake, batch: dict[str, steps.Seed], found: dict[str, list[steps.Evidence]],
              met: pa.Table, holders: pa.Table, n_parts: int, tz: ZoneInfo,
              named: lanes.Later[pa.Table] | None = None) -> list[lanes.Later[pa.Table]]:
    """A batch's risk rows in n_parts parts cut by person, on the lake lane: its companions named (`named`,
    when already handed over), its venue and household evidence (resolved here, with the session) beside them,
    each part assembled."""
    cases = steps.seed_table(batch)
    companions = named if named is not None else lanes.soon(lake, steps.companions, met, cases, holders)
    small = steps.small_evidence(session, [ev for k in batch for ev in found.get(k, ())])
    overrides = _overrides(session, batch)
    evidence = lanes.soon(lake, _by_person, small, companions, n_parts)
    return [lanes.soon(lake, _part, evidence, i, cases, overrides, tz) for i in range(n_parts)]


def _by_person(small: pa.Table, companions: pa.Table, n_parts: int) -> list[pa.Table]:
    return assemble.by_person([small, companions], n_parts)


def _part(evidence: list[pa.Table], i: int, cases: pa.Table, overrides: pa.Table, tz: ZoneInfo) -> pa.Table:
    return assemble.risk_rows([evidence[i]], cases, overrides, tz)


#: cases assembled and stored together (a case in a dense city has ~50 000 risk-person rows)
_ASSEMBLE_CASES = 5
#: a batch's assembly is cut into parts of about this many phone meetings, at most _PARTS_MAX
_PART_ROWS = 25_000
_PARTS_MAX = 4


def _declared_cases(session: Session, now: datetime) -> dict[int, int]:
    """person record id → case id of every case declared (and not ruled out) by `now`: a few hundred at most."""
    return dict(session.execute(select(Case.person_fk, Case.id).where(Case.status.in_(DECLARED),
                                                                      Case.declared_at <= now)).all())


def _not_cases(session: Session, rows: pa.Table, cases: dict[int, int], now: datetime) -> pa.Table:
    """The rows that are not declared cases; a case met is stored as a chain edge (a likely source of one of
    the two), never as a risk person: it gets no measure, room, transfer or door check and no 密接 count."""
    if not cases or rows.num_rows == 0:
        return rows
    hit = pc.fill_null(pc.is_in(rows.column("person_fk"), value_set=pa.array(list(cases), pa.int64())), False)
    met = rows.filter(hit)
    for case_fk, fk, r, evidence, last_s in zip(*(met.column(c).to_pylist() for c in
                                                 ("case_fk", "person_fk", "rank", "evidence", "last_s")), strict=True):
        if cases[fk] != case_fk:
            session.add(ChainEdge(case_fk=case_fk, target_case_fk=cases[fk], person_fk=fk, category=CATEGORIES[r],
                                  evidence=json.loads(evidence), last_exposure_at=steps.from_epoch(int(last_s)),
                                  found_at=now))
    return rows.filter(pc.invert(hit))


def _rows_of(rows: pa.Table, key: str) -> pa.Table:
    """The rows of one trace key, sorted by found rank and who (each part of a batch is sorted so)."""
    mine = rows.filter(pc.equal(rows.column("key"), key))
    return mine.take(pc.sort_indices(mine, [("found_rank", "ascending"), ("who", "ascending")]))


def trace(session: Session, case: Case, **kwargs) -> TraceResult:
    """Trace one declared case (see trace_many)."""
    return trace_many(session, [case], **kwargs)[0]


def retrace(session: Session, case: Case, **kwargs) -> TraceResult:
    """Trace one declared case again and store nothing: the trace runs inside a savepoint rolled back at its end
    (its risk persons, chain edges, the case's trace fields and audit entry all undone). With a `lake` read as of
    earlier versions (Lake(versions=…)), it answers what the case's trace found from the lake as it stood then:
    why a re-trace found other people (docs/lake.md, "Time travel")."""
    nested = session.begin_nested()
    try:
        result = trace_many(session, [case], **kwargs)[0]
    finally:
        nested.rollback()
    session.refresh(case)
    return result


_STORED = ("case_fk", "who", "person_fk", "phone", "category", "found_category", "override_reason", "evidence",
           "first_exposure_at", "last_exposure_at", "found_at", "placed_deadline_at")


@dataclass(frozen=True)
class _Earlier:
    case_fk: int
    who: str
    person_fk: int | None
    category: str
    found_at: datetime
    #: since when this row's category held (its first finding, or the re-trace or override that gave it)
    since: datetime


def _earlier(session: Session, case_ids: list[int]) -> list[_Earlier]:
    """The rows an earlier trace of these cases stored (none for a first trace, the bad day's usual path)."""
    rows = session.execute(select(RiskPerson.case_fk, RiskPerson.who, RiskPerson.person_fk, RiskPerson.category,
                                  RiskPerson.found_at).where(RiskPerson.case_fk.in_(case_ids))).all()
    if not rows:
        return []
    last = dict(((c, w), u) for c, w, u in session.execute(
        select(RiskPersonPast.case_fk, RiskPersonPast.who, func.max(RiskPersonPast.until_at))
        .where(RiskPersonPast.case_fk.in_(case_ids)).group_by(RiskPersonPast.case_fk, RiskPersonPast.who)))
    return [_Earlier(c, w, p, cat, f, max(f, last.get((c, w), f))) for c, w, p, cat, f in rows]


def _keep_past(session: Session, earlier: list[_Earlier], rows: pa.Table, now: datetime) -> None:
    """A re-trace's rows in place of the earlier ones: each earlier row not found again, or found again under
    another category, is kept as a past version (valid from its `since` until now), so that an earlier day
    counted again counts what was known then."""
    if not earlier:
        return
    names = pa.array(CATEGORIES, pa.string())
    new = dict(zip(zip(rows.column("case_fk").to_pylist(), rows.column("who").to_pylist(), strict=True),
                   pc.take(names, rows.column("rank")).to_pylist(), strict=True)) if rows.num_rows else {}
    past = []
    for e in earlier:
        category = new.get((e.case_fk, e.who))
        if category == e.category:
            continue
        past.append(dict(case_fk=e.case_fk, who=e.who, person_fk=e.person_fk, category=e.category,
                         found_at=e.found_at, valid_from=e.since, until_at=max(now, e.since),
                         reason="dropped" if category is None else "recategorized"))
    if past:
        session.execute(insert(RiskPersonPast), past)


def _first_found(earlier: list[_Earlier]) -> pa.Table | None:
    """When each (case, who) of an earlier trace of these cases was found: a re-trace keeps it, so that the
    bulletin of an earlier day, counted again from the records, still counts them as found then. None when the
    cases were never traced (a first trace, the bad day's usual path)."""
    if not earlier:
        return None
    return pa.table({"key": pa.array([f"{e.case_fk}|{e.who}" for e in earlier], pa.string()),
                     "found_at": pa.array([e.found_at for e in earlier], pa.timestamp("us", tz="UTC"))})


def _found_at(rows: pa.Table, now: datetime, first_found: pa.Table | None) -> pa.Array:
    """`now`, or the instant an earlier trace of the case found the same person, if earlier."""
    now_ = pa.scalar(now, pa.timestamp("us", tz="UTC"))
    if first_found is None or rows.num_rows == 0:
        return pa.array([now] * rows.num_rows, pa.timestamp("us", tz="UTC"))
    keys = pc.binary_join_element_wise(pc.cast(rows.column("case_fk"), pa.string()), rows.column("who"), "|")
    earlier = pc.take(first_found.column("found_at"), pc.index_in(keys, value_set=first_found.column("key")))
    earlier = pc.fill_null(earlier, now_)
    return pc.if_else(pc.less(earlier, now_), earlier, now_)


def _store(session: Session, rows: pa.Table, now: datetime, first_found: pa.Table | None = None) -> pa.Table:
    """Insert risk persons (`rows`, returned): thousands per case on a bad day, written without ORM objects (COPY
    on PostgreSQL). The cases' earlier rows were deleted first (`first_found`: when they had been found)."""
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
        "found_at": _found_at(rows, now, first_found),
        "placed_deadline_at": pc.if_else(pc.equal(category, "close"),
                                         pa.scalar(placed_due, pa.timestamp("us", tz="UTC")),
                                         pa.scalar(None, pa.timestamp("us", tz="UTC"))),
    })
    insert_arrow(session, RiskPerson.__table__, table.select(list(_STORED)))
    return rows


def risk_persons(session: Session, *, case: Case | None = None, category: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[RiskPerson]:
    q = select(RiskPerson).order_by(RiskPerson.id).limit(limit).offset(offset)
    if case is not None:
        q = q.where(RiskPerson.case_fk == case.id)
    if category:
        q = q.where(RiskPerson.category == category)
    return list(session.scalars(q))


def records_of(session: Session, person_fks: list[int]) -> dict[int, list[tuple[str, str]]]:
    """person → its risk-person records [(case number, category)], for the search's answer."""
    if not person_fks:
        return {}
    out: dict[int, list[tuple[str, str]]] = {}
    q = (select(RiskPerson.person_fk, Case.case_no, RiskPerson.category).join(Case, Case.id == RiskPerson.case_fk)
         .where(RiskPerson.person_fk.in_(person_fks)).order_by(Case.id))
    for pfk, case_no, cat in session.execute(q):
        out.setdefault(pfk, []).append((case_no, cat))
    return out


def risk_counts(session: Session, case_fks: list[int]) -> dict[int, int]:
    """Risk persons (per-case records) per case, for the case list (one aggregate query)."""
    if not case_fks:
        return {}
    q = select(RiskPerson.case_fk, func.count()).where(RiskPerson.case_fk.in_(case_fks)).group_by(RiskPerson.case_fk)
    return dict(session.execute(q).all())


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
                      version: int | None = None) -> RiskPerson:
    """An epidemiologist's decision replaces the computed category; audited with the reason, by the session's
    actor. With the `version` the caller read, a record changed since is refused (Conflict with its current
    state)."""
    if category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", key="err_bad_category")
    if not reason.strip():
        raise InvalidInput("an override needs a reason", key="err_reason_needed")
    if version is not None and version != risk.version:
        raise Conflict(f"risk person {risk.id} was changed by someone else (version {risk.version}, you sent "
                       f"{version}); reload and try again",
                       details=[{"id": risk.id, "version": risk.version, "category": risk.category,
                                 "override_reason": risk.override_reason}], key="err_stale")
    before = {"category": risk.category}
    if category != risk.category:  # the earlier category stays what an earlier day counted
        now = utcnow()
        last = session.scalar(select(func.max(RiskPersonPast.until_at)).where(
            RiskPersonPast.case_fk == risk.case_fk, RiskPersonPast.who == risk.who))
        since = max(risk.found_at, last or risk.found_at)
        session.add(RiskPersonPast(case_fk=risk.case_fk, who=risk.who, person_fk=risk.person_fk,
                                   category=risk.category, found_at=risk.found_at, valid_from=since,
                                   until_at=max(now, since), reason="override"))
    risk.category, risk.override_reason = category, reason.strip()
    audit(session, acting(session), "risk_person.override", "risk_person", risk.id, before=before,
          after={"category": category, "reason": reason})
    return risk


def get_risk_person(session: Session, risk_id: int) -> RiskPerson:
    risk = session.get(RiskPerson, risk_id)
    if risk is None:
        raise NotFound(f"unknown risk person {risk_id}", key="err_unknown_risk_person", params={"id": risk_id})
    return risk


def trajectory(session: Session, case: Case, *, lake: Lake, edition: Edition, tz: ZoneInfo) -> list[dict]:
    """The case's venue visits inside its window, from the lake, with venue names and places (for the case page)."""
    if case.window_start is None or case.window_end is None:
        return []
    ws, we = steps.epoch(case.window_start), steps.epoch(case.window_end)
    keys = people_service.source_keys(session, [case.person])[case.person.id]
    visits = lake.own_intervals(steps.who_table([("t", k, ws, we) for k in keys]),
                                dwell_cache.dwell_table(session, edition, dwell_cache.cache_dir(lake)))
    venues = people_service.venues_by_ids(session, set(visits.column("place").to_pylist()))
    out = []
    for r in visits.to_pylist():
        v = venues.get(r["place"])
        out.append({"venue_id": r["place"], "name": v.name if v else r["place"], "kind": v.kind if v else None,
                    "lat": v.lat if v else None, "lon": v.lon if v else None,
                    "start": steps.from_epoch(r["s"]).astimezone(tz), "end": steps.from_epoch(r["e"]).astimezone(tz)})
    return sorted(out, key=lambda x: x["start"])


def cell_trajectory(case: Case, *, lake: Lake, tz: ZoneInfo) -> list[dict]:
    """The case's phone in carrier cells inside its window (for concealment checks)."""
    if case.window_start is None or case.window_end is None or not case.person.phone:
        return []
    cells = lake.own_intervals(steps.who_table([("t", case.person.phone, steps.epoch(case.window_start),
                                                 steps.epoch(case.window_end))]), pa.table({}), cells=True)
    return [{"grid_id": r["place"], "start": steps.from_epoch(r["s"]).astimezone(tz),
             "end": steps.from_epoch(r["e"]).astimezone(tz)} for r in cells.to_pylist()]
