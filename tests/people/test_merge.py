"""Merge and unmerge: records follow the survivor, the bulletin counts one person, undo restores all; bad input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from builders.city import person, venue, write_city
from clihelp import fk
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong import flows
from fangkong.cases import service as case_service
from fangkong.codes.models import HealthCode
from fangkong.contacts import service as contact_service
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.people import service as people_service
from fangkong.people.models import Person, PersonMerge
from fangkong.settings import get_settings

pytestmark = pytest.mark.both_stores

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2022, 3, 11, 21, 0, tzinfo=TZ)


def city(folder):
    """tests/test_flow.py's city; P00004 has no ID number (a record a second source could duplicate)."""
    persons = [person(i, household="H1" if i in (1, 2) else None) for i in range(1, 8)]
    persons[3]["id_number"] = ""
    v = lambda p, vid, s, e="": {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}  # noqa: E731
    visits = [v("P00001", "V1", "2022-03-10T12:00", "2022-03-10T13:00"), v("P00003", "V1", "2022-03-10T12:30"),
              v("P00004", "V1", "2022-03-10T12:50"), v("P00005", "V1", "2022-03-10T18:00"),
              v("P00003", "V2", "2022-03-11T09:00", "2022-03-11T10:00"),
              v("P00006", "V2", "2022-03-11T09:30", "2022-03-11T10:00")]
    dwells = [{"phone": "13800000001", "lat": 37.87, "lon": 112.55, "start_at": "2022-03-10T14:00",
               "end_at": "2022-03-10T15:00"},
              {"phone": "13800000007", "lat": 37.8701, "lon": 112.5501, "start_at": "2022-03-10T14:30",
               "end_at": "2022-03-10T16:00"}]
    return write_city(folder, persons, [venue("V1"), venue("V2", "shop")], visits, dwells)


def traced(tmp_path) -> None:
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    with unit_of_work() as s:
        case = case_service.declare_case(s, "P00001", sampled_at=datetime(2022, 3, 11, 8, tzinfo=TZ),
                                         isolated_at=datetime(2022, 3, 11, 20, tzinfo=TZ), now=NOW)
        flows.respond(s, get_settings(), case, now=NOW)


def state() -> dict:
    with unit_of_work() as s:
        fk_of = {p.person_id: p.id for p in s.scalars(select(Person))}
        return {"persons": len(fk_of), "counts": contact_service.category_counts(s),
                "risk": sorted((r.who, r.category, r.person_fk, len(r.evidence)) for r in s.scalars(select(RiskPerson))),
                "measures": sorted((m.person_fk, m.category, m.risk_person_fk) for m in s.scalars(select(Measure))),
                "codes": sorted(s.execute(select(HealthCode.person_fk)).scalars()), "ids": fk_of}


def test_merge_moves_records_to_the_survivor_and_unmerge_restores_them(env, tmp_path):
    traced(tmp_path)
    before = state()
    assert before["counts"] == {"close": 2, "secondary": 2, "companion": 1, "overlap": 1}
    r = fk("people", "merge", "P00003", "P00004", "--by", "李分析", "--reason", "same person seen at the door")
    assert r.exit_code == 0, r.output
    after = state()
    p3 = before["ids"]["P00003"]
    assert after["persons"] == 6 and "P00004" not in after["ids"]
    # one risk person for the two records, under the higher category, with the evidence of both
    assert after["counts"] == {"close": 2, "secondary": 1, "companion": 1, "overlap": 1}
    assert ("p:P00003", "close", p3, 2) in after["risk"] and not any(w == "p:P00004" for w, *_ in after["risk"])
    # both measures now belong to the survivor; one health code (the merged one's is set aside)
    assert sum(1 for fk_, *_ in after["measures"] if fk_ == p3) == 2
    assert before["ids"]["P00004"] not in after["codes"] and p3 in after["codes"]
    with unit_of_work() as s:
        assert people_service.get_person(s, "P00004").person_id == "P00003"  # the old key still finds the person
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "person.merge")) == 1
        # who merged is the command's --by, read from its session (no actor parameter)
        assert s.scalar(select(PersonMerge.actor)) == "李分析"
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "person.merge")) == "李分析"
    r = fk("people", "unmerge", "P00004", "--by", "李分析")
    assert r.exit_code == 0, r.output
    assert state() == before
    with unit_of_work() as s:
        assert s.scalar(select(PersonMerge.undone_by)) == "李分析"
    r = fk("people", "unmerge", "--merge", "1", "--by", "李分析")
    assert r.exit_code == 1 and "merge 1 was already undone" in r.output


def test_bad_merges_change_nothing(env, tmp_path):
    traced(tmp_path)
    before = state()
    r = fk("people", "merge", "P00002", "P00002", "--by", "x", "--reason", "y")
    assert r.exit_code == 1 and "cannot merge person P00002 with themself" in r.output
    r = fk("people", "merge", "P00002", "P00003", "--by", "x", "--reason", "y")
    assert r.exit_code == 1 and "P00002 and P00003 have different resident ID numbers" in " ".join(r.output.split())
    r = fk("people", "unmerge", "P00005", "--by", "x")
    assert r.exit_code == 1 and "P00005 was never merged into another person: nothing to unmerge" in r.output
    r = fk("people", "merge", "P00002", "NOPE", "--by", "x", "--reason", "y")
    assert r.exit_code == 1 and "unknown person 'NOPE'" in r.output
    assert state() == before
    with unit_of_work() as s:
        assert s.scalar(select(func.count(PersonMerge.id))) == 0


def test_review_queue_over_http(server, tmp_path):  # noqa: F811
    traced(tmp_path)
    dup = [{**person(4), "person_id": "VC-4", "id_number": "", "phone": "", "address": "别处"}]
    assert fk("import", write_city(tmp_path / "vc", dup, [venue("V1")], []), "--source", "venue_codes").exit_code == 0
    r = server.get("/api/match-reviews")
    assert r.status_code == 200 and len(r.json()) == 1
    review = r.json()[0]
    assert review["key"] == "VC-4" and review["candidate"]["person_id"] == "P00004"
    assert review["candidate"]["name"] == "人*"  # masked
    page = server.get("/people/reviews")
    assert page.status_code == 200 and "VC-4" in page.text
    r = server.post(f"/api/match-reviews/{review['id']}", json={"decision": "merge", "by": "李分析"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "merged"
    assert server.post(f"/api/match-reviews/{review['id']}", json={"decision": "merge", "by": "x"}).status_code == 409
    r = server.get("/api/persons/VC-4")
    assert r.status_code == 200 and r.json()["person_id"] == "P00004"
    assert [k["key"] for k in r.json()["keys"]] == ["VC-4"]
    assert server.post("/api/merges", json={"survivor": "P00002", "merged": "P00002", "by": "x",
                                            "reason": "y"}).status_code == 422
    assert server.post("/api/merges/99/undo", json={"by": "x"}).status_code == 404
    assert server.get("/api/persons/" + "x" * 65).status_code == 422
    r = server.post("/people/merges/1/undo", data={"by": "李分析"}, follow_redirects=False)
    assert r.status_code == 303
    r = server.get("/api/match-reviews")
    assert [x["key"] for x in r.json()] == ["VC-4"]  # the undone merge reopens the review
    r = server.post("/api/persons/P00002/phones", json={"phone": "13800000003", "by": "工信",
                                                        "valid_from": "2022-03-01T00:00:00"})
    assert r.status_code == 201, r.text
    r = server.post("/api/persons/P00003/phones", json={"phone": "13800000003", "by": "工信"})
    assert r.status_code == 409 and "one owner at a time" in r.text
