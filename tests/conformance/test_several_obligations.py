"""Rule: a person may be under several obligations at once; a new one never overwrites another (DOMAIN.md §5).
Approving a sealed zone adds the resident's obligation beside a secondary contact's; he keeps both schedules
(the zone's daily tests too), and when his close contact tests positive he is upgraded: a stricter obligation
is added (issue 23, reproduction 6). Edition 9 (secondary contact: 7 days home isolation, tests 1, 4, 7;
sealed-zone resident: daily tests; PROTOCOL-NOTES §2, §3)."""

from __future__ import annotations

from builders.city import person, venue, write_city
from conformance.scenario import at, code, obligations, ok, scheduled
from test_flow import city


def zone_city(folder):
    """tests/test_flow.py's city, with P00004 (a secondary contact of its case) living in compound R1."""
    city(folder)
    persons = [person(i, household="H1" if i in (1, 2) else None,
                      **({"address": "场所R1 5栋1单元"} if i == 4 else {})) for i in range(1, 8)]
    import csv
    visits = list(csv.DictReader((folder / "venue_visits.csv").open(encoding="utf-8")))
    dwells = list(csv.DictReader((folder / "cell_dwells.csv").open(encoding="utf-8")))
    return write_city(folder, persons, [venue("V1"), venue("V2", "shop"), venue("R1", "residential")], visits, dwells)


def test_a_sealed_zone_adds_to_a_secondary_contacts_obligation_and_the_upgrade_still_comes(rollback_env, tmp_path,
                                                                                          monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", zone_city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    assert obligations("P00004") == [("secondary", "home_isolation", None)]
    at(monkeypatch, "2022-03-12T09:00+08:00")
    zone = ok("zones", "propose", "sealed", "venue:R1", "--by", "流调组")
    ok("zones", "approve", zone, "--by", "王指挥")
    assert obligations("P00004") == [("secondary", "home_isolation", None), ("sealed_resident", "home_isolation", None)]
    days = [d for _, d, _, _ in scheduled("P00004")]
    # his own (days 1, 4, 7: 03-11, 03-14, 03-17) and the zone's daily tests (from the day after approval)
    assert days == ["2022-03-11", "2022-03-13", "2022-03-14", "2022-03-14", "2022-03-15", "2022-03-16",
                    "2022-03-17", "2022-03-17", "2022-03-18", "2022-03-19"]
    assert code("P00004")["colour"] == "red" and "secondary" not in code("P00004")["reasons"]
    # his close contact P00003 tests positive on his day-2 test: P00004 is upgraded to close contact
    day2 = scheduled("P00003")[1][0]
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("measures", "result", str(day2), "positive")
    assert obligations("P00004") == [("sealed_resident", "home_isolation", None),
                                     ("close", "centralized_isolation", None)]
    assert sorted(code("P00004")["reasons"]) == ["close", "high_risk_area", "sealed_resident"]
