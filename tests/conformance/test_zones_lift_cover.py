"""Reproduction 7, second half (issue 23): a round covers the zone's residents only when each is tested or accounted
for with a reason (moved out, in hospital, in isolation elsewhere, died, not found; a resident who is a case is
accounted for as such), and lifting checks every risk person living in the zone, whatever their evidence: one whose
obligation still needs results blocks it, named in the refusal. Edition 9 (PROTOCOL-NOTES §3: 7 clean days and an
all-negative round on day 7 → 中风险区, 3 more clean days → lifted), through the CLI."""

from __future__ import annotations

import json

from builders.city import person, venue, write_city
from clihelp import fk
from conformance.scenario import at, code, ok, scheduled

HOME = "龙城花园"


def city(folder):
    """Six people in the compound: the case P00001, his household P00002 (a close contact), P00003–P00006; P00007
    lives elsewhere and met the case at a shop (an overlap, whose evidence is no place of the zone)."""
    addr = lambda b: f"太原市迎泽区{HOME}{b}号楼1单元101室"
    persons = [person(1, household="H1", address=addr(1)), person(2, household="H1", address=addr(1)),
               *(person(i, address=addr(i)) for i in range(3, 7)), person(7, address="太原市迎泽区迎泽街7号")]
    venues = [dict(venue("VHOME", "residential", 37.870, 112.550), name=HOME), venue("VSHOP", "shop", 37.86, 112.54)]
    visits = [{"person_id": p, "venue_id": "VSHOP", "enter_at": t, "leave_at": ""}
              for p, t in (("P00001", "2022-03-10T18:00"), ("P00007", "2022-03-10T18:40"))]
    return write_city(folder, persons, venues, visits, [])


def _sealed() -> str:
    return next(z["zone_id"] for z in json.loads(ok("zones", "list", "--format", "json")) if z["level"] == "sealed")


def test_a_round_covers_each_resident_tested_or_accounted_for_and_lifting_waits_for_residents_results(
        rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    zone = _sealed()
    at(monkeypatch, "2022-03-12T09:00+08:00")
    assert "6 residents" in fk("zones", "approve", zone, "--by", "王指挥").stderr
    # day 7 is 03-19: a round that tested 3 of the 6 residents (the case, in hospital, is accounted for as such)
    at(monkeypatch, "2022-03-19T20:00+08:00")
    ok("zones", "round", zone, "--day", "2022-03-19", "--tested", "3", "--by", "检测组")
    at(monkeypatch, "2022-03-20T10:00+08:00")
    r = fk("zones", "lift", zone, "--by", "王指挥")
    assert r.exit_code == 1 and ("the round of 2022-03-19 tested 3 of the zone's 6 residents and accounted for 1: "
                                 "every resident must be tested or accounted for with a reason") in r.output
    # accounting: reasons are a fixed list; only residents; never overwritten
    r = fk("zones", "absent", zone, "P00005", "--day", "2022-03-19", "--reason", "away")
    assert r.exit_code == 1 and "must be one of moved_out, in_hospital, isolated_elsewhere, died, not_found" in r.output
    r = fk("zones", "absent", zone, "P00007", "--day", "2022-03-19", "--reason", "moved_out")
    assert r.exit_code == 1 and "P00007 is not a resident of zone" in r.output
    ok("zones", "absent", zone, "P00005", "--day", "2022-03-19", "--reason", "in_hospital", "--note", "省人民医院")
    r = fk("zones", "absent", zone, "P00005", "--day", "2022-03-19", "--reason", "died")
    assert r.exit_code == 1 and "already accounted for in the round of 2022-03-19" in r.output
    r = fk("zones", "lift", zone, "--by", "王指挥")
    assert r.exit_code == 1 and "tested 3 of the zone's 6 residents and accounted for 2" in r.output
    ok("zones", "absent", zone, "P00006", "--day", "2022-03-19", "--reason", "moved_out")
    assert [(a["person_id"], a["reason"]) for a in json.loads(ok("zones", "absences", zone, "--format", "json"))] == [
        ("P00005", "in_hospital"), ("P00006", "moved_out")]
    ok("zones", "lift", zone, "--by", "王指挥")  # lowered to 管控区（中风险区）
    assert json.loads(ok("zones", "risk-areas", "--format", "json"))[0]["risk"] == "medium"
    # 3 more clean days: met at 03-23 00:00, but P00002 (a close contact living here, 7 + 3 days) lacks results
    at(monkeypatch, "2022-03-23T01:00+08:00")
    r = fk("zones", "lift", zone, "--by", "王指挥")
    assert r.exit_code == 1 and ("cannot be lifted yet: 1 risk person living in the zone still needs results: "
                                 "P00002 (close of C000001, overdue)") in r.output
    assert code("P00002")["colour"] == "red" and "release_overdue" in code("P00002")["reasons"]
    for test_id, *_ in scheduled("P00002"):
        ok("measures", "result", str(test_id), "negative")
    # a risk person living outside the zone does not hold it: P00007 (an overlap at the shop) still lacks results
    assert "release_overdue" in code("P00007")["reasons"]
    ok("zones", "lift", zone, "--by", "王指挥")
    assert json.loads(ok("zones", "risk-areas", "--format", "json")) == []
    assert code("P00002")["colour"] == "green"


def test_a_derived_round_names_the_residents_it_did_not_test(rollback_env, tmp_path, monkeypatch):
    """The residents' own daily zone tests make the round; a resident with no test that day (his zone measure was
    ended: he moved out) is named until he is accounted for."""
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    zone = _sealed()
    at(monkeypatch, "2022-03-12T09:00+08:00")
    ok("zones", "approve", zone, "--by", "王指挥")
    from sqlalchemy import select

    from fangkong.kit.clikit import unit_of_work
    from fangkong.measures.models import Measure, TestTask
    from fangkong.people.models import Person

    with unit_of_work() as s:  # P00006's zone tests from 03-15 on are dropped (he left on 03-14)
        for t in s.scalars(select(TestTask).join(Measure).join(Person, Person.id == Measure.person_fk).where(
                Person.person_id == "P00006", Measure.category == "sealed_resident")):
            if t.due_date.day >= 15:
                s.delete(t)
    at(monkeypatch, "2022-03-19T21:00+08:00")
    for pid in ("P00002", "P00003", "P00004", "P00005", "P00006"):
        for test_id, due, result, _ in scheduled(pid):
            if due <= "2022-03-19" and result == "pending":
                ok("measures", "result", str(test_id), "negative")
    at(monkeypatch, "2022-03-20T10:00+08:00")
    r = fk("zones", "lift", zone, "--by", "王指挥")
    assert r.exit_code == 1 and ("the round of 2022-03-19 tested 4 of the zone's 6 residents and accounted for 1: "
                                 "every resident must be tested or accounted for with a reason (not tested, no "
                                 "reason recorded: P00006)") in r.output
    ok("zones", "absent", zone, "P00006", "--day", "2022-03-19", "--reason", "moved_out")
    ok("zones", "lift", zone, "--by", "王指挥")
