"""Finding 7 (issue 23): a round that tested 1 of a zone's residents does not lower the zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from builders.zones import traced_case

from fangkong.db.scope import acting_as
from fangkong.errors import Conflict
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition
from fangkong.zones import service as zone_service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_a_round_must_cover_the_zones_residents(rollback_env, tmp_path):
    traced_case(tmp_path)
    with unit_of_work() as s:
        sealed = next(z for z in zone_service.list_zones(s) if z.level == "sealed")
        with acting_as(s, "王指挥"):
            zone_service.approve(s, sealed, edition=E9, tz=TZ, now=at(2022, 3, 12, 9))
        assert zone_service.resident_count(s, sealed) == 4
        with acting_as(s, "检测组"):
            zone_service.record_round(s, sealed, day=date(2022, 3, 19), tested=1, positive=0, now=at(2022, 3, 19, 20))
        with pytest.raises(Conflict, match="the round of 2022-03-19 tested 1 of the zone's 4 residents"):
            with acting_as(s, "王指挥"):
                zone_service.step(s, sealed, edition=E9, tz=TZ, now=at(2022, 3, 20, 10))
        with acting_as(s, "检测组"):
            zone_service.record_round(s, sealed, day=date(2022, 3, 20), tested=4, positive=0, now=at(2022, 3, 20, 20))
        with acting_as(s, "王指挥"):
            zone_service.step(s, sealed, edition=E9, tz=TZ, now=at(2022, 3, 20, 21))
        assert sealed.level == "controlled"
