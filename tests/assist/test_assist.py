"""Regional assistance (协查): inbound routed to communities as same-day checks with
outcomes reported back, outbound for risk persons living elsewhere, one CSV format; bad input refused."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from builders.city import write_csv
from builders.zones import traced_case, zone_city
from clihelp import fk
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.assist import service
from fangkong.assist.models import AssistPerson, AssistRequest
from fangkong.db.scope import acting_as
from fangkong.errors import Forbidden, InvalidInput
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.idnumber import make
from fangkong.tasks.models import Task

TZ = ZoneInfo("Asia/Shanghai")
COLS = ["request_id", "issuing_jurisdiction", "reason", "name", "id_number", "phone"]


def at(*args):
    return datetime(*args, tzinfo=TZ)


def _id_of(i: int) -> str:
    """The ID number builders.city.person(i) gives."""
    from builders.city import person

    return person(i)["id_number"]


def test_inbound_csv_routes_each_person_to_a_same_day_check(rollback_env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    stranger = make("310101", datetime(1990, 1, 1).date(), 11)
    path = write_csv(tmp_path / "xc.csv", [
        {"request_id": "SH-2022-031", "issuing_jurisdiction": "上海市疾控", "reason": "密接", "name": "人3",
         "id_number": _id_of(3), "phone": ""},
        {"request_id": "SH-2022-031", "issuing_jurisdiction": "上海市疾控", "reason": "密接", "name": "",
         "id_number": "", "phone": "13800000005"},
        {"request_id": "SH-2022-031", "issuing_jurisdiction": "上海市疾控", "reason": "密接", "name": "外地人",
         "id_number": stranger, "phone": ""},
        {"request_id": "SH-2022-031", "issuing_jurisdiction": "上海市疾控", "reason": "密接", "name": "坏号",
         "id_number": "110105194912310021", "phone": ""},
        {"request_id": "SH-2022-031", "issuing_jurisdiction": "上海市疾控", "reason": "密接", "name": "坏手机",
         "id_number": "", "phone": "2380000"}], COLS)
    r = fk("assist", "import", path)
    assert r.exit_code == 1 and "3 persons received" in r.output
    assert "xc.csv:5: invalid resident ID number 110***********0021" in r.output
    assert "xc.csv:6: phone ******* is not an 11-digit mainland mobile number" in r.output
    assert "2 rejected" in r.output
    assert "0 persons received, 3 already known" in fk("assist", "import", path).output
    with unit_of_work() as s:
        req = s.scalar(select(AssistRequest))
        assert req.direction == "inbound" and req.request_no == "A000001"
        rows = {p.name or p.phone: p for p in req.persons}
        assert rows["人3"].person.person_id == "P00003" and rows["13800000005"].person.person_id == "P00005"
        assert rows["人3"].community == "140105001001" and rows["外地人"].person_fk is None
        tasks = {t.id: t for t in s.scalars(select(Task))}
        task = tasks[rows["人3"].task_fk]
        assert task.kind == "verification" and task.jurisdiction == "140105001001"
        assert task.due_at.astimezone(TZ).time().hour == 0   # 事不过夜: the end of the day it arrived
        assert tasks[rows["外地人"].task_fk].owner_ref == "unmatched"


def test_outcomes_are_reported_back_in_the_same_format(rollback_env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    with unit_of_work() as s:
        req = service.receive(s, ref="BJ-7", issuer="北京市朝阳区", reason="时空伴随",
                              persons=[service.PersonIn("人4", _id_of(4), None)], now=at(2022, 3, 12, 9))
        row = req.persons[0]
        with pytest.raises(Forbidden):
            service.record_outcome(s, row, "found_placed", at=at(2022, 3, 12, 15), jurisdiction="140105002001")
        with pytest.raises(InvalidInput, match="outcome must be one of"):
            service.record_outcome(s, row, "found", at=at(2022, 3, 12, 15), jurisdiction=None)
        with pytest.raises(InvalidInput, match="before the request arrived"):
            service.record_outcome(s, row, "not_found", at=at(2022, 3, 12, 8), jurisdiction=None)
        with acting_as(s, "社区网格员"):
            service.record_outcome(s, row, "found_negative", at=at(2022, 3, 12, 15), jurisdiction="140105001001",
                                   note="居家，已采样")
        assert s.get(Task, row.task_fk).status == "done"
        rows = service.export_rows(req, TZ)
    assert rows == [{"request_id": "BJ-7", "issuing_jurisdiction": "北京市朝阳区", "recipient_jurisdiction": "",
                     "reason": "时空伴随", "category": "", "name": "人4", "id_number": _id_of(4), "phone": "",
                     "last_exposure_at": "",
                     "outcome": "found_negative", "outcome_at": "2022-03-12T15:00:00+08:00", "note": "居家，已采样"}]


def test_bad_api_requests_store_nothing(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    base = {"request_id": "R1", "issuing_jurisdiction": "上海", "reason": "密接"}
    for persons in ([{"id_number": "110105194912310021"}], [{"phone": "12345"}], [{"name": "无号码"}],
                    [{"id_number": _id_of(3)}, {"phone": "1380000000X"}]):
        r = server.post("/api/assist/requests", json=dict(base, persons=persons))
        assert r.status_code == 422, r.text
    assert server.post("/api/assist/requests", json=dict(base, persons=[])).status_code == 422
    assert server.post("/api/assist/requests", json=dict(base, reason="", persons=[{"phone": "13800000005"}])
                       ).status_code == 422
    with unit_of_work() as s:
        assert s.scalar(select(func.count(AssistRequest.id))) == 0 and s.scalar(select(func.count(Task.id))) == 0
    r = server.post("/api/assist/requests", json=dict(base, persons=[{"phone": "13800000005"}]))
    assert r.status_code == 201 and r.json()["persons"][0]["phone"] == "138****0005"
    row = r.json()["persons"][0]["id"]
    r = server.post(f"/api/assist/persons/{row}/outcome", json={"outcome": "not_found", "by": "社区"})
    assert r.status_code == 200 and r.json()["persons"][0]["outcome"] == "not_found"
    r = server.post(f"/api/assist/persons/{row}/outcome", json={"outcome": "not_found", "by": "社区"})
    assert r.status_code == 409
    text = server.get("/api/assist/requests/A000001/export").text
    assert list(csv.DictReader(io.StringIO(text)))[0]["outcome"] == "not_found"
    assert server.get("/api/assist/requests/A999").status_code == 404
    assert server.post("/api/assist/persons/99999/outcome", json={"outcome": "not_found", "by": "x"}).status_code == 404


def test_outbound_pushes_people_living_elsewhere_and_exports_them(rollback_env, tmp_path):
    case_id = traced_case(tmp_path)
    with unit_of_work() as s:
        from fangkong.people.models import Person

        p6 = s.scalar(select(Person).where(Person.person_id == "P00006"))
        p6.community = "110105001001"   # lives in Beijing
    r = fk("assist", "outbound", case_id, "--home", "1401")
    assert r.exit_code == 0 and r.stdout.split("\t")[1] == "110105"
    assert fk("assist", "outbound", case_id, "--home", "1401").stdout == ""     # not pushed twice
    r = fk("assist", "export", r.stdout.split("\t")[0])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["issuing_jurisdiction"], x["recipient_jurisdiction"], x["phone"], x["category"], x["note"])
            for x in rows] == [("1401", "110105", "13800000006", "close", "")]
    with unit_of_work() as s:
        assert s.scalar(select(func.count(AssistPerson.id))) == 1
    assert fk("assist", "outbound", case_id, "--home", "14x").exit_code == 1
    assert fk("assist", "list").exit_code == 0
