"""Reproduction 10 (issue 23): an inbound assistance request (协查) with reason 密接 placed only a door check, and
the person stayed green with no measure even after the door check found them. Now a matched person is placed at
once under the edition's measure of the category the request states, counted from the stated last exposure, as an
obligation with source `request` beside their others; an unmatched one when the door check finds them (linked or
registered then); a door check finding the wrong person withdraws that obligation and re-evaluates the code
(DOMAIN.md §5, §9; docs/rules.md "Inbound assistance requests"). Editions 9, 8 and 20 (PROTOCOL-NOTES §2: close
contacts 7+3 / 14+7 / 5+3; secondary contacts 7 days home isolation / 7 days centralized / not identified)."""

from __future__ import annotations

import json
from datetime import datetime

from builders.city import write_csv
from conformance.scenario import at, code, obligations, ok, scheduled
from sqlalchemy import select
from test_flow import city

from fangkong.assist.models import AssistPerson
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.idnumber import make

COLS = ["request_id", "issuing_jurisdiction", "reason", "name", "id_number", "phone", "last_exposure_at"]
STRANGER = make("310101", datetime(1990, 1, 1).date(), 11)


def _id_of(i: int) -> str:
    from builders.city import person

    return person(i)["id_number"]


def _requests(folder):
    """Shanghai's 协查函 of 03-12: P00003 (by ID number) and a person not registered here are close contacts
    exposed on 03-10 at 12:30; in a second request P00005 (by phone) is a secondary contact."""
    row = lambda ref, reason, name, idn, phone: {  # noqa: E731
        "request_id": ref, "issuing_jurisdiction": "上海市疾控", "reason": reason, "name": name, "id_number": idn,
        "phone": phone, "last_exposure_at": "2022-03-10T12:30"}
    return write_csv(folder / "xc.csv", [row("SH-031", "密接", "人3", _id_of(3), ""),
                                         row("SH-031", "密接", "外地人", STRANGER, "13900000099"),
                                         row("SH-032", "次密接", "", "", "13800000005")], COLS)


def _row(name_or_phone: str) -> int:
    with unit_of_work() as s:
        return next(p.id for p in s.scalars(select(AssistPerson)) if name_or_phone in (p.name, p.phone))


def _figures(day: str) -> dict:
    return json.loads(ok("reports", "bulletin", "--date", day, "--format", "json", "--draft"))


def test_inbound_request_places_the_stated_category_at_once_and_at_the_door(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-12T09:00+08:00")
    ok("import", city(tmp_path / "city"))
    assert code("P00003")["colour"] == "green"
    ok("assist", "import", _requests(tmp_path))
    # matched: placed at once, from the stated exposure (03-10): 7 days centralized + 3 days home monitoring
    assert obligations("P00003") == [("close", "centralized_isolation", None)]
    assert code("P00003") == {"colour": "red", "reasons": ["close"], "changes_at": "2022-03-21T00:00:00+08:00"}
    # tests on days 1, 2, 3, 5, 7 and monitoring day 3; day 1 (03-11) was past when found: done on 03-12
    assert [d for _, d, _, _ in scheduled("P00003")] == ["2022-03-12", "2022-03-13", "2022-03-15", "2022-03-17",
                                                         "2022-03-20"]
    # 次密接 (9th edition): 7 days home isolation, yellow
    assert obligations("P00005") == [("secondary", "home_isolation", None)]
    assert code("P00005") == {"colour": "yellow", "reasons": ["secondary"],
                              "changes_at": "2022-03-18T00:00:00+08:00"}
    # the stranger matched no one: a door check by the district's police, no person, no measure yet
    stranger = _row("外地人")
    with unit_of_work() as s:
        assert s.get(AssistPerson, stranger).person_fk is None
    # 15:00: the police find him in 140105001001; he is registered and placed from the door check
    at(monkeypatch, "2022-03-12T15:00+08:00")
    ok("assist", "outcome", str(stranger), "found_placed", "--by", "派出所", "--community", "140105001001")
    assert obligations("A000001-2") == [("close", "centralized_isolation", None)]
    assert code("A000001-2")["colour"] == "red"
    d12 = _figures("2022-03-12")
    assert (d12["isolation_in_site"], d12["isolation_at_home"]) == (2, 1)
    # 03-13 10:00: the door check at P00003's address finds someone else: the obligation is withdrawn
    at(monkeypatch, "2022-03-13T10:00+08:00")
    ok("assist", "outcome", str(_row("人3")), "wrong_person", "--by", "社区网格员")
    assert obligations("P00003") == []
    assert obligations("P00003", active_only=False) == [("close", "centralized_isolation", "withdrawn")]
    assert code("P00003") == {"colour": "green", "reasons": [], "changes_at": None}
    assert code("A000001-2")["colour"] == "red" and code("P00005")["colour"] == "yellow"   # theirs stay
    at(monkeypatch, "2022-03-20T09:00+08:00")
    d13 = _figures("2022-03-13")
    assert (d13["isolation_in_site"], d13["isolation_at_home"]) == (1, 1)
    assert _figures("2022-03-12")["isolation_in_site"] == 2     # as of its day: the withdrawal came later


def test_the_door_check_queue_withdraws_the_requests_obligation_alone(rollback_env, tmp_path, monkeypatch):
    """The door check recorded on the community's verification queue (the measures domain's route) withdraws the
    request's obligation alone: a wrong person's other obligations with no case behind them stay."""
    at(monkeypatch, "2022-03-12T09:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("assist", "import", _requests(tmp_path))
    from fangkong.assist.models import AssistPerson as AP
    from fangkong.measures.verification import service as verification
    from fangkong.tasks import service as task_service

    at(monkeypatch, "2022-03-12T11:00+08:00")
    ok("inputs", "import", "arrivals", write_csv(tmp_path / "arrivals.csv", [
        {"person_id": "P00003", "from_area": "上海市浦东新区", "risk_level": "medium",
         "arrived_at": "2022-03-11T20:00"}]))
    assert obligations("P00003") == [("close", "centralized_isolation", None), ("arrival_medium", "home_isolation", None)]
    with unit_of_work() as s:
        row = s.scalar(select(AP).where(AP.name == "人3"))
        task = task_service.get_task(s, row.task_fk)
        with acting_as(s, "社区网格员"):
            verification.record_outcome(s, task, "wrong_person", jurisdiction="140105001001", version=task.version,
                                        at=datetime.fromisoformat("2022-03-12T11:30+08:00"))
    at(monkeypatch, "2022-03-12T12:00+08:00")
    assert obligations("P00003") == [("arrival_medium", "home_isolation", None)]
    assert code("P00003")["reasons"] == ["arrival_medium"]


def test_the_eighth_edition(rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_EDITION", "8")
    at(monkeypatch, "2022-03-12T09:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("assist", "import", _requests(tmp_path))
    # 14 days centralized + 7 days home health monitoring from 03-10: ends 03-31 24:00
    assert obligations("P00003") == [("close", "centralized_isolation", None)]
    assert code("P00003") == {"colour": "red", "reasons": ["close"], "changes_at": "2022-04-01T00:00:00+08:00"}
    # 次密接 (seed 003): 7 days centralized, yellow
    assert obligations("P00005") == [("secondary", "centralized_isolation", None)]
    assert code("P00005")["colour"] == "yellow"


def test_the_twenty_measures_identify_no_secondary_contact(rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_EDITION", "20")
    at(monkeypatch, "2022-12-01T09:00+08:00")
    ok("import", city(tmp_path / "city"))
    rows = [{"request_id": "SH-9", "issuing_jurisdiction": "上海市疾控", "reason": reason, "name": "",
             "id_number": "", "phone": phone, "last_exposure_at": "2022-11-30T12:30"}
            for reason, phone in (("密接", "13800000003"), ("次密接", "13800000005"))]
    for i, r in enumerate(rows):
        r["request_id"] = f"SH-9{i}"
    ok("assist", "import", write_csv(tmp_path / "xc20.csv", rows, COLS))
    # 5 days centralized + 3 days home isolation from 11-30: ends 12-08 24:00
    assert obligations("P00003") == [("close", "centralized_isolation", None)]
    assert code("P00003") == {"colour": "red", "reasons": ["close"], "changes_at": "2022-12-09T00:00:00+08:00"}
    assert obligations("P00005") == [] and code("P00005")["colour"] == "green"


def test_a_case_is_never_placed(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-12T09:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("case", "declare", "P00003", "--sampled-at", "2022-03-11T08:00")
    ok("assist", "import", _requests(tmp_path))
    assert obligations("P00003") == []
    assert code("P00003")["reasons"] == ["case"]
