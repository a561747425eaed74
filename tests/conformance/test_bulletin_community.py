"""Finding 2 (issue 23): 社会面 or 隔离管控中发现 is decided by the person's state when the positive sample was
taken (under a control measure in force then, or living in a sealed or controlled zone approved before it), not
when the case was declared; the bulletin says 社会面清零 once no community case was found for 3 days."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from builders.zones import traced_case
from clihelp import fk, set_clock

from fangkong.cases import service as case_service
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition
from fangkong.zones import service as zone_service

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def _figures(day: str) -> dict:
    r = fk("reports", "bulletin", "--date", day, "--format", "json", "--draft")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_found_under_control_is_decided_at_sampling(rollback_env, tmp_path, monkeypatch):
    # 03-11: P00001 (龙城花园) sampled 08:00, declared 20:30, traced 21:00: P00002 (same household) a close contact
    traced_case(tmp_path)
    with unit_of_work() as s:
        # the commander's own controlled zone over 龙城花园 (where P00001-P00004 live), approved 03-12 09:00
        fen = zone_service.create_zone(s, level="controlled", places=[("venue", "VHOME", "manual")], edition=E9,
                                       now=at(2022, 3, 12, 8))
        with acting_as(s, "王指挥"):
            zone_service.approve(s, fen, edition=E9, tz=TZ, now=at(2022, 3, 12, 9))
        fen_no = fen.zone_no
        # P00002 was swabbed at 19:00 on 03-11, two hours before the trace made him a close contact
        case_service.declare_case(s, "P00002", sampled_at=at(2022, 3, 11, 19), now=at(2022, 3, 12, 10))
        # P00004 lives in the approved controlled zone; his own measure is health monitoring (a trajectory
        # overlap), which is no control: found under control by the zone
        case_service.declare_case(s, "P00004", sampled_at=at(2022, 3, 13, 7), now=at(2022, 3, 13, 12))
    set_clock(monkeypatch, "2022-03-20T09:00+08:00")
    d11, d12, d13 = _figures("2022-03-11"), _figures("2022-03-12"), _figures("2022-03-13")
    assert (d11["new_community"], d11["new_under_control"], d11["days_since_community_case"]) == (1, 0, 0)
    assert (d12["new_community"], d12["new_under_control"], d12["days_since_community_case"]) == (1, 0, 0)
    assert (d13["new_community"], d13["new_under_control"], d13["days_since_community_case"]) == (0, 1, 1)
    assert [(c["case_id"], c["found_under"]) for c in d13["cases"]] == [("C000003", f"zone:{fen_no}")]
    # 3 days with no community case (03-13 0:00 to 03-15 24:00): 社会面清零, said in the bulletin
    d14, d15 = _figures("2022-03-14"), _figures("2022-03-15")
    assert (d14["days_since_community_case"], d14["community_zero"]) == (2, False)
    assert (d15["days_since_community_case"], d15["community_zero"]) == (3, True)
    zh = fk("reports", "bulletin", "--date", "2022-03-15").stdout
    assert "3月13日0时至3月15日24时，本市连续3天未发生社会面新增感染病例，实现“社会面清零”。" in zh
    assert "社会面已连续2天无新增感染者" in fk("reports", "bulletin", "--date", "2022-03-14").stdout
    en = fk("reports", "bulletin", "--date", "2022-03-16", "--lang", "en").stdout
    assert "No new community case for 4 consecutive days (2022-03-13 00:00 to 2022-03-16 24:00): community zero" \
        in en


def test_a_case_sampled_under_a_measure_is_found_under_control(rollback_env, tmp_path, monkeypatch):
    traced_case(tmp_path)
    with unit_of_work() as s:
        # P00002, a close contact since 03-11 21:00, swabbed at the site on 03-12 08:00 and declared at 12:00
        case_service.declare_case(s, "P00002", sampled_at=at(2022, 3, 12, 8), now=at(2022, 3, 12, 12))
        # P00003 lives in 龙城花园; the zone is approved at 09:00 on 03-13, after her sample of 08:00
        for z in zone_service.list_zones(s):
            with acting_as(s, "王指挥"):
                zone_service.approve(s, z, edition=E9, tz=TZ, now=at(2022, 3, 13, 9))
        case_service.declare_case(s, "P00003", sampled_at=at(2022, 3, 13, 8), now=at(2022, 3, 13, 20))
        # P00004, her neighbour, sampled at 10:00, after the approval placed him under the zone's measure
        case_service.declare_case(s, "P00004", sampled_at=at(2022, 3, 13, 10), now=at(2022, 3, 13, 21))
    set_clock(monkeypatch, "2022-03-20T09:00+08:00")
    d12, d13 = _figures("2022-03-12"), _figures("2022-03-13")
    assert [(c["case_id"], c["under_control"], c["found_under"]) for c in d12["cases"]] == \
        [("C000002", True, "measure:close")]
    assert d12["days_since_community_case"] == 1
    assert [(c["case_id"], c["under_control"]) for c in d13["cases"]] == [("C000003", False), ("C000004", True)]
    assert d13["cases"][1]["found_under"] in ("measure:sealed_resident", "zone:Z000001")
    assert (d13["new_community"], d13["new_under_control"], d13["days_since_community_case"]) == (1, 1, 0)
