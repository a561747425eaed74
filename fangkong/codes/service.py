"""Health-code services: gather a person's statuses, derive the colour, keep the latest and the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from fangkong.codes.models import CodeColour, HealthCode, HealthCodeChange
from fangkong.codes.recolour import _forget_changed, _recompute_changed, install_recolour  # noqa: F401 - here for api, cli, tests
from fangkong.db.sets import chunks, one_of
from fangkong.measures import obligations as obligation_service
from fangkong.measures.models import Measure, MeasureCategory, TestResult, TestTask
from fangkong.people.lookup import get_person
from fangkong.protocol.codes import Code, Reason, code_colour
from fangkong.protocol.edition import Edition
from fangkong.protocol.obligations import (
    ZONE_REASONS,
    obligation_reasons,
    pending_test_reason,
    reasons_json,
    zone_reasons,
)
from fangkong.zones.residence import residence_levels

__all__ = ["CodeView", "reasons_for", "recompute", "refresh", "person_code", "colour_counts", "ZONE_REASONS",
           "install_recolour"]

_ARRIVAL = {MeasureCategory.ARRIVAL_HIGH, MeasureCategory.ARRIVAL_MEDIUM, MeasureCategory.ARRIVAL_LOW,
            MeasureCategory.SEALED_RESIDENT}


@dataclass
class CodeView:
    person_id: str
    colour: str
    reasons: list[dict]
    changes_at: datetime | None
    computed_at: datetime


def reasons_for(session: Session, person_fks: list[int], *, now: datetime, tz: ZoneInfo) -> dict[int, list[Reason]]:
    """Every reason that can colour a code, per person, from the obligations in force at `now` (measures.
    obligations.in_force): open cases; each measure in force, until its nominal end (the earliest instant it
    can end), or with no end and a `release_overdue` note once past it while its results are not all in and
    negative (nothing whose end needs results ends by time alone); overdue tests of the obligations in force
    (and the next test that will be overdue if not taken); residence in an approved zone."""
    # the rules: protocol.obligations, as the plain read of `codes show` applies them (codes.plain)
    out: dict[int, list[Reason]] = {fk: [] for fk in person_fks}
    today = now.astimezone(tz).date()
    for fk, obligations in obligation_service.in_force(session, person_fks, now, tz=tz).items():
        out[fk].extend(obligation_reasons(obligations))
    for part in chunks(sorted(set(person_fks))):
        pending = (select(TestTask.person_fk, func.min(TestTask.due_date)).join(Measure)
                   .where(one_of(session, TestTask.person_fk, part), TestTask.result == TestResult.PENDING,
                          Measure.ended_at.is_(None),
                          Measure.start_at <= now)
                   .group_by(TestTask.person_fk))
        for fk, due in session.execute(pending):
            out[fk].append(pending_test_reason(due, today=today, tz=tz))
        for fk, levels in residence_levels(session, list(part)).items():
            out[fk].extend(zone_reasons(levels))
    return out


def _as_json(code: Code, tz: ZoneInfo) -> list[dict]:
    return reasons_json(code.reasons, tz)


def recompute(session: Session, person_fks: list[int], *, edition: Edition, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Recompute and store the codes of these persons; a change of colour or reasons is kept in history.

    Written as columns, not ORM objects (a bad day recolours tens of thousands: the unit of work's flush of one
    object per code and per history row cost as much as computing them): the stored codes are read as
    columns, the unchanged ones get `computed_at` in one UPDATE per slice, the changed ones one executemany
    UPDATE, the new ones and the history one executemany INSERT each. Codes of these persons already loaded
    in the session are expired, so they read back what was written."""
    session.flush()
    table, history = HealthCode.__table__, HealthCodeChange.__table__
    fks = sorted(set(person_fks))
    stored: dict[int, tuple[str, list]] = {}
    for part in chunks(fks):
        stored.update((fk, (colour, reasons)) for fk, colour, reasons in session.execute(
            select(table.c.person_fk, table.c.colour, table.c.reasons).where(one_of(session, table.c.person_fk, part))))
    counts = {"red": 0, "yellow": 0, "green": 0, "changed": 0}
    same: list[int] = []
    changed: list[dict] = []
    added: list[dict] = []
    log: list[dict] = []
    for fk, reasons in reasons_for(session, person_fks, now=now, tz=tz).items():
        code = code_colour(edition, reasons, now)
        reasons_json = _as_json(code, tz)
        counts[code.colour] += 1
        old = stored.get(fk)
        if old is None and code.colour == CodeColour.GREEN:
            continue
        if old is not None and old[0] == code.colour and old[1] == reasons_json:
            same.append(fk)
            continue
        if old is None:
            added.append({"person_fk": fk, "colour": code.colour, "reasons": reasons_json,
                          "changes_at": code.changes_at, "computed_at": now})
        else:
            changed.append({"fk": fk, "colour": code.colour, "reasons": reasons_json, "changes_at": code.changes_at})
        log.append({"person_fk": fk, "colour": code.colour, "reasons": reasons_json, "at": now})
        counts["changed"] += 1
    for part in chunks(same):
        session.execute(update(table).where(one_of(session, table.c.person_fk, part)).values(computed_at=now))
    if changed:
        session.execute(update(table).where(table.c.person_fk == bindparam("b_fk")).values(
            colour=bindparam("b_colour"), reasons=bindparam("b_reasons"), changes_at=bindparam("b_changes_at"),
            computed_at=now), [{f"b_{k}": v for k, v in r.items()} for r in changed])
    if added:
        session.execute(insert(table), added)
    if log:
        session.execute(insert(history), log)
    mapper = inspect(HealthCode)
    for fk in [*same, *(r["fk"] for r in changed)]:
        obj = session.identity_map.get(mapper.identity_key_from_primary_key((fk,)))
        if obj is not None:
            session.expire(obj)
    return counts


def person_code(session: Session, person_id: str, *, edition: Edition, now: datetime, tz: ZoneInfo) -> CodeView:
    """A person's colour right now, derived live from their records (never a stale stored colour)."""
    person = get_person(session, person_id)
    code = code_colour(edition, reasons_for(session, [person.id], now=now, tz=tz)[person.id], now)
    return CodeView(person_id=person.person_id, colour=code.colour, reasons=_as_json(code, tz),
                    changes_at=code.changes_at, computed_at=now)


def refresh(session: Session, *, edition: Edition, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Recompute the codes that time has changed: a stored colour whose `changes_at` has passed, and anyone
    with a test now overdue (run it periodically, e.g. every few minutes, so stored codes never go stale)."""
    due = set(session.scalars(select(HealthCode.person_fk).where(HealthCode.changes_at <= now)))
    today = now.astimezone(tz).date()
    due.update(session.scalars(select(TestTask.person_fk).join(Measure).where(
        TestTask.result == TestResult.PENDING, TestTask.due_date < today,
        Measure.ended_at.is_(None)).distinct()))
    return recompute(session, sorted(due), edition=edition, now=now, tz=tz)


def colour_counts(session: Session) -> dict[str, int]:
    rows = {k: v for k, v in session.execute(select(HealthCode.colour, func.count()).group_by(HealthCode.colour))}
    return {c: rows.get(c, 0) for c in ("red", "yellow")}
