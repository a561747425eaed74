"""The daily bulletin (DOMAIN.md §10): every figure is an aggregate query over the records it counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case as sql_case, func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts.models import RiskPerson
from fangkong.errors import InvalidInput
from fangkong.measures.models import HospitalAdmission, IsolationSite, Measure, Room, RoomStay, TestTask
from fangkong.protocol.edition import CATEGORIES
from fangkong.testing import service as testing_service
from fangkong.zones import service as zone_service

__all__ = ["Bulletin", "bulletin", "CONTROL_KINDS"]

#: a case found while under one of these measures was found under control, not in the community (社会面)
CONTROL_KINDS = ("centralized_isolation", "home_isolation", "home_monitoring")


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


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def _under_control_at(case: Case) -> object:
    """SQL: the case's person had an active (not replaced-before) control measure when it was declared."""
    return (select(Measure.id).where(Measure.person_fk == case.person_fk, Measure.kind.in_(CONTROL_KINDS),
                                     Measure.status.in_(("active", "became_case")),
                                     Measure.start_at <= case.declared_at, Measure.end_at > case.declared_at)
            .exists())


def _declared_cases(session: Session, until: datetime) -> list[tuple[Case, bool]]:
    q = (select(Case, _under_control_at(Case)).where(Case.status.in_(DECLARED), Case.declared_at < until)
         .order_by(Case.declared_at))
    return [(c, bool(ctrl)) for c, ctrl in session.execute(q)]


def _traced(session: Session, until: datetime, since: datetime | None = None) -> dict[str, int]:
    """Distinct people per highest category among risk persons found before `until`."""
    best = (select(RiskPerson.who, func.min(sql_case(*((RiskPerson.category == c, i) for i, c in
                                                        enumerate(CATEGORIES)))).label("r"))
            .where(RiskPerson.found_at < until).group_by(RiskPerson.who))
    if since is not None:
        first = (select(RiskPerson.who).group_by(RiskPerson.who).having(func.min(RiskPerson.found_at) >= since))
        best = best.where(RiskPerson.who.in_(first))
    sub = best.subquery()
    rows = session.execute(select(sub.c.r, func.count()).group_by(sub.c.r))
    counts = dict.fromkeys(CATEGORIES, 0)
    for r, n in rows:
        counts[CATEGORIES[r]] = n
    return counts


def _test_status(session: Session, day_end: date, until: datetime, traced_total: int) -> dict[str, int]:
    """The risk persons' test results as known at `until` (the seeds' 核酸检测结果 line, which adds up to the
    risk persons traced): positive if any result was positive; negative if every test due by the day came
    back negative; pending for the rest, including risk persons not placed yet and phones without an owner."""
    traced = (select(RiskPerson.person_fk).where(RiskPerson.found_at < until, RiskPerson.person_fk.is_not(None))
              .distinct())
    known = and_(TestTask.result_at.is_not(None), TestTask.result_at < until)
    due = TestTask.due_date <= day_end
    negative_known = and_(known, TestTask.result == "negative")
    per_person = (select(TestTask.person_fk,
                         func.max(sql_case((and_(known, TestTask.result == "positive"), 1), else_=0)).label("pos"),
                         func.max(sql_case((and_(due, ~negative_known), 1), else_=0)).label("open"),
                         func.max(sql_case((and_(due, negative_known), 1), else_=0)).label("neg"))
                  .join(Measure).where(Measure.status != "replaced", Measure.start_at < until,
                                       TestTask.person_fk.in_(traced))
                  .group_by(TestTask.person_fk).subquery())
    positive, negative = session.execute(select(
        func.count().filter(per_person.c.pos == 1),
        func.count().filter(per_person.c.pos == 0, per_person.c.open == 0, per_person.c.neg == 1))).one()
    return {"positive": positive, "negative": negative, "pending": traced_total - positive - negative}


def bulletin(session: Session, day: date, *, tz: ZoneInfo) -> Bulletin:
    """The figures of the day, up to the end of that day in the deployment's zone."""
    if not 2000 <= day.year <= 2200:
        raise InvalidInput(f"no bulletin for {day}: the day must lie between 2000 and 2200")
    start, end = _day_bounds(day, tz)
    cases = _declared_cases(session, end)
    today = [(c, ctrl) for c, ctrl in cases if c.declared_at >= start]
    community_days = [c.declared_at.astimezone(tz).date() for c, ctrl in cases if not ctrl]
    last_comm = max(community_days) if community_days else None
    traced = _traced(session, end)
    new_traced = sum(_traced(session, end, since=start).values())
    tests = _test_status(session, day, end, sum(traced.values()))
    active = and_(Measure.status == "active", Measure.start_at < end, Measure.end_at > end)
    kinds = {k: v for k, v in session.execute(select(Measure.kind, func.count()).where(active).group_by(Measure.kind))}
    return Bulletin(
        day=day,
        new_confirmed=sum(1 for c, _ in today if c.status == "confirmed"),
        new_asymptomatic=sum(1 for c, _ in today if c.status == "asymptomatic"),
        new_community=sum(1 for _, ctrl in today if not ctrl),
        new_under_control=sum(1 for _, ctrl in today if ctrl),
        total_cases=len(cases),
        traced_total=sum(traced.values()),
        traced_by_category=traced,
        new_traced=new_traced,
        tests_negative=tests["negative"], tests_positive=tests["positive"], tests_pending=tests["pending"],
        isolation_in_site=kinds.get("centralized_isolation", 0),
        isolation_at_home=kinds.get("home_isolation", 0),
        monitoring=kinds.get("home_monitoring", 0) + kinds.get("health_monitoring", 0),
        hospital_cases=len(cases),
        days_since_community_case=(day - last_comm).days if last_comm else None,
        last_community_case_day=last_comm,
        cases=[{"case_id": c.case_no, "status": c.status, "community": c.person.community,
                "under_control": ctrl, "sex": c.person.sex,
                "age": _age(c.person.birth_date, day)} for c, ctrl in today],
        temporary_control=kinds.get("temporary_control", 0),
        environmental=testing_service.environmental_counts(session, day, tz=tz),
        zones=dict(zone_service.counts_between(session, start, end),
                   sealed_residents=kinds_by_category(session, "sealed_resident", end)),
        **_rooms_and_beds(session, end),
    )


def _rooms_and_beds(session: Session, end: datetime) -> dict[str, int]:
    """Rooms occupied and hospital beds used at `end`, counted from the stays and admissions themselves."""
    used = session.scalar(select(func.count(func.distinct(RoomStay.room_fk))).where(
        RoomStay.assigned_at < end, (RoomStay.left_at.is_(None)) | (RoomStay.left_at > end))) or 0
    total = session.scalar(select(func.count(Room.id)).join(IsolationSite, IsolationSite.id == Room.site_fk)
                           .where(IsolationSite.status == "open", Room.in_service)) or 0
    beds = session.scalar(select(func.count(HospitalAdmission.id)).where(
        HospitalAdmission.admitted_at < end,
        (HospitalAdmission.discharged_at.is_(None)) | (HospitalAdmission.discharged_at > end))) or 0
    return {"rooms_used": used, "rooms_total": total, "hospital_beds_used": beds}


def kinds_by_category(session: Session, category: str, end: datetime) -> int:
    """Active measures of one category at `end` (sealed-zone residents are counted apart from contacts)."""
    return session.scalar(select(func.count(Measure.id)).where(
        Measure.category == category, Measure.status == "active", Measure.start_at < end, Measure.end_at > end)) or 0


def _age(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
