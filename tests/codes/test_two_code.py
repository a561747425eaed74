"""The two-code check: colour + travel card (cities ≥ 4 h in 14 days) + a negative test within 48 h."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from builders.identity import bearer, code_token, device_token
from builders.zones import zone_city
from clihelp import fk
from hypothesis import given
from hypothesis import strategies as st
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.codes import twocode
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.lake.queries import Lake
from fangkong.people.service import get_person
from fangkong.protocol.cities import cell_centre, city_of
from fangkong.protocol.edition import load_edition
from fangkong.protocol.grid import grid_id
from fangkong.settings import get_settings
from fangkong.testing.models import LabResult, Sample, Tube
from fangkong.zones import service as zone_service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_points_map_to_the_nearest_listed_city_within_reach():
    assert city_of(37.87, 112.55).name == "太原市" and city_of(39.95, 116.30).code == "110100"
    assert city_of(45.0, 90.0).name.startswith("其他地区") and city_of(45.0, 90.0).code == ""


@given(st.floats(18, 53), st.floats(73, 135))
def test_property_a_cell_centre_lies_in_its_cell(lat, lon):
    g = grid_id(lat, lon)
    assert grid_id(*cell_centre(g)) == g


def _negative_sample(s, person_id: str, when: datetime) -> None:
    tube = Tube(tube_id=f"T{person_id}", kind="pooled", members=5, sampled_at=when)
    s.add(tube)
    s.flush()
    s.add(Sample(tube_fk=tube.id, person_fk=get_person(s, person_id).id, sampled_at=when))
    s.add(LabResult(tube_fk=tube.id, result="negative", reported_at=when))


def _check(s, person_id, when):
    return twocode.two_code_check(s, Lake.from_settings(get_settings(), when), person_id, at=when,
                                  now=at(2022, 3, 12, 12), edition=E9, tz=TZ)


def test_pass_needs_green_a_clean_travel_card_and_a_recent_negative_test(rollback_env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    with unit_of_work() as s:
        r = _check(s, "P00005", at(2022, 3, 11, 12))
        assert not r.passed and r.colour == "green" and r.reasons == ["no_negative_test_48h"]
        assert r.travel_card == [{"code": "110100", "city": "北京市", "hours": 8.0, "risk_area": False},
                                 {"code": "140100", "city": "太原市", "hours": 5.0, "risk_area": False}]
        _negative_sample(s, "P00005", at(2022, 3, 10, 8))
        r = _check(s, "P00005", at(2022, 3, 11, 12))
        assert r.passed and r.reasons == [] and r.negative_test_at == at(2022, 3, 10, 8)
        assert _check(s, "P00005", at(2022, 3, 12, 9)).reasons == ["no_negative_test_48h"]   # 49 h later
        zone = zone_service.create_zone(s, level="controlled", places=[("venue", "VSHOP", "manual")], edition=E9,
                                        now=at(2022, 3, 11, 8))
        with acting_as(s, "王指挥"):
            zone_service.approve(s, zone, edition=E9, tz=TZ, now=at(2022, 3, 11, 9))
        r = _check(s, "P00005", at(2022, 3, 11, 12))
        assert not r.passed and r.reasons == ["risk_city:太原市"] and r.travel_card[1]["risk_area"]


def test_cli_and_api_two_code_check(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    r = fk("codes", "check", "P00005", "--at", "2022-03-11T12:00", "--format", "json")
    assert r.exit_code == 2 and '"passed": false' in r.stdout
    r = fk("codes", "check", "P00005", "--at", "2022-03-11T12:00")
    assert r.exit_code == 2 and "FAIL" in r.stdout and "北京市" in r.stdout
    r = server.post("/api/two-code-checks", json={"person_id": "P00005", "at": "2022-03-11T12:00:00+08:00"})
    assert r.status_code == 200 and r.json()["reasons"] == ["no_negative_test_48h"]
    assert server.post("/api/two-code-checks", json={"person_id": "NOBODY"}).status_code == 404
    r = server.post("/api/two-code-checks", json={"person_id": "P00005", "at": "2099-01-01T00:00:00+08:00"})
    assert r.status_code == 422 and "is in the future" in r.json()["detail"]
    assert server.post("/api/two-code-checks", json={"person_id": ""}).status_code == 422


def test_a_checkpoint_learns_the_decision_and_the_colour_only(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    gate = bearer(server, device_token("checkpoint"))
    r = gate.post("/api/two-code-checks", json={"code_token": code_token("P00005")})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"at", "passed", "colour"} and r.json()["colour"] == "green" and not r.json()["passed"]
    assert "北京" not in r.text and "reasons" not in r.text and "negative_test_at" not in r.text
    # the person id alone is never enough, and a checkpoint checks now, not some other day
    assert gate.post("/api/two-code-checks", json={"person_id": "P00005"}).status_code == 403
    r = gate.post("/api/two-code-checks", json={"code_token": code_token("P00005"), "at": "2022-03-11T12:00:00+08:00"})
    assert r.status_code == 422
    # staff with codes:read still see everything, for a code token too
    full = server.post("/api/two-code-checks", json={"code_token": code_token("P00005")}).json()
    assert full["person_id"] == "P00005" and {"reasons", "travel_card", "negative_test_at"} <= set(full)
