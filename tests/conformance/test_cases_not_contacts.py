"""Rule: a case is never a risk person (DOMAIN.md §5). A declared case met by another case's trace is a chain
edge (likely source), with no measure, room, transfer or door check, and is not counted as 密接; declaring a
case ends the person's contact obligations (issue 23, reproduction 1)."""

from __future__ import annotations

import json

from conformance.scenario import at, code, obligations, ok
from sqlalchemy import func, select
from test_flow import city

from fangkong.contacts import chains
from fangkong.contacts.models import RiskPerson
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person
from fangkong.tasks.models import Task


def test_a_case_met_by_another_cases_trace_is_a_chain_edge_not_a_contact(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    first = ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at", "2022-03-11T20:00")
    ok("trace", first)
    assert obligations("P00003") == [("close", "centralized_isolation", None)]
    # P00003 (close contact of the first) tests positive: his trace meets P00001 at V1, already a case
    at(monkeypatch, "2022-03-12T21:00+08:00")
    second = ok("case", "declare", "P00003", "--sampled-at", "2022-03-12T08:00")
    doc = json.loads(ok("trace", second, "--format", "json"))
    assert "P00001" not in {r["person_id"] for r in doc["risk_persons"]}
    assert "P00004" in {r["person_id"] for r in doc["risk_persons"]}  # the others met are still contacts
    with unit_of_work() as s:
        p1 = s.scalar(select(Person.id).where(Person.person_id == "P00001"))
        assert s.scalar(select(func.count(RiskPerson.id)).where(RiskPerson.person_fk == p1)) == 0
        kinds = set(s.scalars(select(Task.kind).where(Task.person_fk == p1)))
        assert kinds <= {"case_transfer"}  # no door check, no transfer to a site, no room task
        edges = {(e.source, e.target, e.category) for e in chains.chains(s).edges}
        assert (first, second, "close") in edges
    assert obligations("P00001", active_only=False) == []
    assert code("P00001")["reasons"] == ["case"]
    # declaring P00003 ended his contact obligation (became_case); his code is the case's
    assert obligations("P00003", active_only=False) == [("close", "centralized_isolation", "became_case")]
    assert code("P00003") == {"colour": "red", "reasons": ["case"], "changes_at": None}


def test_whom_a_case_met_is_not_another_cases_secondary_contact(rollback_env, tmp_path, monkeypatch):
    """P00002, household member of the case P00001, is declared too: P00001 is a chain edge of his trace, so the
    people P00001 met (his own close contacts, P00003 at V1) are not P00002's secondary contacts, and P00003, met
    by P00003's trace through P00001, does not make P00002 his (issue 23: cases are never risk persons, and
    nobody is found through one)."""
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    at(monkeypatch, "2022-03-11T21:15+08:00")
    doc = json.loads(ok("trace", ok("case", "declare", "P00002", "--sampled-at", "2022-03-11T08:00"), "--format",
                        "json"))
    assert doc["risk_persons"] == []
    assert obligations("P00003") == [("close", "centralized_isolation", None)]  # no secondary one beside it
    at(monkeypatch, "2022-03-12T21:00+08:00")
    doc = json.loads(ok("trace", ok("case", "declare", "P00003", "--sampled-at", "2022-03-12T08:00"), "--format",
                        "json"))
    assert {r["person_id"]: r["category"] for r in doc["risk_persons"]} == {"P00004": "close", "P00006": "close",
                                                                         "P00005": "overlap"}


def test_a_case_met_only_in_a_grid_cell_is_a_companion_chain_edge(rollback_env, tmp_path, monkeypatch):
    """A bad day: P00007, whose phone shared a cell with P00001's for an hour (a space-time companion,
    nothing closer), is declared the same day. Tracing P00001 then stores him as a chain edge of category
    companion, not as a risk person (bench/trace.py at 200 000 persons with 30 declared: the baseline, which
    knew nothing of cases, counted 3 such cases as companions)."""
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    first = ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
               "2022-03-11T20:00")
    other = ok("case", "declare", "P00007", "--sampled-at", "2022-03-11T09:00")
    doc = json.loads(ok("trace", first, "--format", "json"))
    found = {r["person_id"]: r["category"] for r in doc["risk_persons"]}
    assert "P00007" not in found and found["P00003"] == "close"  # the others are contacts as before
    with unit_of_work() as s:
        edges = {(e.source, e.target, e.category) for e in chains.chains(s).edges}
    assert edges == {(first, other, "companion")}  # the earlier-declared case is the likely source (rules.md)


def test_the_bulletin_does_not_count_a_case_met_as_a_contact(rollback_env, tmp_path, monkeypatch):
    """Reproduction 1, the bulletin's part: the index case met by the second case's trace was counted under 密接,
    集中隔离 and 结果待出."""
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    at(monkeypatch, "2022-03-12T21:00+08:00")
    ok("trace", ok("case", "declare", "P00003", "--sampled-at", "2022-03-12T08:00"))
    at(monkeypatch, "2022-03-13T08:00+08:00")
    d12 = json.loads(ok("reports", "bulletin", "--date", "2022-03-12", "--format", "json", "--draft"))
    # P00002 and P00003 (the first trace), P00004 and P00006 (close of the second); P00001 is no one's contact
    assert d12["traced_by_category"] == {"close": 4, "secondary": 0, "companion": 1, "overlap": 1}
    assert d12["traced_total"] == 6
    assert d12["tests_negative"] + d12["tests_positive"] + d12["tests_pending"] == 6
    # in centralized isolation at 03-12 24:00: P00002, P00004, P00006 (P00003 left his for the hospital)
    assert d12["isolation_in_site"] == 3
