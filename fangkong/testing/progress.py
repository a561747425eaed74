"""Testing figures as aggregate queries: round progress (不漏一人), turnaround per lab and stage, environment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, distinct, func, literal_column, select
from sqlalchemy.orm import Session

from fangkong.measures.models import Measure, MeasureStatus
from fangkong.people.models import Person
from fangkong.testing.models import Lab, LabResult, Sample, TestingRound, Tube, TubeKind

__all__ = ["people_in_area", "round_persons", "key_group_people", "sample_figures", "round_progress", "not_sampled",
           "turnaround", "environmental_counts", "FIGURES", "STAGES", "REACTIVE"]

REACTIVE = ("positive", "suspected", "weak_positive")
#: 采 → 送 → 检 → 报: (name, from column, to column)
STAGES = (("ship", "sampled_at", "received_at"), ("test", "received_at", "tested_at"),
          ("report", "tested_at", "reported_at"), ("total", "sampled_at", "reported_at"))


def _in_area(rnd: TestingRound):
    return Person.community.in_(rnd.communities) if rnd.communities else literal_column("1") == 1


def people_in_area(session: Session, communities: list[str]) -> list[str]:
    """person_id of everyone living in these communities (none = everyone), in order."""
    area = Person.community.in_(communities) if communities else literal_column("1") == 1
    return list(session.scalars(select(Person.person_id).where(area).order_by(Person.person_id)))


def key_group_people(session: Session, rnd: TestingRound) -> int:
    """People of the round's area under a measure (key groups: single tubes)."""
    q = select(func.count(distinct(Measure.person_fk))).where(Measure.status == MeasureStatus.ACTIVE,
                                                              Measure.kind != "temporary_control")
    if rnd.communities:
        q = q.join(Person, Person.id == Measure.person_fk).where(_in_area(rnd))
    return session.scalar(q) or 0


def round_persons(session: Session, rnd: TestingRound) -> tuple[int, int]:
    """People living in the round's area, and how many of them are key groups (under a measure: single tubes)."""
    people = session.scalar(select(func.count(Person.id)).where(_in_area(rnd))) or 0
    return people, key_group_people(session, rnd)


FIGURES = ("sampled", "tubes", "results_in", "reactive_tubes", "reactive_people")


def sample_figures(session: Session, round_fk: int, by=None, *, where=(), person_first: bool = False) -> dict:
    """sampled people, tubes, people with a result, reactive tubes and their people of one round, grouped by `by`
    (a Sample or Person column; none: {'all': ...}), over the samples matching `where` too. `person_first`: the
    rows are found from the persons `where` names (a few communities), not by going through the whole round."""
    reactive = LabResult.result.in_(REACTIVE)
    key = by if by is not None else literal_column("'all'")
    in_round = (Sample.round_fk + 0 if person_first else Sample.round_fk) == round_fk
    q = (select(key, func.count(distinct(Sample.person_fk)), func.count(distinct(Sample.tube_fk)),
                func.count(distinct(Sample.person_fk)).filter(LabResult.tube_fk.is_not(None)),
                func.count(distinct(Sample.tube_fk)).filter(reactive),
                func.count(distinct(Sample.person_fk)).filter(reactive))
         .select_from(Sample).join(Person, Person.id == Sample.person_fk)
         .outerjoin(LabResult, LabResult.tube_fk == Sample.tube_fk)
         .where(in_round, *where))
    if by is not None:
        q = q.group_by(by)
    return {row[0]: dict(zip(FIGURES, row[1:], strict=True)) for row in session.execute(q)}


def round_progress(session: Session, rnd: TestingRound) -> dict:
    """Expected / sampled / results in / reactive, in total, per sampling point and per community, counted over
    every sample of the round: the definition the kept figures (tally.progress, what the pages show) equal."""
    expected, key = round_persons(session, rnd)
    per_comm_expected = {c: n for c, n in session.execute(
        select(Person.community, func.count(Person.id)).where(_in_area(rnd)).group_by(Person.community))}
    zero = dict.fromkeys(FIGURES, 0)
    total = sample_figures(session, rnd.id).get("all") or zero
    points = sample_figures(session, rnd.id, Sample.point_id)
    comms = sample_figures(session, rnd.id, Person.community)
    communities = [{"community": c, "expected": per_comm_expected.get(c, 0), **comms.get(c, zero)}
                   for c in sorted(set(per_comm_expected) | set(comms), key=lambda x: x or "")]
    in_area_sampled = session.scalar(
        select(func.count(distinct(Sample.person_fk))).join(Person, Person.id == Sample.person_fk)
        .where(Sample.round_fk == rnd.id, _in_area(rnd))) or 0
    return {"round_id": rnd.round_id, "name": rnd.name, "expected": expected, "key_group_people": key,
            "not_sampled": expected - in_area_sampled, **total,
            "points": [{"point_id": p, **v} for p, v in sorted(points.items(), key=lambda x: x[0] or "")],
            "communities": communities}


def not_sampled(session: Session, rnd: TestingRound, *, limit: int = 100, offset: int = 0) -> list[Person]:
    """不漏一人: people of the round's area with no swab in it yet."""
    swabbed = select(Sample.person_fk).where(Sample.round_fk == rnd.id, Sample.person_fk == Person.id).exists()
    return list(session.scalars(select(Person).where(_in_area(rnd), ~swabbed).order_by(Person.person_id)
                                .limit(limit).offset(offset)))


def _seconds(session: Session, a, b):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", b - a)
    return (func.julianday(b) - func.julianday(a)) * 86400.0


def turnaround(session: Session, *, round_id: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> list[dict]:
    """Hours per stage (采→送, 送→检, 检→报, and sample → report) per lab: count, p50, p90, p99, max."""
    cols = {"sampled_at": Tube.sampled_at, "received_at": LabResult.received_at, "tested_at": LabResult.tested_at,
            "reported_at": LabResult.reported_at}
    q = (select(func.coalesce(Lab.lab_id, ""), *(_seconds(session, cols[a], cols[b]) for _, a, b in STAGES))
         .select_from(LabResult).join(Tube, Tube.id == LabResult.tube_fk).outerjoin(Lab, Lab.id == LabResult.lab_fk))
    if round_id:
        q = q.join(TestingRound, TestingRound.id == Tube.round_fk).where(TestingRound.round_id == round_id)
    if since:
        q = q.where(LabResult.reported_at >= since)
    if until:
        q = q.where(LabResult.reported_at < until)
    per_lab: dict[str, list] = {}
    for row in session.execute(q):
        per_lab.setdefault(row[0], []).append(row[1:])
    out = []
    for lab, values in sorted(per_lab.items()):
        arr = np.array(values, dtype=float) / 3600.0
        for i, (stage, _, _) in enumerate(STAGES):
            col = arr[:, i][~np.isnan(arr[:, i])]
            if col.size:
                p50, p90, p99 = np.percentile(col, [50, 90, 99])
                out.append({"lab_id": lab or None, "stage": stage, "count": int(col.size), "p50_h": round(float(p50), 3),
                            "p90_h": round(float(p90), 3), "p99_h": round(float(p99), 3),
                            "max_h": round(float(col.max()), 3)})
    return out


def environmental_counts(session: Session, day: date, *, tz: ZoneInfo) -> dict[str, int]:
    """Environmental (物表) samples taken up to the end of the day and their results (for the bulletin)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    base = (select(func.count(Tube.id).label("n"), LabResult.result)
            .outerjoin(LabResult, and_(LabResult.tube_fk == Tube.id, LabResult.reported_at < end))
            .where(Tube.kind == TubeKind.ENVIRONMENT, Tube.sampled_at < end).group_by(LabResult.result))
    by = {r: n for n, r in session.execute(base)}
    new = session.scalar(select(func.count(Tube.id)).where(Tube.kind == TubeKind.ENVIRONMENT,
                                                           Tube.sampled_at >= start,
                                                           Tube.sampled_at < end)) or 0
    return {"total": sum(by.values()), "new": new, "negative": by.get("negative", 0),
            "weak_positive": by.get("weak_positive", 0), "positive": by.get("positive", 0),
            "pending": by.get(None, 0) + by.get("invalid", 0) + by.get("suspected", 0)}
