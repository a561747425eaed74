"""The daily bulletin (DOMAIN.md §10): every figure is an aggregate query over the records it counts."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts.models import RiskPerson, RiskPersonPast
from fangkong.db.sets import chunks
from fangkong.errors import InvalidInput
from fangkong.measures import obligations
from fangkong.measures.models import (
    HospitalAdmission,
    Measure,
    MeasureCategory,
    RoomStay,
    TestResult,
    TestTask,
)
from fangkong.measures.sites import capacity
from fangkong.protocol.edition import CATEGORIES, MEASURE_KINDS, Edition, load_edition
from fangkong.protocol.origin import INBOUND_CATEGORIES, is_imported, split
from fangkong.protocol.zones import zone_levels
from fangkong.settings import get_settings
from fangkong.testing import service as testing_service
from fangkong.zones import service as zone_service
from fangkong.zones.models import Zone, ZoneLevel, ZoneResident, ZoneStatus

__all__ = ["Bulletin", "bulletin", "CONTROL_KINDS", "in_force_at", "day_bounds", "strictest_at"]

#: a case sampled while under one of these measures was found under control, not in the community (社会面);
#: health monitoring (健康监测, 三天两检) leaves the person free to go about, so it is not control
CONTROL_KINDS = ("centralized_isolation", "home_isolation", "home_monitoring", "temporary_control")
#: 社会面清零 when no case was found in the community for this many days (seed 001, 山南: 3 days)
COMMUNITY_ZERO_DAYS = 3
#: ends after which a measure's scheduled tests still count for its person (the others were superseded)
_KEEPS_TESTS = ("released", "zone_lifted", "retest_negative", "became_case")


@dataclass
class Bulletin:
    day: date
    new_confirmed: int
    new_asymptomatic: int
    new_community: int
    new_under_control: int
    total_cases: int
    traced_total: int
    traced_by_category: dict[str, int]
    new_traced: int
    tests_negative: int
    tests_positive: int
    tests_pending: int
    isolation_in_site: int
    isolation_at_home: int
    monitoring: int
    hospital_cases: int
    days_since_community_case: int | None
    last_community_case_day: date | None
    cases: list[dict] = field(default_factory=list)
    #: people of a reactive pooled tube held in place until their single re-test (临时管控)
    temporary_control: int = 0
    #: environmental (物表) samples up to the day: total, new, negative, weak_positive, positive, pending
    environmental: dict[str, int] = field(default_factory=dict)
    #: zones (zones.service.counts_between): new_high / new_medium approved that day, lifted that day, and
    #: open_high / open_medium / open_low at its end; sealed_residents = residents under the zone's measure
    zones: dict[str, int] = field(default_factory=dict)
    #: isolation rooms with someone in them at the day's end, of the rooms in service at open sites
    rooms_used: int = 0
    rooms_total: int = 0
    #: designated-hospital beds occupied at the day's end (admitted, not discharged)
    hospital_beds_used: int = 0
    #: cases discharged from hospital by the day's end (cumulative)
    discharged: int = 0
    #: 社会面清零: days without a community case that reach it, and whether the day has reached it
    community_zero_days: int = COMMUNITY_ZERO_DAYS
    community_zero: bool = False
    #: of the day's new cases, the imported ones (境外输入; new_confirmed / new_asymptomatic count all, and
    #: new_community / new_under_control only the local ones, 本土); total_imported of total_cases
    new_imported_confirmed: int = 0
    new_imported_asymptomatic: int = 0
    total_imported: int = 0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        d["last_community_case_day"] = self.last_community_case_day.isoformat() if self.last_community_case_day else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Bulletin:
        """The figures of an issued bulletin, as stored by `as_dict` (fields added later keep their default)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["day"] = date.fromisoformat(d["day"])
        last = d.get("last_community_case_day")
        values["last_community_case_day"] = date.fromisoformat(last) if last else None
        return cls(**values)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def in_force_at(at) -> object:
    """SQL: a measure (obligation) row in force at `at`, from its history (measures.obligations.in_force): from
    its start until it actually ended, or while not ended until its nominal end unless its end needs results.
    `at` may be a column (a case's sampling time) or an instant."""
    return and_(Measure.start_at <= at, or_(Measure.ended_at.is_(None), Measure.ended_at > at),
                or_(Measure.needs_results, Measure.end_at > at))


def _under_measure_at_sampling() -> object:
    """SQL: the case's person was under a control measure when the case's positive sample was taken."""
    return (select(Measure.id).where(Measure.person_fk == Case.person_fk, Measure.kind.in_(CONTROL_KINDS),
                                     in_force_at(Case.sampled_at)).exists())


def _in_zone_at_sampling() -> object:
    """SQL: the case's person lived in a sealed or controlled zone approved before the sample and not lifted by
    then (zone residents are fixed at approval; precaution zones have none)."""
    return (select(ZoneResident.person_fk).join(Zone, Zone.id == ZoneResident.zone_fk)
            .where(ZoneResident.person_fk == Case.person_fk, Zone.approved_at <= Case.sampled_at,
                   Zone.status.in_((ZoneStatus.APPROVED, ZoneStatus.LIFTED)),
                   or_(Zone.closed_at.is_(None), Zone.closed_at > Case.sampled_at)).exists())


def _under_inbound_at_sampling() -> object:
    """SQL: an inbound traveller's obligation of the case's person was in force when the positive sample was
    taken (the closed loop after entry: the case is imported)."""
    return (select(Measure.id).where(Measure.person_fk == Case.person_fk,
                                     Measure.category.in_(sorted(INBOUND_CATEGORIES)),
                                     in_force_at(Case.sampled_at)).exists())


def _declared_cases(session: Session, until: datetime) -> list[tuple[Case, bool, bool]]:
    """Cases declared before `until`, each with whether it was found under control (隔离管控中发现) and whether
    it is imported (境外输入): the person's state when sampled decides, not when declared (DOMAIN.md §10)."""
    ctrl = or_(_under_measure_at_sampling(), _in_zone_at_sampling())
    q = (select(Case, ctrl, _under_inbound_at_sampling()).where(Case.status.in_(DECLARED), Case.declared_at < until)
         .order_by(Case.declared_at, Case.id))
    return [(c, bool(under), is_imported(declared_imported=bool(c.imported),
                                         categories_at_sampling=[MeasureCategory.INBOUND] if inbound else []))
            for c, under, inbound in session.execute(q)]


def _found_under(session: Session, case: Case) -> str | None:
    """Why a case counts as found under control, for the day's case list: measure:<category> or zone:<no>."""
    m = session.scalar(select(Measure.category).where(Measure.person_fk == case.person_fk,
                                                      Measure.kind.in_(CONTROL_KINDS),
                                                      in_force_at(case.sampled_at)).order_by(Measure.id))
    if m is not None:
        return f"measure:{m}"
    z = session.scalar(select(Zone.zone_no).join(ZoneResident, ZoneResident.zone_fk == Zone.id).where(
        ZoneResident.person_fk == case.person_fk, Zone.approved_at <= case.sampled_at,
        or_(Zone.closed_at.is_(None), Zone.closed_at > case.sampled_at)).order_by(Zone.id))
    return f"zone:{z}" if z is not None else None


def _risk_rows_at(until: datetime):
    """The risk persons as known just before `until`: (who, person_fk, category) of each (case, who) row found
    before then, in the version that held then. A re-trace (or an override) after `until` that dropped a row or
    changed its category kept the earlier version (risk_person_past), so what an earlier day counted is counted
    again the same."""
    later = (select(RiskPersonPast.id).where(RiskPersonPast.case_fk == RiskPerson.case_fk,
                                              RiskPersonPast.who == RiskPerson.who,
                                              RiskPersonPast.until_at >= until).exists())
    current = select(RiskPerson.who, RiskPerson.person_fk, RiskPerson.category).where(RiskPerson.found_at < until,
                                                                                      ~later)
    past = select(RiskPersonPast.who, RiskPersonPast.person_fk, RiskPersonPast.category).where(
        RiskPersonPast.valid_from < until, RiskPersonPast.until_at >= until)
    return union_all(current, past).subquery()


def _traced(session: Session, until: datetime, since: datetime) -> tuple[dict[str, int], int]:
    """Distinct people per highest category among risk persons found before `until`, and how many of them were
    first found at `since` or later (one query: the two were two passes over the risk persons)."""
    rows = _risk_rows_at(until)
    best = (select(rows.c.who, func.min(sql_case(*((rows.c.category == c, i) for i, c in
                                                    enumerate(CATEGORIES)))).label("r"))
            .group_by(rows.c.who)).subquery()
    found = union_all(select(RiskPerson.who, RiskPerson.found_at),
                      select(RiskPersonPast.who, RiskPersonPast.found_at)).subquery()
    first = (select(found.c.who, (func.min(found.c.found_at) >= since).label("new"))
             .group_by(found.c.who).subquery())
    counts, new = dict.fromkeys(CATEGORIES, 0), 0
    for r, is_new, n in session.execute(
            select(best.c.r, first.c.new, func.count()).join(first, first.c.who == best.c.who)
            .group_by(best.c.r, first.c.new)):
        counts[CATEGORIES[r]] += n
        new += n if is_new else 0
    return counts, new


def _test_status(session: Session, day_end: date, until: datetime, traced_total: int) -> dict[str, int]:
    """The risk persons' test results as known at `until` (the seeds' 核酸检测结果 line, which adds up to the
    risk persons traced): positive if any result was positive; negative if every test due by the day came
    back negative; pending for the rest, including risk persons not placed yet and phones without an owner."""
    rows = _risk_rows_at(until)
    traced = select(rows.c.person_fk).where(rows.c.person_fk.is_not(None)).distinct()
    known = and_(TestTask.result_at.is_not(None), TestTask.result_at < until)
    due = TestTask.due_date <= day_end
    negative_known = and_(known, TestTask.result == TestResult.NEGATIVE)
    per_person = (select(TestTask.person_fk,
                         func.max(sql_case((and_(known, TestTask.result == TestResult.POSITIVE), 1),
                                           else_=0)).label("pos"),
                         func.max(sql_case((and_(due, ~negative_known), 1), else_=0)).label("open"),
                         func.max(sql_case((and_(due, negative_known), 1), else_=0)).label("neg"))
                  .join(Measure).where(Measure.start_at < until, TestTask.person_fk.in_(traced),
                                       # a measure superseded by then left its tests to its successor
                                       or_(Measure.ended_at.is_(None), Measure.ended_at >= until,
                                           Measure.end_reason.in_(_KEEPS_TESTS)))
                  .group_by(TestTask.person_fk).subquery())
    positive, negative = session.execute(select(
        func.count().filter(per_person.c.pos == 1),
        func.count().filter(per_person.c.pos == 0, per_person.c.open == 0, per_person.c.neg == 1))).one()
    return {"positive": positive, "negative": negative, "pending": traced_total - positive - negative}


@contextmanager
def reading_once(session: Session):
    """Within it, strictest_at is read once per instant (a page that shows the bulletin and the chart beside it,
    the overview, needs it twice: ~0.3 s each over 10 000 risk persons). For reading pages only: nothing written
    inside may change what it read."""
    session.info["strictest_at"] = {}
    try:
        yield
    finally:
        session.info.pop("strictest_at", None)


def strictest_at(session: Session, at: datetime, tz: ZoneInfo) -> tuple[dict[int, str], dict[str, set[int]]]:
    """Person → the strictest measure kind in force at `at`, and category of obligation → its persons (the one
    reading of "under a measure" behind the bulletin's figures and the overview's chart)."""
    memo = session.info.get("strictest_at")
    if memo is not None:
        if (at, str(tz)) not in memo:
            memo[at, str(tz)] = _strictest_at(session, at, tz)
        return memo[at, str(tz)]
    return _strictest_at(session, at, tz)


def _strictest_at(session: Session, at: datetime, tz: ZoneInfo) -> tuple[dict[int, str], dict[str, set[int]]]:
    # whether a row is past its nominal end is asked in SQL: the times of the few that are are read after (ten
    # thousand end times turned into datetimes were a third of the bulletin's time at 10 000 risk persons)
    late = and_(Measure.needs_results, Measure.end_at <= at)
    rows = session.execute(select(Measure.id, Measure.person_fk, Measure.kind, Measure.category, late.label("late"))
                           .where(in_force_at(at))).all()
    late_ids = [mid for mid, _, _, _, is_late in rows if is_late]
    over = obligations.met_by_results(session, [
        r for part in chunks(late_ids) for r in session.execute(
            select(Measure.id, Measure.end_at, Measure.category, Measure.risk_person_fk, Measure.edition)
            .where(Measure.id.in_(part)))], at, tz) if late_ids else set()
    ranks, last = {k: i for i, k in enumerate(MEASURE_KINDS)}, len(MEASURE_KINDS)
    best: dict[int, tuple[int, str]] = {}
    by_category: dict[str, set[int]] = {}
    for mid, person_fk, kind, category, _ in rows:
        if mid in over:
            continue
        rank = ranks.get(kind, last)
        held = best.get(person_fk)
        if held is None or rank < held[0]:
            best[person_fk] = (rank, kind)
        by_category.setdefault(category, set()).add(person_fk)
    return {fk: kind for fk, (_, kind) in best.items()}, by_category


def _kinds_at(session: Session, at: datetime, tz: ZoneInfo) -> tuple[dict[str, int], dict[str, int]]:
    """Persons under a measure at `at`, each counted once under the strictest kind in force (a close contact
    living in a sealed zone holds both obligations, and is one person in 集中隔离, not two people), and persons
    by category of obligation (封控区居民 counts every resident, whatever else they are under). An obligation
    whose end needs results and whose results had met it by `at` is over, though no one has released it yet."""
    strictest, by_category = strictest_at(session, at, tz)
    kinds: dict[str, int] = {}
    for kind in strictest.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds, {c: len(persons) for c, persons in by_category.items()}


def bulletin(session: Session, day: date, *, tz: ZoneInfo, edition: Edition | None = None) -> Bulletin:
    """The figures of the day as of its end (D 24:00 in the deployment's zone), counted from the records'
    history: measures in force then, zones at their level then, cases declared by then, admissions not yet
    discharged then; what happened later does not change them."""
    if not 2000 <= day.year <= 2200:
        raise InvalidInput(f"no bulletin for {day}: the day must lie between 2000 and 2200", key="err_bulletin_day")
    edition = edition or load_edition(get_settings().edition)
    zero_days = int(edition.raw.get("bulletin", {}).get("community_zero_days", COMMUNITY_ZERO_DAYS))
    start, end = day_bounds(day, tz)
    cases = _declared_cases(session, end)
    today = [(c, ctrl, imp) for c, ctrl, imp in cases if c.declared_at >= start]
    new = split((c.status, imp, ctrl) for c, ctrl, imp in today)
    # 社会面 is a local case's: an imported one was found in the inbound closed loop or at the port
    community_days = [c.declared_at.astimezone(tz).date() for c, ctrl, imp in cases if not ctrl and not imp]
    last_comm = max(community_days) if community_days else None
    since = (day - last_comm).days if last_comm else None
    traced, new_traced = _traced(session, end, start)
    tests = _test_status(session, day, end, sum(traced.values()))
    kinds, cats = _kinds_at(session, end, tz)
    beds = _rooms_and_beds(session, end)
    return Bulletin(
        day=day,
        new_confirmed=new.imported_confirmed + new.local_confirmed,
        new_asymptomatic=new.imported_asymptomatic + new.local_asymptomatic,
        new_community=new.local_community,
        new_under_control=new.local_under_control,
        new_imported_confirmed=new.imported_confirmed,
        new_imported_asymptomatic=new.imported_asymptomatic,
        total_imported=sum(1 for _, _, imp in cases if imp),
        total_cases=len(cases),
        traced_total=sum(traced.values()),
        traced_by_category=traced,
        new_traced=new_traced,
        tests_negative=tests["negative"], tests_positive=tests["positive"], tests_pending=tests["pending"],
        isolation_in_site=kinds.get("centralized_isolation", 0),
        isolation_at_home=kinds.get("home_isolation", 0),
        monitoring=kinds.get("home_monitoring", 0) + kinds.get("health_monitoring", 0),
        hospital_cases=beds["hospital_beds_used"],
        days_since_community_case=since,
        last_community_case_day=last_comm,
        cases=[{"case_id": c.case_no, "status": c.status, "community": c.person.community,
                "imported": imp, "under_control": ctrl and not imp,
                "found_under": _found_under(session, c) if ctrl and not imp else None,
                "sex": c.person.sex, "age": _age(c.person.birth_date, day)} for c, ctrl, imp in today],
        temporary_control=kinds.get("temporary_control", 0),
        environmental=testing_service.environmental_counts(session, day, tz=tz),
        zones=_zone_figures(zone_service.counts_between(session, start, end), edition,
                            sealed_residents=cats.get(MeasureCategory.SEALED_RESIDENT, 0)),
        community_zero_days=zero_days,
        community_zero=since is not None and since >= zero_days,
        **beds,
    )


def _zone_figures(counts: dict[str, int], edition: Edition, *, sealed_residents: int) -> dict[str, int]:
    """The zone figures the edition publishes: without medium-risk areas (the 20 measures: 高/低 only) the
    medium lines are left out, unless a medium zone drawn under an earlier edition is still counted."""
    out = dict(counts, sealed_residents=sealed_residents)
    if ZoneLevel.CONTROLLED not in zone_levels(edition) and not (out["new_medium"] or out["open_medium"]):
        del out["new_medium"], out["open_medium"]
    return out


def _rooms_and_beds(session: Session, end: datetime) -> dict[str, int]:
    """Rooms occupied and hospital beds used at `end`, counted from the stays and admissions themselves, the
    rooms in service at the sites open then (from the sites' audit log), and the cases discharged by then."""
    used = session.scalar(select(func.count(func.distinct(RoomStay.room_fk))).where(
        RoomStay.assigned_at < end, (RoomStay.left_at.is_(None)) | (RoomStay.left_at > end))) or 0
    total = capacity.rooms_in_service(session, end)   # the sites and their rooms as they stood at `end`
    beds = session.scalar(select(func.count(HospitalAdmission.id)).where(
        HospitalAdmission.admitted_at < end,
        (HospitalAdmission.discharged_at.is_(None)) | (HospitalAdmission.discharged_at > end))) or 0
    out = session.scalar(select(func.count(func.distinct(HospitalAdmission.case_fk))).where(
        HospitalAdmission.discharged_at <= end)) or 0
    return {"rooms_used": used, "rooms_total": total, "hospital_beds_used": beds, "discharged": out}


def _age(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
