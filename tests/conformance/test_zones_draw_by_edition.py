"""Reproduction 8 (issue 23): zone drawing follows the edition (PROTOCOL-NOTES §3-4).

- Editions 8 and 9: the case's home compound and long stays sealed (封控区/高风险区), the other places it stayed
  controlled (管控区/中风险区), and the rest of its county/district precaution (防范区/低风险区), not rings of cells.
- The 20 measures: high and low only. 高风险区 by building (楼栋): the case's residence building and the places
  it stayed long at; no 中风险区 (a medium zone is refused); 低风险区 = the rest of the district. Only the
  building's residents are placed under the zone's measure; the high area lifts after 5 clean days once the
  risk persons living in it have their results, then the low area. The risk-area list and the bulletin say 高/低 only.
- A home cell that is a carrier's own cell name (issue 27) is sealed as is; the ring step around it is skipped
  with a warning the user sees; the trace is stored.
"""

from __future__ import annotations

import json

import pytest
from builders.city import person, venue, write_city
from clihelp import fk
from conformance.scenario import at, code, obligations, ok, scheduled

HOME = "龙城花园"


def city(folder):
    """A compound of three buildings (the case in building 1 unit 1; neighbours in unit 2 and in buildings 2 and
    3), an office where the case works all day, a shop it passes, and one person in the next district."""
    addr = lambda b, u=1: f"太原市迎泽区{HOME}{b}号楼{u}单元101室"
    persons = [person(1, household="H1", address=addr(1)), person(2, household="H1", address=addr(1)),
               person(3, address=addr(1, 2)), person(4, address=addr(2)), person(5, address=addr(3)),
               person(6, address="太原市杏花岭区胜利街6号", community="140107001001"),
               person(7, address="太原市迎泽区迎泽街7号")]
    venues = [dict(venue("VHOME", "residential", 37.870, 112.550), name=HOME),
              venue("VOFFICE", "office", 37.880, 112.560), venue("VSHOP", "shop", 37.860, 112.540)]
    v = lambda p, vid, s, e="": {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}
    visits = [v("P00001", "VOFFICE", "2022-03-10T09:00", "2022-03-10T17:30"), v("P00001", "VSHOP", "2022-03-10T18:00"),
              v("P00007", "VSHOP", "2022-03-10T18:05")]
    return write_city(folder, persons, venues, visits, [])


def _trace(monkeypatch, folder) -> str:
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(folder))
    r = fk("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                       "2022-03-11T20:00"))
    assert r.exit_code == 0, r.output
    return r.stderr


def _zones() -> dict[str, dict]:
    return {z["level"]: z for z in json.loads(ok("zones", "list", "--format", "json"))}


def _approve_all() -> None:
    for z in json.loads(ok("zones", "list", "--status", "proposed", "--format", "json")):
        ok("zones", "approve", z["zone_id"], "--by", "王指挥")


@pytest.mark.parametrize("edition", ["8", "9"])
def test_editions_8_and_9_seal_the_compound_control_visits_and_the_rest_of_the_district_is_low(
        rollback_env, tmp_path, monkeypatch, edition):
    monkeypatch.setenv("FANGKONG_EDITION", edition)
    _trace(monkeypatch, tmp_path / "city")
    zones = _zones()
    assert sorted(zones["sealed"]["places"]) == ["venue:VHOME", "venue:VOFFICE"]
    assert zones["controlled"]["places"] == ["venue:VSHOP"]
    assert zones["precaution"]["places"] == ["district:140105"]
    at(monkeypatch, "2022-03-12T09:00+08:00")
    _approve_all()
    # every resident of the compound is under the zone, whatever his building
    for pid in ("P00002", "P00003", "P00004", "P00005"):
        assert code(pid)["colour"] == "red" and "high_risk_area" in code(pid)["reasons"], pid
        assert ("sealed_resident", "home_isolation", None) in obligations(pid)
    assert code("P00006")["colour"] == "green"
    areas = json.loads(ok("zones", "risk-areas", "--format", "json"))
    assert [a["risk"] for a in areas] == ["high", "medium", "low"]
    assert areas[2]["places"] == [{"kind": "district", "ref": "140105", "name": "迎泽区（140105）其余区域"}]
    at(monkeypatch, "2022-03-13T09:00+08:00")
    text = ok("reports", "bulletin", "--date", "2022-03-12")
    assert "当日新增封控区1个、管控区1个，解除0个；目前高风险区1个、中风险区1个、低风险区1个" in text
    assert "封控区居民4人" in text


def test_the_20_measures_draw_high_by_building_and_low_as_the_rest_of_the_district_with_no_medium(
        rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_EDITION", "20")
    _trace(monkeypatch, tmp_path / "city")
    zones = _zones()
    assert set(zones) == {"sealed", "precaution"}  # no 管控区（中风险区）
    assert zones["sealed"]["name"] == "C000001 高风险区" and zones["precaution"]["name"] == "C000001 低风险区"
    assert sorted(zones["sealed"]["places"]) == ["building:VHOME/1号楼", "venue:VOFFICE"]
    assert zones["precaution"]["places"] == ["district:140105"]
    # a commander cannot draw a medium-risk area in this edition
    r = fk("zones", "propose", "controlled", "venue:VSHOP", "--by", "流调组")
    assert r.exit_code == 1 and "edition 20 has no controlled zones" in r.output
    at(monkeypatch, "2022-03-12T09:00+08:00")
    _approve_all()
    # building 1 (both its units) is the high-risk area; buildings 2 and 3 are not 扩大 into it
    for pid in ("P00002", "P00003"):
        assert code(pid)["colour"] == "red" and "high_risk_area" in code(pid)["reasons"], pid
    assert obligations("P00002") == [("close", "centralized_isolation", None),  # his household's case
                                     ("sealed_resident", "home_isolation", None)]
    assert obligations("P00003") == [("sealed_resident", "home_isolation", None)]
    for pid in ("P00004", "P00005", "P00006"):
        assert code(pid)["colour"] == "green" and obligations(pid) == [], pid
    areas = json.loads(ok("zones", "risk-areas", "--format", "json"))
    assert [a["risk"] for a in areas] == ["high", "low"]
    assert {p["name"] for p in areas[0]["places"]} == {"龙城花园1号楼", "场所VOFFICE"}
    at(monkeypatch, "2022-03-13T09:00+08:00")
    text = ok("reports", "bulletin", "--date", "2022-03-12")
    assert "当日新增高风险区1个，解除0个；目前高风险区1个、低风险区1个，高风险区居民2人足不出户" in text
    assert "中风险区" not in text and "管控区" not in text
    # 5 consecutive clean days (二十条): 03-13 … 03-17; lifted from 03-18 00:00, then the low area
    at(monkeypatch, "2022-03-17T20:00+08:00")
    r = fk("zones", "lift", zones["sealed"]["zone_id"], "--by", "王指挥")
    assert r.exit_code == 1 and "4 of 5 days without a new infection" in r.output
    r = fk("zones", "lift", zones["precaution"]["zone_id"], "--by", "王指挥")
    assert r.exit_code == 1 and "1 sealed or controlled zones of the area are still open" in r.output
    # the clean days are met, but a close contact living in the building still needs his results (5 + 3 days)
    at(monkeypatch, "2022-03-18T09:00+08:00")
    r = fk("zones", "lift", zones["sealed"]["zone_id"], "--by", "王指挥")
    assert r.exit_code == 1 and "1 risk person living in the zone still needs results: P00002 (close of C000001)" \
        in r.output
    at(monkeypatch, "2022-03-20T08:00+08:00")
    for test_id, *_ in scheduled("P00002"):
        ok("measures", "result", str(test_id), "negative")
    at(monkeypatch, "2022-03-20T09:00+08:00")
    ok("zones", "lift", zones["sealed"]["zone_id"], "--by", "王指挥")
    assert code("P00003")["colour"] == "green" and obligations("P00003") == []
    ok("zones", "lift", zones["precaution"]["zone_id"], "--by", "王指挥")
    assert json.loads(ok("zones", "risk-areas", "--format", "json")) == []
    at(monkeypatch, "2022-03-21T09:00+08:00")
    text = ok("reports", "bulletin", "--date", "2022-03-20")
    assert "当日新增高风险区0个，解除1个；目前高风险区0个、低风险区0个" in text


def test_an_opaque_home_cell_is_sealed_and_its_ring_is_skipped_with_a_warning(rollback_env, tmp_path, monkeypatch):
    """Issue 27's city: the carrier names its cells (G035031); the case has no compound and no community."""
    monkeypatch.setenv("FANGKONG_EDITION", "9")
    folder = tmp_path / "city"
    persons = [person(1, address="某地", community=""), person(2)]
    dwells = [{"phone": "13800000001", "grid_id": "G035031", "start_at": "2022-03-10T20:00",
               "end_at": "2022-03-11T07:30"},
              {"phone": "13800000002", "grid_id": "G035031", "start_at": "2022-03-10T21:00",
               "end_at": "2022-03-10T23:00"}]
    write_city(folder, persons, [venue("VSHOP", "shop")], [], dwells)
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", folder)
    r = fk("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                       "2022-03-11T20:00"), "--format", "json")
    assert r.exit_code == 0, r.output
    assert {p["person_id"] for p in json.loads(r.stdout)["risk_persons"]} == {"P00002"}
    assert "warning: C000001: the case's county/district is unknown" in r.stderr
    assert "warning: C000001: no precaution ring around grid cell(s) G035031" in r.stderr
    zones = _zones()
    assert set(zones) == {"sealed"} and zones["sealed"]["places"] == ["grid:G035031"]
