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
from fangkong.reports.service import CONTROL_KINDS

__all__ = ["epi_curve", "category_by_measure"]


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
