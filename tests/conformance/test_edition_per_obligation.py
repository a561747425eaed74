"""Rule (docs/rules.md, "A switch of edition"; issue 23 "as of" edges): when the deployment switches edition, an
obligation keeps the period and test days fixed at its start (its row), and its end condition is read under the
edition in force at the instant, by its code and by its release alike. The 8th edition's secondary contact waits for
no one's tests; the 9th's waits for his close contact's first two. After a switch from 8 to 9, his code read his
row's edition (green at his nominal end) while release-due read the deployment's and refused him (issue 23: the
code and the release verdict must agree). A new obligation (an upgrade) follows the edition in force at its start.

tests/test_flow.py's city, traced under the 8th edition on 03-11 at 21:00: P00003 is a close contact (tests on
03-11, 14, 17, 24, ...), P00004 a secondary contact through him (7 days centralized until 03-18 00:00; tests on
03-11, 14 and 17)."""

from __future__ import annotations

from conformance.scenario import at, code, obligations, ok, scheduled
from sqlalchemy import select
from test_flow import city

from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.people.models import Person


def _traced_under_8(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FANGKONG_EDITION", "8")
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    assert obligations("P00004") == [("secondary", "centralized_isolation", None)]


def test_after_a_switch_the_code_and_the_release_read_the_same_editions_rule(env, tmp_path, monkeypatch):
    _traced_under_8(tmp_path, monkeypatch)
    day1, day4, *_ = scheduled("P00003")
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("measures", "result", str(day1[0]), "negative")
    for test_id, _, _, _ in scheduled("P00004"):
        ok("measures", "result", str(test_id), "negative")
    monkeypatch.setenv("FANGKONG_EDITION", "9")   # the 9th edition comes into force
    at(monkeypatch, "2022-03-18T01:00+08:00")     # his own period and tests are done; P00003's day-4 test is not
    held = {"colour": "yellow", "reasons": ["release_overdue", "secondary"], "changes_at": None}
    assert code("P00004") == held
    ok("measures", "release-due")
    assert obligations("P00004") == [("secondary", "centralized_isolation", None)]  # refused, as his code says
    ok("measures", "result", str(day4[0]), "negative")
    at(monkeypatch, "2022-03-18T02:00+08:00")
    assert code("P00004")["colour"] == "green"
    ok("measures", "release-due")
    assert obligations("P00004") == []


def test_an_upgrade_after_the_switch_follows_the_new_edition(env, tmp_path, monkeypatch):
    """The 8th edition upgrades no one; after the switch to the 9th, the close contact's positive first test upgrades
    his secondary contact, under the 9th edition's close-contact measure (its row says so)."""
    _traced_under_8(tmp_path, monkeypatch)
    monkeypatch.setenv("FANGKONG_EDITION", "9")
    at(monkeypatch, "2022-03-12T10:00+08:00")
    day1, *_ = scheduled("P00003")
    ok("measures", "result", str(day1[0]), "positive")
    assert obligations("P00004") == [("close", "centralized_isolation", None)]
    with unit_of_work() as s:
        m = s.scalar(select(Measure).join(Person, Person.id == Measure.person_fk)
                     .where(Person.person_id == "P00004", Measure.ended_at.is_(None)))
        assert (m.edition, m.category) == ("9", "close")
