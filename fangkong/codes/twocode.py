"""The two-code check at transport hubs (验双码): health code + travel card + a negative test within 48 h."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.codes.service import person_code
from fangkong.errors import InvalidInput
from fangkong.lake.queries import Lake
from fangkong.measures.models import TestResult, TestTask
from fangkong.people import service as people_service
from fangkong.protocol.cities import cell_centre, city_of
from fangkong.protocol.edition import Edition
from fangkong.protocol.twocode import card_rule, proof_holds, reasons, scheduled_sample_at
from fangkong.protocol.zones import is_grid_cell
from fangkong.testing.models import LabResult, Sample
from fangkong.zones import service as zone_service
from fangkong.zones.models import PlaceKind

__all__ = ["TwoCodeResult", "travel_card", "two_code_check"]


@dataclass
class TwoCodeResult:
    person_id: str
    at: datetime
    passed: bool
    colour: str
    #: why it failed (empty when passed): code:<colour>, risk_city:<city>, no_travel_card, no_negative_test
    reasons: list[str] = field(default_factory=list)
    code_reasons: list[str] = field(default_factory=list)
    #: cities of the last 14 days, hours there, and whether a medium/high-risk area lies in them (the "*")
    travel_card: list[dict] = field(default_factory=list)
    negative_test_at: datetime | None = None


def travel_card(lake: Lake, phone: str, *, at: datetime, edition: Edition) -> list[dict]:
    """Cities where the phone stayed at least `travel_card_min_hours` in the last `travel_card_days`, from
    carrier dwells; most hours first."""
    checks = edition.raw.get("checks", {})
    start = at - timedelta(days=int(checks.get("travel_card_days", 14)))
    # the lake's seed table (key, via, s, e): one question here
    who = pa.table({"key": pa.array(["card"], pa.string()), "via": pa.array([phone], pa.string()),
                    "s": pa.array([int(start.timestamp())], pa.int64()), "e": pa.array([int(at.timestamp())], pa.int64())})
    seconds: dict[tuple[str, str], int] = defaultdict(int)
    for r in lake.own_intervals(who, pa.table({}), cells=True).to_pylist():
        if not is_grid_cell(r["place"]):  # a carrier's own cell name: no known centre, so no known city
            continue
        city = city_of(*cell_centre(r["place"]))
        seconds[(city.code, city.name)] += r["e"] - r["s"]
    need = float(checks.get("travel_card_min_hours", 4)) * 3600
    return [{"code": code, "city": name, "hours": round(s / 3600, 1)}
            for (code, name), s in sorted(seconds.items(), key=lambda kv: (-kv[1], kv[0])) if s >= need]


def _risk_cities(session: Session) -> set[str]:
    """Names of cities holding a place of an approved sealed or controlled zone (the travel card's star)."""
    out = set()
    for kind, lat, lon, ref in zone_service.open_strict_places(session):
        if kind == PlaceKind.GRID and is_grid_cell(ref):  # a feed's own cell name has no known centre
            lat, lon = cell_centre(ref)
        if lat is not None and lon is not None:
            out.add(city_of(lat, lon).name)
    return out


def _last_negative(session: Session, person_fk: int, at: datetime, hours: int, tz: ZoneInfo) -> datetime | None:
    """When the latest negative sample that proves the check at `at` was taken (protocol.twocode.proof_holds:
    sampled within `hours`, result known by `at`): a lab result of the person's tube (pooled or single), or a
    scheduled test recorded negative (sampled, at the earliest, at the start of its due day)."""
    since = at - timedelta(hours=hours)
    lab = [t for t, rep in session.execute(
        select(Sample.sampled_at, LabResult.reported_at).join(LabResult, LabResult.tube_fk == Sample.tube_fk)
        .where(Sample.person_fk == person_fk, LabResult.result == "negative", Sample.sampled_at >= since,
               Sample.sampled_at <= at)) if proof_holds(t, rep, at, hours)]
    tasks = [scheduled_sample_at(due, done, tz) for due, done in session.execute(
        select(TestTask.due_date, TestTask.result_at).where(
            TestTask.person_fk == person_fk, TestTask.result == TestResult.NEGATIVE,
            TestTask.result_at.is_not(None),
            TestTask.result_at <= at, TestTask.due_date >= since.astimezone(tz).date()))]
    return max([*lab, *(t for t in tasks if proof_holds(t, t, at, hours))], default=None)


def two_code_check(session: Session, lake: Lake, person_id: str, *, at: datetime | None, now: datetime,
                   edition: Edition, tz: ZoneInfo) -> TwoCodeResult:
    """Pass only with an admitted colour, the travel card the rule of the day asks for (no starred city before
    2022-06-29; no card at all from 2022-12-13), and a negative test sampled within `negative_test_hours`;
    every failing part is a reason (protocol.twocode)."""
    at = at or now
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    if at > now + timedelta(minutes=2):
        raise InvalidInput(f"check time {at.astimezone(tz).isoformat()} is in the future")
    person = people_service.get_person(session, person_id)
    code = person_code(session, person_id, edition=edition, now=at, tz=tz)
    result = TwoCodeResult(person_id=person_id, at=at, passed=False, colour=code.colour,
                           code_reasons=[r["label"] for r in code.reasons])
    rule = card_rule(at)
    if rule.card and person.phone:
        risky = _risk_cities(session) if rule.star else set()
        result.travel_card = [dict(c, risk_area=c["city"] in risky)
                              for c in travel_card(lake, person.phone, at=at, edition=edition)]
    hours = int(edition.raw.get("checks", {}).get("negative_test_hours", 48))
    result.negative_test_at = _last_negative(session, person.id, at, hours, tz)
    result.reasons = reasons(colour=code.colour, allowed=edition.raw["codes"].get("entry_allowed", ["green"]),
                             rule=rule, has_phone=bool(person.phone),
                             starred_cities=[c["city"] for c in result.travel_card if c["risk_area"]],
                             proof=result.negative_test_at is not None, hours=hours)
    result.passed = not result.reasons
    return result
