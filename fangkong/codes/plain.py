"""`fangkong codes show` without the ORM (issue 27, start-up < 0.5 s): one person's rows read with the DB-API
(db.plain), the settings it needs read from the environment, and the colour derived by the same rules as
codes.service.person_code (protocol.obligations, protocol.codes.code_colour). Whatever this path does not decide
the same way by itself answers None, and the command takes the ORM path: a drill clock (FANGKONG_NOW), a store
not at head or not read plainly, an obligation past its nominal end whose end needs its results (and maybe the
close contacts' results: measures.obligations.met_by_results)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fangkong import defaults
from fangkong.db.plain import NotPlain, connect, day, instant
from fangkong.errors import NotFound
from fangkong.protocol.codes import Code, code_colour
from fangkong.protocol.edition import load_edition
from fangkong.protocol.obligations import (
    case_obligations,
    measure_in_force,
    measure_obligation,
    measure_overdue,
    obligation_reasons,
    pending_test_reason,
    zone_reasons,
)

__all__ = ["PlainCode", "person_code"]

#: settings this path reads itself; any other FANGKONG_ variable leaves it alone (FANGKONG_NOW: the drill clock)
_READ = {"FANGKONG_DATABASE_URL", "FANGKONG_EDITION", "FANGKONG_TZ"}


@dataclass(frozen=True)
class PlainCode:
    person_id: str
    code: Code
    tz: ZoneInfo


def _environment() -> tuple[str, str, ZoneInfo] | None:
    """(database URL, edition, zone) as fangkong.settings reads them, or None when another setting could change
    the answer (the drill clock) or a name is not the upper-case one pydantic-settings would also read."""
    for name in os.environ:
        if name.upper().startswith("FANGKONG_") and (name != name.upper() or name == "FANGKONG_NOW"):
            return None
    return (os.environ.get("FANGKONG_DATABASE_URL", defaults.DATABASE_URL),
            os.environ.get("FANGKONG_EDITION", defaults.EDITION), ZoneInfo(os.environ.get("FANGKONG_TZ", defaults.TZ)))


def person_code(person_id: str) -> PlainCode | None:
    """A person's colour right now as codes.service.person_code derives it, or None (take the ORM path)."""
    env = _environment()
    if env is None:
        return None
    url, edition_name, tz = env
    try:
        store = connect(url)
    except NotPlain:
        return None
    try:
        return _derive(store, person_id, edition_name, tz, datetime.now(UTC))
    except store.Error:
        return None   # locked, a connection lost: the ORM path reads it as it always did
    finally:
        store.close()


def _times(rows, *names):
    for r in rows:
        for n in names:
            setattr(r, n, instant(getattr(r, n)))
    return rows


def _derive(store, person_id: str, edition_name: str, tz: ZoneInfo, now: datetime) -> PlainCode | None:
    found = store.rows("SELECT id, person_id FROM person WHERE person_id = ?", (person_id,)) or store.rows(
        "SELECT p.id, p.person_id FROM person p JOIN person_source_key k ON k.person_fk = p.id WHERE k.key = ?",
        (person_id,))
    if not found:
        raise NotFound(f"unknown person {person_id!r}", key="err_unknown_person", params={"person": person_id})
    fk = found[0].id
    cases = _times(store.rows('SELECT id, person_fk, status, case_no, reported_at, declared_at FROM "case" '
                              "WHERE person_fk = ? ORDER BY id", (fk,)), "reported_at", "declared_at")
    stays = _times(store.rows('SELECT a.case_fk, a.admitted_at, a.discharged_at, a.id FROM hospital_admission a '
                              'JOIN "case" c ON c.id = a.case_fk WHERE c.person_fk = ?', (fk,)),
                   "admitted_at", "discharged_at")
    measures = _times(store.rows(
        "SELECT id, person_fk, category, kind, start_at, end_at, ended_at, source_kind, source_ref, needs_results, "
        "case_fk FROM measure WHERE person_fk = ? ORDER BY id", (fk,)), "start_at", "end_at", "ended_at")
    in_force = [m for m in measures if measure_in_force(m, now)]
    if any(measure_overdue(m, now) for m in in_force):
        return None  # whether its results met the end condition: measures.obligations.met_by_results decides
    obligations = [o for _, o in case_obligations(cases, stays, now)] + [measure_obligation(m, now) for m in in_force]
    reasons = obligation_reasons(obligations)
    # the earliest pending test of a measure not ended (and started): codes.service.reasons_for
    dues = [day(r.due_date) for r in _times(store.rows(
        "SELECT t.due_date, m.start_at FROM test_task t JOIN measure m ON m.id = t.measure_fk "
        "WHERE t.person_fk = ? AND t.result = 'pending' AND m.ended_at IS NULL", (fk,)), "start_at")
        if r.start_at <= now]
    if dues:
        reasons.append(pending_test_reason(min(dues), today=now.astimezone(tz).date(), tz=tz))
    levels = [r.level for r in store.rows("SELECT z.level FROM zone_resident r JOIN zone z ON z.id = r.zone_fk "
                                          "WHERE r.person_fk = ? AND z.status = 'approved'", (fk,))]
    if levels:
        reasons.extend(zone_reasons(levels))
    return PlainCode(found[0].person_id, code_colour(load_edition(edition_name), reasons, now), tz)
