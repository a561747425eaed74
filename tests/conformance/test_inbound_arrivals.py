"""Reproduction 11 (issue 23): no inbound-traveller measure, no 境外输入 / 本土 split in the bulletin, and the 8th
edition's release without 双采双检. Now an inbound traveller registered (`fangkong inputs import inbound_arrivals`,
`POST /api/inbound-arrivals`) is placed under the edition's `inbound` measure from entry: 7 days centralized + 3
days home health monitoring (edition 9), 14 + 7 with two samples tested on day 14 before release (edition 8), 5
days centralized + 3 days home isolation (the 20 measures) (PROTOCOL-NOTES §2, DOMAIN.md §5). A case sampled while
that obligation is in force, or declared `--imported`, is 境外输入 in the bulletin; the rest are 本土, split into
社会面 / 隔离管控中发现 as before, and only a local case found in the community restarts 社会面清零 (§10)."""

from __future__ import annotations

import json

from builders.city import write_csv
from clihelp import fk
from conformance.scenario import at, code, obligations, ok, scheduled
from sqlalchemy import select
from test_flow import city

from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.people.models import Person

COLS = ["person_id", "from_country", "entered_at", "port", "flight"]


def _arrivals(folder, rows):
    return write_csv(folder / "inbound_arrivals.csv", [
        {"person_id": p, "from_country": "新加坡", "entered_at": t, "port": "太原武宿国际机场", "flight": "CZ358"}
        for p, t in rows], COLS)


def _figures(day: str) -> dict:
    return json.loads(ok("reports", "bulletin", "--date", day, "--format", "json", "--draft"))


def _measure_id(person_id: str) -> int:
    with unit_of_work() as s:
        return s.scalar(select(Measure.id).join(Person, Person.id == Measure.person_fk)
                        .where(Person.person_id == person_id, Measure.ended_at.is_(None)))


def _day_tests(person_id: str, day: str) -> list[int]:
    return [i for i, d, _, _ in scheduled(person_id) if d == day]


def test_ninth_edition_seven_plus_three_and_the_bulletin_split(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("import", city(tmp_path / "city"))
    path = _arrivals(tmp_path, [("P00006", "2022-03-11T15:00"), ("P00007", "2022-03-12T08:00")])
    ok("inputs", "import", "inbound_arrivals", path)
    assert obligations("P00006") == [("inbound", "centralized_isolation", None)]
    # from entry on 03-11: 7 days centralized (until 03-18 24:00) + 3 days home health monitoring
    assert code("P00006") == {"colour": "red", "reasons": ["inbound"], "changes_at": "2022-03-22T00:00:00+08:00"}
    # tests as close contacts: days 1, 2, 3, 5, 7 and monitoring day 3
    assert [d for _, d, _, _ in scheduled("P00006")] == ["2022-03-12", "2022-03-13", "2022-03-14", "2022-03-16",
                                                         "2022-03-18", "2022-03-21"]
    # the same file again changes nothing; a bad row is reported with its line, the others kept
    ok("inputs", "import", "inbound_arrivals", path)
    assert obligations("P00006") == [("inbound", "centralized_isolation", None)]
    bad = write_csv(tmp_path / "bad" / "inbound_arrivals.csv", [
        {"person_id": "P09999", "from_country": "新加坡", "entered_at": "2022-03-11T15:00"},
        {"person_id": "P00005", "from_country": "", "entered_at": "2022-03-11T15:00"},
        {"person_id": "P00005", "from_country": "日本", "entered_at": "2022-03-12T15:00"}], COLS)
    r = fk("inputs", "import", "inbound_arrivals", bad)
    assert r.exit_code == 1 and "0 rows recorded, 3 rejected" in r.output
    assert "inbound_arrivals.csv:2: unknown person 'P09999'" in r.output
    assert "inbound_arrivals.csv:3: from_country is empty" in r.output
    assert "inbound_arrivals.csv:4: entered_at 2022-03-12T15:00:00+08:00 is in the future" in r.output
    d12 = _figures("2022-03-12")
    assert (d12["isolation_in_site"], d12["isolation_at_home"]) == (2, 0)
    # 03-13: P00007's day-1 test is positive: sampled under the inbound obligation, an imported case
    at(monkeypatch, "2022-03-13T12:00+08:00")
    ok("case", "declare", "P00007", "--sampled-at", "2022-03-13T08:00")
    # 03-14: P00001 sampled in the community (本土, 社会面); P00002 found positive at the port (declared imported)
    at(monkeypatch, "2022-03-14T20:00+08:00")
    ok("case", "declare", "P00001", "--sampled-at", "2022-03-14T07:00")
    ok("case", "declare", "P00002", "--sampled-at", "2022-03-14T09:00", "--imported")
    at(monkeypatch, "2022-03-20T09:00+08:00")
    d13, d14 = _figures("2022-03-13"), _figures("2022-03-14")
    assert (d13["new_asymptomatic"], d13["new_imported_asymptomatic"], d13["new_community"],
            d13["new_under_control"], d13["total_imported"], d13["days_since_community_case"]) == (1, 1, 0, 0, 1, None)
    assert [(c["case_id"], c["imported"], c["under_control"]) for c in d13["cases"]] == [("C000001", True, False)]
    assert (d14["new_asymptomatic"], d14["new_imported_asymptomatic"], d14["new_community"],
            d14["new_under_control"], d14["total_cases"], d14["total_imported"],
            d14["days_since_community_case"]) == (2, 1, 1, 0, 3, 2, 0)
    zh13 = ok("reports", "bulletin", "--date", "2022-03-13")
    assert "3月13日0—24时，本市无新增本土感染者。" in zh13
    assert "新增境外输入感染者1例，其中确诊病例0例、无症状感染者1例。" in zh13
    assert "社会面尚未发现感染者。" in zh13      # an imported case is no community case
    zh14 = ok("reports", "bulletin", "--date", "2022-03-14")
    assert ("3月14日0—24时，本市新增本土感染者1例，其中确诊病例0例、无症状感染者1例；社会面发现1例，"
            "隔离管控中发现0例。") in zh14
    assert "新增境外输入感染者1例，其中确诊病例0例、无症状感染者1例。" in zh14
    assert "截至3月14日24时，累计报告本土感染者1例、境外输入感染者2例" in zh14
    en14 = ok("reports", "bulletin", "--date", "2022-03-14", "--lang", "en")
    assert "New imported cases (境外输入): 1 (0 confirmed, 1 asymptomatic)." in en14
    assert "Cumulative local cases: 1; cumulative imported cases: 2" in en14


def test_eighth_edition_fourteen_plus_seven_with_double_sampling_at_release(rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_EDITION", "8")
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("inputs", "import", "inbound_arrivals", _arrivals(tmp_path, [("P00006", "2022-03-11T15:00")]))
    assert obligations("P00006") == [("inbound", "centralized_isolation", None)]
    assert code("P00006") == {"colour": "red", "reasons": ["inbound"], "changes_at": "2022-04-02T00:00:00+08:00"}
    # days 1, 4, 7, 14 (two samples on day 14: 双采双检) and home monitoring days 2, 7
    assert [d for _, d, _, _ in scheduled("P00006")] == ["2022-03-12", "2022-03-15", "2022-03-18", "2022-03-25",
                                                         "2022-03-25", "2022-03-27", "2022-04-01"]
    at(monkeypatch, "2022-03-25T18:00+08:00")
    for day in ("2022-03-12", "2022-03-15", "2022-03-18"):
        ok("measures", "result", str(_day_tests("P00006", day)[0]), "negative")
    first, second = _day_tests("P00006", "2022-03-25")
    ok("measures", "result", str(first), "negative")
    # 03-26: the centralized phase is over, one of the two day-14 tests is in: not released from the site
    at(monkeypatch, "2022-03-26T10:00+08:00")
    r = fk("measures", "release", str(_measure_id("P00006")))
    assert r.exit_code == 1 and "the test of 2022-03-25 is missing" in r.output
    ok("measures", "result", str(second), "negative")
    assert "step_down" in ok("measures", "release", str(_measure_id("P00006")))
    assert obligations("P00006") == [("inbound", "home_monitoring", None)]
    assert code("P00006")["reasons"] == ["inbound"]


def test_the_twenty_measures_five_plus_three(rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_EDITION", "20")
    at(monkeypatch, "2022-11-20T10:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("inputs", "import", "inbound_arrivals", _arrivals(tmp_path, [("P00006", "2022-11-19T15:00")]))
    assert obligations("P00006") == [("inbound", "centralized_isolation", None)]
    # 5 days centralized (until 11-24 24:00) + 3 days home isolation: ends 11-27 24:00; tests 1, 2, 3, 5 + home 1, 3
    assert code("P00006") == {"colour": "red", "reasons": ["inbound"], "changes_at": "2022-11-28T00:00:00+08:00"}
    assert [d for _, d, _, _ in scheduled("P00006")] == ["2022-11-20", "2022-11-21", "2022-11-22", "2022-11-24",
                                                         "2022-11-25", "2022-11-27"]
    at(monkeypatch, "2022-11-25T09:00+08:00")
    for day in ("2022-11-20", "2022-11-21", "2022-11-22", "2022-11-24"):
        ok("measures", "result", str(_day_tests("P00006", day)[0]), "negative")
    assert "step_down" in ok("measures", "release", str(_measure_id("P00006")))
    assert obligations("P00006") == [("inbound", "home_isolation", None)]
