"""The match reviews and the jobs export as the other lists do (issue 25, kit/listexport.py): every open review with
both sides masked as the page shows them, labels in the user's language, audited; a role that may not read the
list gets none. Real HTTP; the queues and hospitals of /isolation are checked on the browser tests' world
(tests/e2e/test_list_exports.py)."""

from __future__ import annotations

import csv
import io

from builders.risk import import_people
from sqlalchemy import select
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.people.lookup import get_person
from fangkong.people.models import MatchReview


def _rows(r) -> list[list[str]]:
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_reviews_and_jobs_export_masked_and_audited(server, tmp_path):  # noqa: F811 - the fixture
    import_people(tmp_path / "city", n=6)
    with unit_of_work() as s:
        for i, (a, b) in enumerate([("P00001", "P00002"), ("P00003", "P00004"), ("P00005", "P00006")]):
            s.add(MatchReview(key=a, person_fk=get_person(s, a).id, candidate_fk=get_person(s, b).id,
                              score=0.9 - i / 10, evidence={"fields": {"name": 0.8}},
                              status="open" if i < 2 else "merged"))
    analyst = server.client_for("analyst")
    page = analyst.get("/people/reviews").text
    assert 'action="/people/reviews/' in page and 'name="by"' not in page   # the signed-in user decides: no name asked
    rows = _rows(analyst.get("/people/reviews", params={"export": "csv"}))
    head, body = rows[0], rows[1:]
    assert head[:4] == ["待核编号", "新记录", "匹配分", "状态"] and "疑似同一人" in head
    assert [r[1] for r in body] == ["P00001", "P00003"]              # the open ones, best score first
    assert [r[4] for r in body] == ["P00001", "P00003"] and [r[9] for r in body] == ["P00002", "P00004"]
    for r in body:
        assert "*" in r[5] and "*" in r[10], r                        # names masked on both sides
        assert "*" in r[6] and "*" in r[7] and "*" in r[11], r        # phones and ID numbers too
    assert _rows(analyst.get("/people/reviews", params={"export": "csv", "lang": "en"}))[0][:2] == ["Review",
                                                                                                  "New record"]
    x = analyst.get("/people/reviews", params={"export": "xlsx"})
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    jobs = _rows(server.client_for("commander").get("/jobs", params={"export": "csv"}))
    assert jobs[0][:2] == ["任务", "任务标识"] and len(jobs) > 3 and all(r[1] for r in jobs[1:])
    citizen = server.client_for("citizen", person="P00006")
    assert citizen.get("/people/reviews", params={"export": "csv"}).status_code == 403
    with unit_of_work() as s:
        done = s.scalars(select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)).all()
    assert [(e.entity, e.actor, e.after["rows"]) for e in done] == [
        ("match_reviews", "analyst_all", 2), ("match_reviews", "analyst_all", 2), ("match_reviews", "analyst_all", 2),
        ("jobs", "commander_all", len(jobs) - 1)]
