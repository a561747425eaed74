"""A small city with two residential compounds, an office and a shop, for zone, code and scan tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from builders.city import load, person, venue, write_city
from fangkong import flows
from fangkong.cases import service as case_service
from fangkong.kit.clikit import unit_of_work
from fangkong.settings import get_settings

HOME = "龙城花园"


def zone_city(folder):
    addr = lambda b: f"太原市迎泽区{HOME}{b}号楼1单元101室"
    persons = [person(1, household="H1", address=addr(1)), person(2, household="H1", address=addr(1)),
               person(3, address=addr(2)), person(4, address=addr(3)),
               person(5, address="太原市迎泽区汾河小区5号楼"), person(6, address="太原市迎泽区汾河小区6号楼")]
    venues = [dict(venue("VHOME", "residential", 37.870, 112.550), name=HOME),
              dict(venue("VFEN", "residential", 37.900, 112.600), name="汾河小区"),
              venue("VOFFICE", "office", 37.880, 112.560), venue("VSHOP", "shop", 37.860, 112.540)]
    v = lambda p, vid, s, e="": {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}
    visits = [v("P00001", "VOFFICE", "2022-03-10T09:00"), v("P00001", "VSHOP", "2022-03-10T18:00"),
              v("P00005", "VSHOP", "2022-03-10T18:10"), v("P00006", "VOFFICE", "2022-03-10T09:30"),
              v("P00004", "VSHOP", "2022-03-10T08:00")]
    dwells = [{"phone": "13800000001", "lat": 37.870, "lon": 112.550, "start_at": "2022-03-10T20:00",
               "end_at": "2022-03-11T07:30"},
              # P00005 came back from Beijing: 8 h there on 3/9, then 5 h and 1 h in Taiyuan on 3/10
              {"phone": "13800000005", "lat": 39.90, "lon": 116.40, "start_at": "2022-03-09T10:00",
               "end_at": "2022-03-09T18:00"},
              {"phone": "13800000005", "lat": 37.86, "lon": 112.54, "start_at": "2022-03-10T09:00",
               "end_at": "2022-03-10T14:00"},
              {"phone": "13800000005", "lat": 36.09, "lon": 111.52, "start_at": "2022-03-10T15:00",
               "end_at": "2022-03-10T16:00"}]
    return write_city(folder, persons, venues, visits, dwells)


def traced_case(tmp_path) -> str:
    """Import the city, declare P00001 a case and trace it at 21:00 that day (which proposes its zones)."""
    load(zone_city(tmp_path / "city"))
    tz = ZoneInfo("Asia/Shanghai")
    with unit_of_work() as s:
        case = case_service.declare_case(s, "P00001", sampled_at=datetime(2022, 3, 11, 8, tzinfo=tz),
                                         isolated_at=datetime(2022, 3, 11, 20, tzinfo=tz),
                                         now=datetime(2022, 3, 11, 20, 30, tzinfo=tz))
        flows.respond(s, get_settings(), case, now=datetime(2022, 3, 11, 21, tzinfo=tz))
        return case.case_no
