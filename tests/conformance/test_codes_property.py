"""Property (issue 23, "Done when"): for random timed events over a tiny city, the code at t (what `codes.service.
person_code` answers, as /api/me/code does) is the strictest colour over the obligations in force at t, with
their reasons, computed here by a small reference model written from DOMAIN.md §5 and §8 and docs/rules.md,
never by calling the product's rules; and every past bulletin printed again is the text issued, its figures
counted again the same.

The city is tests/test_flow.py's. What the tracer finds in it is written down below as facts (the tracer itself
is checked by tests/contacts/test_trace_exact.py): P00001, sampled 03-11 08:00 and isolated 20:00, is traced at
21:00: P00002 (household) and P00003 (30 min at V1 on 03-10) are close contacts, P00004 (40 min at V1 with
P00003 on 03-10) and P00006 (30 min at V2 with P00003 on 03-11) secondary contacts through P00003, P00007 a
companion and P00005 an overlap. P00004 and P00005 live in compound R1, which a sealed zone may cover.

Besides results, declarations, releases, a zone, door checks and pool holds, the events admit and discharge the
declared cases (two samples 24 h apart: post-discharge monitoring follows), receive inbound assistance requests
(协查: the stated category's measure at once, never for a case), register inbound travellers (境外输入, 7 + 3) and
re-trace the declared cases (only what is new is added; a link the door check withdrew stays withdrawn).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders.city import person, venue, write_city
from clihelp import fk
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_flow import city

from fangkong import flows
from fangkong.assist import service as assist_service
from fangkong.assist.inputs import service as inputs_service
from fangkong.cases import service as case_service
from fangkong.cases.models import Case
from fangkong.codes import plain as code_plain
from fangkong.codes import service as code_service
from fangkong.db import plain as plain_store
from fangkong.db.core import get_engine
from fangkong.db.scope import acting_as
from fangkong.errors import FangkongError
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures import service as measure_service
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import Measure, TestTask
from fangkong.measures.verification import service as verification
from fangkong.people.models import Person
from fangkong.protocol.edition import load_edition
from fangkong.protocol.hospitals import DischargeSample
from fangkong.protocol.obligations import reasons_json
from fangkong.reports import issued
from fangkong.settings import get_settings
from fangkong.tasks.models import Task
from fangkong.zones import service as zone_service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")
START = datetime(2022, 3, 11, 21, tzinfo=TZ)
SAMPLED = datetime(2022, 3, 11, 8, tzinfo=TZ)
PIDS = [f"P{i:05d}" for i in range(1, 8)]

# ---- the reference model: edition 9's numbers (PROTOCOL-NOTES §2-3) and DOMAIN.md §8's colours ----------------

#: category → (kind, days, test days, follow-on days, follow-on test days)
RULES = {"close": ("centralized_isolation", 7, (1, 2, 3, 5, 7), 3, (3,)),
         "secondary": ("home_isolation", 7, (1, 4, 7), 0, ()),
         "companion": ("health_monitoring", 3, (1, 2), 0, ()),
         "overlap": ("health_monitoring", 3, (1, 2), 0, ()),
         "sealed_resident": ("home_isolation", 7, (1, 2, 3, 4, 5, 6, 7), 0, ()),
         # after discharge: 7 days home health monitoring, no test days in the notes (PROTOCOL-NOTES §7)
         "post_discharge": ("home_monitoring", 7, (), 0, ()),
         # 境外输入: 7 days centralized + 3 days home health monitoring, tests as close contacts (§2)
         "inbound": ("centralized_isolation", 7, (1, 2, 3, 5, 7), 3, (3,))}
STRICTNESS = ("centralized_isolation", "home_isolation", "home_monitoring", "health_monitoring", "temporary_control")
#: red for cases, suspected cases, close contacts and high-risk-area residents; yellow for secondary contacts,
#: companions, pool members on hold and people overdue for a test; overlaps (三天两检) colour nothing
RED = {"case", "suspected", "close", "sealed_resident", "high_risk_area", "inbound"}
YELLOW = {"secondary", "companion", "overdue_test", "pool_member", "post_discharge"}
CONTACT = {"close", "secondary", "companion", "overlap"}
POOL_HOURS = 48
#: an obligation that ended so was served, or handed on to its successor: a re-trace does not re-create it
SERVED = {"released", "replaced", "escalated", "extended", "upgraded", "stepped_down"}
#: what an inbound assistance request's reason states (protocol.assist): arg → (reason, category)
REQUEST = {"negative": ("密接", "close"), "invalid": ("次密接", "secondary"), "positive": ("时空伴随", "companion")}

#: P00001's trace: person → (category, the calendar day of the last exposure, through whom)
P1_TRACE = {"P00002": ("close", date(2022, 3, 11), "P00001"), "P00003": ("close", date(2022, 3, 10), "P00001"),
            "P00004": ("secondary", date(2022, 3, 10), "P00003"),
            "P00006": ("secondary", date(2022, 3, 11), "P00003"),
            "P00007": ("companion", date(2022, 3, 10), "P00001"), "P00005": ("overlap", date(2022, 3, 10), "P00001")}
RESIDENTS_R1 = ("P00004", "P00005")


def p3_trace(window_start: date) -> dict:
    """P00003's trace as a case: his visits to V1 (03-10) and V2 (03-11), when inside the look-back window."""
    out = {}
    if window_start <= date(2022, 3, 10):
        out |= {"P00004": ("close", date(2022, 3, 10), "P00003"), "P00005": ("overlap", date(2022, 3, 10), "P00003")}
    if window_start <= date(2022, 3, 11):
        out["P00006"] = ("close", date(2022, 3, 11), "P00003")
    return out


def midnight_after(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=TZ)


@dataclass
class MTest:
    seq: int
    due: date
    result: str = "pending"
    result_at: datetime | None = None
    resample_of: int | None = None


@dataclass
class MOb:
    """An obligation of the model: from `start` until `ended` (an act), or its nominal `end`, or, when its end needs
    results, until every required test is negative with its result in."""

    person: str
    category: str
    kind: str
    start: datetime
    end: datetime
    needs_results: bool
    source: str | None = None          # the case it comes from (contact obligations)
    via: str | None = None             # through whom (a secondary link)
    exposed: date | None = None
    tests: list[MTest] = field(default_factory=list)
    ended: datetime | None = None
    end_reason: str | None = None


@dataclass
class MCase:
    reported: datetime
    declared: datetime | None = None
    sampled: datetime | None = None
    admitted: datetime | None = None
    discharged: datetime | None = None


class Model:
    def __init__(self) -> None:
        self.obs: list[MOb] = []
        self.cases: dict[str, MCase] = {}
        self.seq = 0
        self.zone: dict | None = None   # {"level": ..., "status": ...}
        self.withdrawn: set[str] = set()
        self.requested: set[str] = set()   # persons named by an inbound request
        self.arrived: set[str] = set()     # persons registered as inbound travellers

    def _tests(self, dates) -> list[MTest]:
        out = []
        for d in sorted(dates):
            self.seq += 1
            out.append(MTest(self.seq, d))
        return out

    def active(self, p: str) -> list[MOb]:
        return [o for o in self.obs if o.person == p and o.ended is None]

    def _end(self, o: MOb, t: datetime, reason: str) -> None:
        o.ended, o.end_reason = max(t, o.start), reason

    def plan(self, p: str, category: str, exposed: date, t: datetime, **kw) -> MOb | None:
        """Periods count from the last exposure (day 1 is the day after it, the period ends at the end of day N);
        a test day already past is done on the day found; found after the whole period: no obligation."""
        kind, days, test_days, then_days, then_test_days = RULES[category]
        end = midnight_after(exposed + timedelta(days=days + then_days))
        if end <= t:
            return None
        found = t.astimezone(TZ).date()
        dates = {max(exposed + timedelta(days=n), found) for n in test_days}
        dates |= {max(exposed + timedelta(days=days + n), found) for n in then_test_days}
        return MOb(p, category, kind, t, end, needs_results=bool(dates) and category != "sealed_resident",
                   exposed=exposed, tests=self._tests(dates), **kw)

    def admit(self, new: MOb, t: datetime) -> None:
        """Beside the others; one of the same category that covers it (as strict, ending no earlier) keeps it
        from being added; the ones of its category it outlasts end as extended."""
        same = [o for o in self.active(new.person) if o.category == new.category]
        if any(STRICTNESS.index(o.kind) <= STRICTNESS.index(new.kind) and o.end >= new.end for o in same):
            return
        for o in same:
            self._end(o, t, "extended")
        self.obs.append(new)

    def open_case(self, p: str) -> MCase | None:
        return self.cases.get(p)

    def declared(self, p: str, t: datetime) -> bool:
        c = self.cases.get(p)
        return c is not None and c.declared is not None and c.declared <= t

    # -- events --
    def trace(self, case: str, found: dict, t: datetime) -> None:
        """A trace, or a re-trace of the same case: only what is new is added. An obligation of the same category
        that ended served (upgraded, extended, ...) and covers the new one keeps it out, and so does a link of
        this case the door check withdrew (docs/rules.md, "A re-trace")."""
        for p, (category, exposed, via) in found.items():
            if self.declared(p, t):
                continue  # a case met by a trace is a chain edge, never a risk person
            o = self.plan(p, category, exposed, t, source=case, via=via)
            if o is None:
                continue
            ended = [x for x in self.obs if x.person == p and x.ended is not None and x.category in CONTACT]
            if any(x.source == case and x.end_reason == "withdrawn" for x in ended):
                continue
            if any(x.category == category and x.end_reason in SERVED and STRICTNESS.index(x.kind) <=
                   STRICTNESS.index(o.kind) and x.end >= o.end for x in ended):
                continue
            self.admit(o, t)

    def retrace(self, case: str, found: dict, t: datetime) -> None:
        """The case traced again: a case met is no one's anchor, so those found only through a person declared
        since are not found again; their obligations stay, but without the link (no upgrade, no withdrawal
        through him follows it any more)."""
        found = {p: v for p, v in found.items() if v[2] == case or not self.declared(v[2], t)}
        for o in self.obs:
            if o.source == case and o.person not in found:
                o.via = None
        self.trace(case, found, t)

    def admit_case(self, p: str, t: datetime) -> None:
        self.cases[p].admitted = t

    def discharge(self, p: str, t: datetime) -> None:
        """Discharged: the case's obligation ends, and post-discharge health monitoring starts (7 days)."""
        self.cases[p].discharged = t
        self.admit(self.plan(p, "post_discharge", t.astimezone(TZ).date(), t), t)

    def request(self, p: str, category: str, exposed: date, t: datetime) -> None:
        """An inbound 协查 placing a matched person under the stated category's measure at once (never a case)."""
        self.requested.add(p)
        if p in self.cases:
            return
        o = self.plan(p, category, exposed, t)
        if o is not None:
            self.admit(o, t)

    def arrival(self, p: str, entered: datetime, t: datetime) -> None:
        self.arrived.add(p)
        o = self.plan(p, "inbound", entered.astimezone(TZ).date(), t)
        if o is not None:
            self.admit(o, t)

    def declare(self, p: str, t: datetime) -> None:
        c = self.cases.setdefault(p, MCase(reported=t, sampled=SAMPLED))
        c.declared = t
        for o in self.active(p):
            if o.category in CONTACT or o.category == "pool_member":
                self._end(o, t, "became_case")
        for o in list(self.obs):  # declared with no positive test on record: those found through him upgraded too
            if o.ended is None and o.category == "secondary" and o.via == p:
                self.upgrade(o, t)
        if p == "P00003":
            self.trace(p, p3_trace(c.sampled.astimezone(TZ).date() - timedelta(days=2)), t)

    def result(self, test: MTest, owner: MOb, result: str, t: datetime) -> None:
        test.result, test.result_at = result, t
        if result == "invalid":  # re-sampled at once: a test due today stands for it
            self.seq += 1
            owner.tests.append(MTest(self.seq, t.astimezone(TZ).date(), resample_of=test.seq))
        if result == "positive":
            if owner.person not in self.cases:
                self.cases[owner.person] = MCase(reported=t, sampled=t)
            for o in list(self.obs):  # the secondary contacts found through him are upgraded at once
                if o.ended is None and o.category == "secondary" and o.via == owner.person:
                    self.upgrade(o, t)

    def upgrade(self, o: MOb, t: datetime) -> None:
        plan = self.plan(o.person, "close", o.exposed, t, source=o.source, via=o.via)
        self._end(o, t, "upgraded")
        new = plan or MOb(o.person, "close", "centralized_isolation", t, t, True, source=o.source, via=o.via,
                          exposed=o.exposed)
        new.end = max(new.end, o.end)
        self.obs.append(new)

    def release_due(self, t: datetime) -> None:
        """Only the upgrade changes what is in force: a release ends what its results already ended."""
        for o in list(self.obs):
            if o.ended is None and o.category == "secondary" and o.end <= t and o.via in self.cases:
                self.upgrade(o, t)

    def approve_zone(self, t: datetime) -> None:
        self.zone = {"level": "sealed", "status": "approved"}
        for p in RESIDENTS_R1:
            if p not in self.cases:
                self.admit(self.plan(p, "sealed_resident", t.astimezone(TZ).date(), t), t)

    def zone_step(self, level: str, status: str, t: datetime) -> None:
        if self.zone["level"] == "sealed":
            for p in RESIDENTS_R1:
                for o in self.active(p):
                    if o.category == "sealed_resident":
                        self._end(o, t, "zone_lifted")
        self.zone = {"level": level, "status": status}

    def withdraw(self, p: str, t: datetime) -> None:
        """A door check found the wrong person: his obligations from the case end, and so do those that came
        only through him (secondary links via him, upgraded or not)."""
        self.withdrawn.add(p)
        for o in self.obs:
            if o.ended is None and o.source == "P00001" and (
                    o.person == p or o.via == p and P1_TRACE[o.person][0] == "secondary"):
                self._end(o, t, "withdrawn")

    def pool_hold(self, p: str, t: datetime) -> None:
        self.obs.append(MOb(p, "pool_member", "temporary_control", t, t + timedelta(hours=POOL_HOURS), False))

    def pool_clear(self, p: str, t: datetime) -> None:
        for o in self.active(p):
            if o.category == "pool_member":
                self._end(o, t, "retest_negative")

    # -- the code --
    @staticmethod
    def met(o: MOb, t: datetime) -> bool:
        """Every test due before the period's last instant negative (an invalid one's re-sample standing for it),
        with its result in by t."""
        last_day = o.end.astimezone(TZ).date()
        late = o.end.astimezone(TZ).hour > 0
        for test in o.tests:
            if test.resample_of is not None or not (test.due < last_day or (test.due == last_day and late)):
                continue
            stand = test
            while stand.result == "invalid":
                again = [x for x in o.tests if x.resample_of == stand.seq and x.result != "pending"]
                if not again:
                    break
                stand = again[0]
            if stand.result != "negative" or stand.result_at is None or stand.result_at > t:
                return False
        return True

    @staticmethod
    def known(test: MTest, t: datetime) -> str:
        return test.result if test.result_at is not None and test.result_at <= t else "pending"

    def upstream(self, o: MOb, t: datetime) -> str:
        """Edition 9 (PROTOCOL-NOTES §2): a secondary contact found through a close contact is released only once
        that close contact's first two tests are negative (an invalid one's re-sample standing for it), as known
        at t; `positive` once the close contact is a case. Others wait for no one."""
        if o.category != "secondary" or o.via is None:
            return "negative"
        c = self.cases.get(o.via)
        if c is not None and c.reported <= t:
            return "positive"
        # his close-contact obligation then: the newest begun by t that a new exposure had not superseded by t
        held = [x for x in self.obs if x.person == o.via and x.category == "close" and x.start <= t
                and not (x.ended is not None and x.ended <= t and x.end_reason == "extended")]
        if not held:
            return "pending"
        firsts = []
        for test in sorted((x for x in held[-1].tests if x.resample_of is None), key=lambda x: (x.due, x.seq))[:2]:
            stand = test
            while self.known(stand, t) == "invalid":
                again = [x for x in held[-1].tests if x.resample_of == stand.seq and self.known(x, t) != "pending"]
                if not again:
                    break
                stand = again[0]
            firsts.append(self.known(stand, t))
        if "positive" in firsts:
            return "positive"
        return "negative" if firsts == ["negative", "negative"] else "pending"

    def in_force(self, o: MOb, t: datetime) -> tuple[bool, bool]:
        """(in force, overdue: past its nominal end and kept by its results, or by the close contact's first tests
        a secondary contact waits for)."""
        if o.start > t or (o.ended is not None and o.ended <= t):
            return False, False
        if t < o.end:
            return True, False
        if o.needs_results and not (self.met(o, t) and self.upstream(o, t) == "negative"):
            return True, True
        return False, False

    def code(self, p: str, t: datetime) -> tuple[str, list[str]]:
        reasons = []
        c = self.cases.get(p)
        if c is not None and c.reported <= t and (c.discharged is None or c.discharged > t):
            reasons.append("case" if c.declared is not None and c.declared <= t else "suspected")
        today = t.astimezone(TZ).date()
        overdue_test = False
        for o in self.obs:
            if o.person != p:
                continue
            live, overdue = self.in_force(o, t)
            if not live:
                continue
            reasons += [o.category, "release_overdue"] if overdue else [o.category]
            overdue_test |= any(x.result == "pending" and x.due < today for x in o.tests)
        if overdue_test:
            reasons.append("overdue_test")
        if self.zone and self.zone["status"] == "approved" and self.zone["level"] == "sealed" and p in RESIDENTS_R1:
            reasons.append("high_risk_area")
        notes = [r for r in reasons if r == "release_overdue"]
        for colour, labels in (("red", RED), ("yellow", YELLOW)):
            mine = [r for r in reasons if r in labels]
            if mine:
                return colour, sorted(mine + notes)
        return "green", []


# ---- the product, driven through its services -------------------------------------------------------------

def zone_city(folder):
    """tests/test_flow.py's city, with P00004 and P00005 living in compound R1."""
    city(folder)
    import csv
    persons = [person(i, household="H1" if i in (1, 2) else None,
                      **({"address": "场所R1 5栋1单元"} if i in (4, 5) else {})) for i in range(1, 8)]
    visits = list(csv.DictReader((folder / "venue_visits.csv").open(encoding="utf-8")))
    dwells = list(csv.DictReader((folder / "cell_dwells.csv").open(encoding="utf-8")))
    return write_city(folder, persons, [venue("V1"), venue("V2", "shop"), venue("R1", "residential")], visits, dwells)


def _fk(s, pid: str) -> int:
    return s.scalar(select(Person.id).where(Person.person_id == pid))


def _case(s, pid: str) -> Case | None:
    return s.scalar(select(Case).join(Person, Person.id == Case.person_fk)
                    .where(Person.person_id == pid, Case.status != "ruled_out"))


def _pick_test(model: Model, p: str, t: datetime) -> tuple[MOb, MTest] | None:
    """The person's earliest pending test due by today, of an obligation not ended."""
    today = t.astimezone(TZ).date()
    mine = [(x.due, x.seq, o, x) for o in model.active(p) for x in o.tests if x.result == "pending" and x.due <= today]
    if not mine:
        return None
    _, _, o, x = min(mine, key=lambda m: (m[0], m[1]))
    return o, x


def _apply(model: Model, event: tuple, t: datetime) -> None:
    kind, which, arg = event
    p = PIDS[which]
    s_ = get_settings()
    with unit_of_work() as s:
        if kind == "result":
            picked = _pick_test(model, p, t)
            if picked is None:
                return
            o, x = picked
            task = s.scalar(select(TestTask).join(Measure).where(
                TestTask.person_fk == _fk(s, p), TestTask.result == "pending", TestTask.due_date == x.due,
                Measure.ended_at.is_(None), Measure.category == o.category,
                TestTask.resample_of.is_not(None) if x.resample_of else TestTask.resample_of.is_(None))
                .order_by(TestTask.id).limit(1))
            assert task is not None, f"{t}: the model's pending test of {p} ({o.category}, due {x.due}) is not on record"
            with acting_as(s, "检测组"):
                lifecycle.record_result(s, task, arg, at=t, edition=E9, tz=TZ)
            model.result(x, o, arg, t)
        elif kind == "declare":
            p = ("P00002", "P00003")[which % 2]
            if model.declared(p, t):
                return
            case = case_service.declare_case(s, p, sampled_at=SAMPLED, now=t)
            flows.respond(s, s_, case, now=t)
            model.declare(p, t)
        elif kind == "release_due":
            lifecycle.release_due(s, edition=E9, tz=TZ, now=t)
            model.release_due(t)
        elif kind == "zone":
            if model.zone is not None:
                return
            with acting_as(s, "流调组"):
                zone = zone_service.create_zone(s, level="sealed", places=[("venue", "R1", "病例居住小区")], edition=E9,
                                                now=t)
            with acting_as(s, "王指挥"):
                zone_service.approve(s, zone, edition=E9, tz=TZ, now=t)
            model.approve_zone(t)
        elif kind == "lift":
            if model.zone is None or model.zone["status"] != "approved":
                return
            zone = zone_service.list_zones(s, status="approved")[0]
            try:
                with acting_as(s, "王指挥"):
                    zone_service.step(s, zone, edition=E9, tz=TZ, now=t)
            except FangkongError:
                return  # its condition is not met: the zone stays as it was
            model.zone_step(zone.level, zone.status, t)
        elif kind == "withdraw":
            if p not in P1_TRACE or p in model.withdrawn:
                return
            task = s.scalar(select(Task).where(Task.kind == "verification", Task.person_fk == _fk(s, p),
                                               Task.case_fk == _case(s, "P00001").id, Task.status == "open"))
            with acting_as(s, "社区"):
                verification.record_outcome(s, task, "wrong_person", jurisdiction=task.jurisdiction, version=task.version,
                                            at=t)
            model.withdraw(p, t)
        elif kind == "discharge":
            p = ("P00001", "P00002", "P00003")[which % 3]
            c = model.cases.get(p)
            if c is None or not model.declared(p, t) or c.discharged is not None:
                return
            case = _case(s, p)
            if c.admitted is None:
                with acting_as(s, "转运组"):
                    hospitals.admit(s, case, hospitals.get_hospital(s, "H1"), at=t)
                model.admit_case(p, t)
            elif t >= c.admitted + timedelta(hours=26):
                samples = [DischargeSample(c.admitted + timedelta(minutes=30), 36.0),
                           DischargeSample(c.admitted + timedelta(hours=25), None)]
                with acting_as(s, "医院"):
                    hospitals.discharge(s, case, at=t, samples=samples, edition=E9)
                model.discharge(p, t)
        elif kind == "assist":
            if p in model.requested:
                return  # one request per person: the same request again adds no one
            reason, category = REQUEST[arg]
            exposed = t - timedelta(days=1)
            with acting_as(s, "流调组"):
                assist_service.receive(s, ref=f"SH-{p}", issuer="上海市疾控", reason=reason,
                                       persons=[assist_service.PersonIn(id_number=person(int(p[1:]))["id_number"],
                                                                        last_exposure_at=exposed)],
                                       now=t, edition=E9, tz=TZ)
            model.request(p, category, exposed.astimezone(TZ).date(), t)
        elif kind == "arrival":
            if p in model.arrived:
                return
            entered = t - timedelta(hours=3)
            with acting_as(s, "海关"):
                inputs_service.register_inbound(s, p, from_country="新加坡", entered_at=entered, now=t, edition=E9, tz=TZ)
            model.arrival(p, entered, t)
        elif kind == "retrace":
            p = ("P00001", "P00003")[which % 2]
            if not model.declared(p, t):
                return
            flows.respond(s, s_, _case(s, p), now=t)  # traced again
            model.retrace(p, P1_TRACE if p == "P00001" else
                          p3_trace(model.cases[p].sampled.astimezone(TZ).date() - timedelta(days=2)), t)
        elif kind == "pool":
            if arg == "positive":
                measure_service.place_temporary_control(s, [_fk(s, p)], since=t, until=t + timedelta(hours=POOL_HOURS),
                                                        edition="9", reason="tube T1 positive")
                model.pool_hold(p, t)
            else:
                measure_service.lift_temporary_control(s, [_fk(s, p)], at=t, reason="single re-test negative")
                model.pool_clear(p, t)


def _check(model: Model, t: datetime, trail: list) -> None:
    store = plain_store.connect(get_settings().database_url)
    try:
        with unit_of_work() as s:
            for p in PIDS:
                view = code_service.person_code(s, p, edition=E9, now=t, tz=TZ)
                got = (view.colour, sorted(r["label"] for r in view.reasons))
                want = model.code(p, t)
                assert got == want, f"{p} at {t:%m-%d %H:%M}: the code is {got}, the obligations in force give " \
                                    f"{want}; events: {trail}"
                # `fangkong codes show` without the ORM (issue 27) answers the same, or leaves it to the ORM path
                mine = code_plain._derive(store, p, "9", TZ, t)
                PLAIN["asked"] += 1
                if mine is not None:
                    PLAIN["answered"] += 1
                    assert (mine.person_id, mine.code.colour, reasons_json(mine.code.reasons, TZ),
                            mine.code.changes_at) == (view.person_id, view.colour, view.reasons, view.changes_at), \
                        f"{p} at {t:%m-%d %H:%M}: the plain read differs; events: {trail}"
    finally:
        store.close()


#: how often the plain read answered (the rest went the ORM way): it must answer most looks, or it checks nothing
PLAIN = {"asked": 0, "answered": 0}


EVENT = st.tuples(
    st.sampled_from(["result", "result", "result", "declare", "release_due", "zone", "lift", "withdraw", "pool",
                     "discharge", "discharge", "assist", "arrival", "retrace"]),
    st.integers(0, 6), st.sampled_from(["negative", "negative", "negative", "invalid", "positive"]),
    st.integers(1, 14 * 24 * 4))  # quarter-hours after the first trace


_TEMPLATE: dict[str, str] = {}


def _fresh_store(tmp_path_factory) -> None:
    """The city imported and P00001 traced once; every example starts from a copy of that store."""
    url = get_settings().database_url
    db = url.removeprefix("sqlite:///")
    get_engine().dispose()
    if _TEMPLATE.get("for") != url:  # the first example of this test run
        assert fk("import", zone_city(tmp_path_factory.mktemp("city"))).exit_code == 0
        with unit_of_work() as s:
            case = case_service.declare_case(s, "P00001", sampled_at=SAMPLED, isolated_at=SAMPLED + timedelta(hours=12),
                                             now=START - timedelta(minutes=30))
            flows.respond(s, get_settings(), case, now=START)
            hospitals.add_hospital(s, "H1", name="定点医院", jurisdiction="1401", beds=10)
        get_engine().dispose()
        _TEMPLATE.update(db=str(tmp_path_factory.mktemp("template") / "fangkong.db"), **{"for": url})
        shutil.copy(db, _TEMPLATE["db"])
    else:
        shutil.copy(_TEMPLATE["db"], db)
    get_engine.cache_clear()


# ~12 s on a quiet machine (twelve runs of an outbreak's fortnight): `make test` runs it, test-fast does not
@pytest.mark.slow
@settings(max_examples=int(os.environ.get("FANGKONG_PROPERTY_EXAMPLES", "8")), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck),
          phases=[p for p in Phase if p != Phase.shrink or not os.environ.get("FANGKONG_PROPERTY_NO_SHRINK")])
@given(st.lists(EVENT, min_size=1, max_size=12))
# P00003 tests positive (his secondary contacts upgraded), then the door check finds he was the wrong person
@example([("result", 2, "positive", 4), ("withdraw", 2, "negative", 8)])
# an overlap (green) in a reactive pool; a secondary contact with an invalid test, then the zone over his home
@example([("pool", 4, "positive", 4), ("result", 3, "invalid", 20), ("zone", 0, "negative", 30),
          ("result", 3, "negative", 200), ("release_due", 0, "negative", 700), ("lift", 0, "negative", 900)])
# P00001 admitted and discharged (post-discharge monitoring), a 协查 and an arrival, re-traces after a withdrawal
@example([("discharge", 0, "negative", 2), ("assist", 4, "negative", 6), ("arrival", 6, "negative", 10),
          ("withdraw", 2, "negative", 12), ("retrace", 0, "negative", 40), ("discharge", 0, "negative", 200),
          ("result", 3, "positive", 300), ("retrace", 0, "negative", 320), ("release_due", 0, "negative", 800),
          ("retrace", 0, "negative", 900)])
# P00003's day-1 test invalid: P00004 (secondary through him) stays yellow past his own period with his own tests
# negative, until P00003's re-sample and day-2 test are negative
@example([("result", 2, "invalid", 4), ("result", 3, "negative", 8), ("result", 3, "negative", 210),
          ("result", 3, "negative", 540), ("release_due", 0, "negative", 600), ("result", 2, "negative", 800),
          ("result", 2, "negative", 810)])
def test_property_the_code_is_the_strictest_colour_over_the_obligations_in_force(sqlite_env, tmp_path_factory, events):
    run(tmp_path_factory, events)


@pytest.mark.slow   # with the property it checks: deselected together in test-fast, never skipped
def test_the_plain_read_answered_most_looks():
    """Runs after the property (same module, in order): the plain read of `codes show` was compared, not skipped."""
    if not PLAIN["asked"]:
        pytest.skip("the property did not run in this process")
    assert PLAIN["answered"] >= PLAIN["asked"] // 2, PLAIN


def run(tmp_path_factory, events) -> None:
    _fresh_store(tmp_path_factory)
    model = Model()
    model.cases["P00001"] = MCase(reported=START - timedelta(minutes=30), declared=START - timedelta(minutes=30))
    model.trace("P00001", P1_TRACE, START)
    timed = sorted((START + timedelta(minutes=15 * q), (kind, which, arg)) for kind, which, arg, q in events)
    # the clock also moves on by itself: a look at every code each day at 00:30, when tests fall overdue
    days = [(datetime.combine(date(2022, 3, 12) + timedelta(days=n), time(0, 30), tzinfo=TZ), None) for n in range(15)]
    trail: list = []
    issued_texts: dict[date, tuple[str, dict]] = {}
    _check(model, START, trail)
    for t, event in sorted(timed + days, key=lambda e: (e[0], e[1] is None)):
        if event is not None:
            trail.append((f"{t:%m-%d %H:%M}", *event))
            _apply(model, event, t)
        elif (t.date() - date(2022, 3, 12)).days % 3 == 0:  # the day before has ended: its bulletin is issued
            day = (t - timedelta(days=1)).date()
            with unit_of_work() as s:
                b = issued.issue(s, day, tz=TZ, now=t)
                issued_texts[day] = (b.text_zh, b.figures)
        _check(model, t, trail)
    with unit_of_work() as s:
        for day, (text, figures) in issued_texts.items():
            assert issued.shown(s, day, tz=TZ).text == text
            assert issued.shown(s, day, tz=TZ, draft=True).figures.as_dict() == figures, f"{day}: {trail}"
