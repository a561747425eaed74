"""Commander's dashboard figures beyond the bulletin: epi curve and risk persons by category × measure."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.cases.models import DECLARED, Case
from fangkong.contacts.models import RiskPerson
from fangkong.measures.models import Measure, MeasureStatus
from fangkong.protocol.edition import CATEGORIES
from fangkong.reports.service import CONTROL_KINDS, day_bounds, strictest_at

__all__ = ["epi_curve", "category_by_measure", "people_by_category_and_measure"]


def epi_curve(session: Session, *, until: date, days: int, tz: ZoneInfo) -> list[dict]:
    """New cases per day for the `days` days ending on `until`: found in the community vs under control."""
    under = (select(Measure.id).where(Measure.person_fk == Case.person_fk, Measure.kind.in_(CONTROL_KINDS),
                                      Measure.status.in_((MeasureStatus.ACTIVE, MeasureStatus.BECAME_CASE)),
                                      Measure.start_at <= Case.declared_at, Measure.end_at > Case.declared_at)
             .exists())
    rows = session.execute(select(Case.declared_at, under).where(Case.status.in_(DECLARED),
                                                                 Case.declared_at.is_not(None)))
    counts: Counter = Counter()
    for declared, ctrl in rows:
        counts[(declared.astimezone(tz).date(), bool(ctrl))] += 1
    first = until - timedelta(days=days - 1)
    return [{"day": (first + timedelta(days=i)).isoformat(),
             "community": counts[(first + timedelta(days=i), False)],
             "control": counts[(first + timedelta(days=i), True)]} for i in range(days)]


def category_by_measure(session: Session) -> dict[str, dict[str, int]]:
    """Risk persons (one row per case and person) by category and their current measure, one GROUP BY."""
    q = (select(RiskPerson.category, Measure.kind, func.count())
         .outerjoin(Measure,
                    (Measure.person_fk == RiskPerson.person_fk) & (Measure.status == MeasureStatus.ACTIVE))
         .group_by(RiskPerson.category, Measure.kind))
    out: dict[str, dict[str, int]] = {}
    for cat, kind, n in session.execute(q):
        out.setdefault(cat, {})[kind or "none"] = n
    return out


def people_by_category_and_measure(session: Session, day: date, *, tz: ZoneInfo) -> tuple[dict[str, dict[str, int]], int]:
    """The overview's risk-person chart, on the bulletin's reading (issue 25: one set of figures): the people
    traced by the day's end, each once under their highest category (as the bulletin's 追踪管控风险人员 line), by
    the strictest measure in force on them at D 24:00 ("none" when none is, or they are not placed yet). Each
    category's row adds up to the bulletin's figure for it. Also the per-case records behind them (条): a
    person found by two cases is two records and one person."""
    _, end = day_bounds(day, tz)
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    best: dict[str, list] = {}  # who → [highest category's rank, their person]
    records = 0
    for who, person_fk, cat in session.execute(select(RiskPerson.who, RiskPerson.person_fk, RiskPerson.category)
                                               .where(RiskPerson.found_at < end)):
        records += 1
        held = best.setdefault(who, [len(CATEGORIES), None])
        held[0] = min(held[0], rank.get(cat, len(CATEGORIES)))
        held[1] = held[1] if held[1] is not None else person_fk
    strictest, _ = strictest_at(session, end, tz)
    out: dict[str, dict[str, int]] = {}
    for r, person_fk in best.values():
        if r >= len(CATEGORIES):
            continue
        kind = strictest.get(person_fk, "none") if person_fk is not None else "none"
        row = out.setdefault(CATEGORIES[r], {})
        row[kind] = row.get(kind, 0) + 1
    return out, records
