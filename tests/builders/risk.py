"""Risk-management data for tests: a small city imported, tracing teams, declared cases at fixed times."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from builders.city import load, person, venue, write_city
from fangkong.cases import service as case_service
from fangkong.contacts.teams import service as teams

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2022, 3, 14, 9, 0, tzinfo=TZ)

MEMBERS = [{"name": "张伟", "role": "cdc", "phone": None}, {"name": "李娜", "role": "medical", "phone": None},
           {"name": "王强", "role": "police", "phone": None}]


def at(hours: float = 0) -> datetime:
    return T0 + timedelta(hours=hours)


def import_people(folder: Path, n: int = 12, communities: dict[int, str] | None = None) -> Path:
    """n persons (P00001…), households of two (1+2, 3+4, …), in community 140105001001 unless given."""
    communities = communities or {}
    persons = [person(i, household=f"H{(i + 1) // 2}", community=communities.get(i, "140105001001"))
               for i in range(1, n + 1)]
    return load(write_city(folder, persons, [venue("V1")], []))


def add_team(session, team_id: str, jurisdiction: str = "140105", max_cases: int = 2, now: datetime = T0):
    return teams.register_team(session, team_id, name=f"队{team_id}", jurisdiction=jurisdiction, members=MEMBERS,
                               max_cases=max_cases, now=now)


def declare(session, person_id: str, now: datetime = T0):
    return case_service.declare_case(session, person_id, sampled_at=now - timedelta(hours=5), now=now)


#: when the test_flow city's case is declared and traced (its window ends 2022-03-11 20:00)
TRACED_AT = datetime(2022, 3, 11, 21, 0, tzinfo=TZ)


def traced_city(folder: Path, now: datetime = TRACED_AT) -> str:
    """tests/test_flow.py's city imported, P00001 declared and traced at `now`; returns the case id.
    Risk persons: P00002, P00003 close; P00004, P00006 secondary; P00007 companion; P00005 overlap."""
    from test_flow import city

    from fangkong import flows
    from fangkong.kit.clikit import unit_of_work
    from fangkong.settings import get_settings

    load(city(folder))
    with unit_of_work() as s:
        case = case_service.declare_case(s, "P00001", sampled_at=datetime(2022, 3, 11, 8, tzinfo=TZ),
                                         isolated_at=datetime(2022, 3, 11, 20, tzinfo=TZ), now=now)
        flows.respond(s, get_settings(), case, now=now)
        return case.case_no
