"""Inbound and outbound assistance requests (区域协查, issue 23 reproduction 10, the gaps left):
- the issuer may withdraw one person of a request (sent by mistake), not only all of it: that person's obligation
  from the request is withdrawn (the code re-evaluated), the open door check cancelled, audited; the others stay;
- the category travels per person in its own column `category` (validated), in and out; a stated per-person
  category wins over the reason's;
- a person registered at the door check (no one matched) is registered in the door check's community, never in
  none (the verification page passes the community of its queue)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from builders.city import write_csv
from clihelp import fk
from conformance.scenario import at, code, obligations, ok
from sqlalchemy import select
from test_flow import city

from fangkong.assist.models import AssistPerson
from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person
from fangkong.protocol.idnumber import make
from fangkong.tasks.models import Task

COLS = ["request_id", "issuing_jurisdiction", "reason", "category", "name", "id_number", "phone",
        "last_exposure_at"]
STRANGER = make("310101", datetime(1990, 1, 1).date(), 11)


def _id_of(i: int) -> str:
    from builders.city import person

    return person(i)["id_number"]


def _row(**kw) -> dict:
    return {"request_id": "SH-040", "issuing_jurisdiction": "上海市疾控", "reason": "密接及次密接协查",
            "category": "", "name": "", "id_number": "", "phone": "", "last_exposure_at": "2022-03-10T12:30", **kw}


def _rows() -> dict[str, AssistPerson]:
    with unit_of_work() as s:
        return {p.name: p.id for p in s.scalars(select(AssistPerson))}


def test_one_person_withdrawn_the_category_per_person_and_the_door_checks_community(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-12T09:00+08:00")
    ok("import", city(tmp_path / "city"))
    bad = write_csv(tmp_path / "bad.csv", [_row(name="人3", id_number=_id_of(3), category="密接的密接")], COLS)
    r = fk("assist", "import", bad)
    assert r.exit_code == 1 and "category" in r.output and "close, secondary, companion, overlap" in r.output
    good = write_csv(tmp_path / "xc.csv", [_row(name="人3", id_number=_id_of(3), category="close"),
                                           _row(name="人5", phone="13800000005", category="secondary"),
                                           _row(name="外地人", id_number=STRANGER, phone="13900000099",
                                                category="close")], COLS)
    ok("assist", "import", good)
    # the reason names both; each person's column decides
    assert obligations("P00003") == [("close", "centralized_isolation", None)]
    assert obligations("P00005") == [("secondary", "home_isolation", None)]
    rows = _rows()
    # 11:00 the issuer withdraws 人3 alone: sent by mistake
    at(monkeypatch, "2022-03-12T11:00+08:00")
    out = fk("assist", "withdraw", "A000001", "--row", str(rows["人3"]), "--reason", "发函有误", "--by", "上海市疾控")
    assert out.exit_code == 0, out.output
    assert obligations("P00003") == []
    assert obligations("P00003", active_only=False) == [("close", "centralized_isolation", "withdrawn")]
    assert code("P00003")["colour"] == "green"
    assert obligations("P00005") == [("secondary", "home_isolation", None)], "the others stay"
    with unit_of_work() as s:
        row = s.get(AssistPerson, rows["人3"])
        assert (row.withdrawn_reason, s.get(Task, row.task_fk).status) == ("发函有误", "cancelled")
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "assist.withdraw",
                                                    AuditEntry.entity_id == str(rows["人3"]))) is not None
    again = fk("assist", "withdraw", "A000001", "--row", str(rows["人3"]), "--reason", "x", "--by", "上海市疾控")
    assert again.exit_code != 0 and "already withdrawn" in again.output
    late = fk("assist", "outcome", str(rows["人3"]), "found_placed", "--by", "网格员")
    assert late.exit_code != 0 and "withdrawn" in late.output
    # 15:00 the police find the stranger: registering him needs the community of the door check, never none
    at(monkeypatch, "2022-03-12T15:00+08:00")
    nowhere = fk("assist", "outcome", str(rows["外地人"]), "found_placed", "--by", "派出所")
    assert nowhere.exit_code != 0 and "community" in nowhere.output
    with unit_of_work() as s:
        assert s.scalar(select(Person).where(Person.source == "assist")) is None, "nothing registered"
    ok("assist", "outcome", str(rows["外地人"]), "found_placed", "--by", "派出所", "--community", "140105001001")
    with unit_of_work() as s:
        registered = s.scalar(select(Person).where(Person.source == "assist"))
        assert registered.community == "140105001001"
        assert s.get(AssistPerson, rows["外地人"]).community == "140105001001"
    assert code(registered.person_id)["colour"] == "red"
    # the exchange CSV carries the category in its own column
    exported = ok("assist", "export", "A000001")
    assert sorted(r["category"] for r in csv.DictReader(io.StringIO(exported))) == ["close", "close", "secondary"]


def test_outbound_requests_state_the_category_in_its_own_column(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    case = ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
              "2022-03-11T20:00")
    ok("trace", case)
    with unit_of_work() as s:  # P00003 and P00004 live in Shanghai
        for pid in ("P00003", "P00004"):
            s.scalar(select(Person).where(Person.person_id == pid)).community = "310101001001"
    ok("assist", "outbound", case, "--home", "1401")
    rows = list(csv.DictReader(io.StringIO(ok("assist", "export", "A000001"))))
    assert sorted((r["category"], r["note"]) for r in rows) == [("close", ""), ("secondary", "")]
