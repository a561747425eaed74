"""Helpers of the protocol conformance scenarios: run events at given instants through the CLI, read what a user
sees (the health code as `fangkong codes show` prints it) and the obligations on record."""

from __future__ import annotations

import json

from clihelp import fk, set_clock
from sqlalchemy import select

from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.people.models import Person


def at(monkeypatch, when: str) -> None:
    """What follows happens at `when` (local time of the deployment, Asia/Shanghai in the tests)."""
    set_clock(monkeypatch, when)


def ok(*args: str) -> str:
    r = fk(*args)
    assert r.exit_code == 0, r.output
    return r.stdout.strip()


def code(person_id: str) -> dict:
    """The person's code now by the clock: {"colour", "reasons" (labels), "changes_at"}."""
    doc = json.loads(ok("codes", "show", person_id, "--format", "json"))
    return {"colour": doc["colour"], "reasons": sorted(r["label"] for r in doc["reasons"]),
            "changes_at": doc["changes_at"]}


def obligations(person_id: str, *, active_only: bool = True) -> list[tuple[str, str, str | None]]:
    """(category, kind, end_reason) of the person's measure rows, oldest first."""
    with unit_of_work() as s:
        q = (select(Measure.category, Measure.kind, Measure.end_reason).join(Person, Person.id == Measure.person_fk)
             .where(Person.person_id == person_id).order_by(Measure.id))
        if active_only:
            q = q.where(Measure.ended_at.is_(None))
        return [tuple(r) for r in s.execute(q)]


def scheduled(person_id: str) -> list[tuple[int, str, str, int | None]]:
    """(test id, due date, result, re-sample of) of the person's tests under obligations in force, by due date."""
    from fangkong.measures.models import TestTask

    with unit_of_work() as s:
        q = (select(TestTask.id, TestTask.due_date, TestTask.result, TestTask.resample_of)
             .join(Measure, Measure.id == TestTask.measure_fk).join(Person, Person.id == Measure.person_fk)
             .where(Person.person_id == person_id, Measure.ended_at.is_(None))
             .order_by(TestTask.due_date, TestTask.id))
        return [(i, d.isoformat(), r, of) for i, d, r, of in s.execute(q)]
