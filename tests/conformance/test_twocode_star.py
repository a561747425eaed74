"""Finding 9 (issue 23): the travel card's city star was removed on 2022-06-29, so a zone in the city no longer
fails everyone's two-code check; the 48 h of the test proof count from the sample, with its result known."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from builders.city import person, venue, write_city
from clihelp import fk

from fangkong.codes import twocode
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.lake.queries import Lake
from fangkong.people.service import get_person
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings
from fangkong.testing.models import LabResult, Sample, Tube
from fangkong.zones import service as zone_service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def _city(folder, month: int):
    """P00001 spends 6 h a day in 太原 in the days before the check; a shop there is the zone's place."""
    dwells = [{"phone": "13800000001", "lat": 37.86, "lon": 112.54, "start_at": f"2022-{month:02d}-{d:02d}T09:00",
               "end_at": f"2022-{month:02d}-{d:02d}T15:00"} for d in (8, 9, 10)]
    return write_city(folder, [person(1), person(2)], [venue("VSHOP", "shop", 37.860, 112.540)], [], dwells)


def _swab(s, tube: str, sampled_at: datetime, reported_at: datetime) -> None:
    t = Tube(tube_id=tube, kind="single", members=1, sampled_at=sampled_at)
    s.add(t)
    s.flush()
    s.add(Sample(tube_fk=t.id, person_fk=get_person(s, "P00001").id, sampled_at=sampled_at))
    s.add(LabResult(tube_fk=t.id, result="negative", reported_at=reported_at))


def _check(s, when):
    return twocode.two_code_check(s, Lake.from_settings(get_settings(), when), "P00001", at=when, now=when,
                                  edition=E9, tz=TZ)


def _zone(s, month: int):
    z = zone_service.create_zone(s, level="controlled", places=[("venue", "VSHOP", "manual")], edition=E9,
                                 now=at(2022, month, 10, 8))
    with acting_as(s, "王指挥"):
        zone_service.approve(s, z, edition=E9, tz=TZ, now=at(2022, month, 10, 9))


def test_after_the_star_was_removed_a_zone_in_the_city_fails_no_one(rollback_env, tmp_path):
    assert fk("import", _city(tmp_path / "city", 7)).exit_code == 0
    with unit_of_work() as s:
        _zone(s, 7)
        _swab(s, "T1", at(2022, 7, 10, 10), at(2022, 7, 10, 16))
        r = _check(s, at(2022, 7, 11, 12))
        assert r.passed and r.reasons == [] and r.travel_card[0]["city"] == "太原市"
        assert not r.travel_card[0]["risk_area"]


def test_before_the_star_was_removed_the_starred_city_fails(rollback_env, tmp_path):
    assert fk("import", _city(tmp_path / "city", 6)).exit_code == 0
    with unit_of_work() as s:
        _zone(s, 6)
        _swab(s, "T1", at(2022, 6, 10, 10), at(2022, 6, 10, 16))
        r = _check(s, at(2022, 6, 11, 12))
        assert not r.passed and r.reasons == ["risk_city:太原市"]


def test_the_proof_counts_from_the_sample_and_needs_its_result(rollback_env, tmp_path):
    assert fk("import", _city(tmp_path / "city", 7)).exit_code == 0
    with unit_of_work() as s:
        # swabbed 07-09 10:00, the result came back only 07-11 13:00: at 12:00 there was no proof yet
        _swab(s, "T1", at(2022, 7, 9, 10), at(2022, 7, 11, 13))
        assert _check(s, at(2022, 7, 11, 9)).reasons == ["no_negative_test_48h"]
        # at 13:30 the result is in, but the swab is 51 h old: it proves nothing any more
        assert _check(s, at(2022, 7, 11, 13, 30)).reasons == ["no_negative_test_48h"]
        _swab(s, "T2", at(2022, 7, 10, 8), at(2022, 7, 10, 14))
        r = _check(s, at(2022, 7, 11, 13, 30))
        assert r.passed and r.negative_test_at == at(2022, 7, 10, 8)
