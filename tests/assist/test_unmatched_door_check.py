"""An inbound request's person whom no registered person matched: his door check is the district police's (no
community) until they locate him and hand it to the community where he is (`assist hand-over`, `POST /api/assist/
persons/{row}/community`); then that community's verifier closes it on the verification page, which registers him
there and places him under the request's measure; a verifier of another community is refused (issue 23)."""

from __future__ import annotations

from datetime import datetime

from builders.city import write_csv
from clihelp import fk
from conformance.scenario import at, code, obligations, ok
from sqlalchemy import select
from test_api import server  # noqa: F401 - the real-HTTP fixture
from test_flow import city

from fangkong.assist.models import AssistPerson
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person
from fangkong.protocol.idnumber import make
from fangkong.tasks.models import Task

STRANGER = make("310101", datetime(1990, 1, 1).date(), 11)
HOME, OTHER = "140105001001", "140105001002"
HTMX = {"hx-request": "true", "accept": "text/html"}


def _request(tmp_path) -> tuple[int, int]:
    cols = ["request_id", "issuing_jurisdiction", "reason", "name", "id_number", "phone", "last_exposure_at"]
    ok("import", city(tmp_path / "city"))
    ok("assist", "import", write_csv(tmp_path / "xc.csv", [
        {"request_id": "SH-041", "issuing_jurisdiction": "上海市疾控", "reason": "密接", "name": "外地人",
         "id_number": STRANGER, "phone": "13900000099", "last_exposure_at": "2022-03-11T12:30"}], cols))
    with unit_of_work() as s:
        row = s.scalar(select(AssistPerson))
        return row.id, row.task_fk


def _task(task_id: int) -> Task:
    with unit_of_work() as s:
        task = s.get(Task, task_id)
        s.expunge(task)
        return task


def test_the_verifier_of_the_community_it_was_handed_to_closes_an_unmatched_persons_door_check(server,  # noqa: F811
                                                                                                tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-12T09:00+08:00")
    row_id, task_id = _request(tmp_path)
    assert (_task(task_id).jurisdiction, _task(task_id).owner_ref) == (None, "unmatched")
    home = server.client_for("verifier", HOME)
    other = server.client_for("verifier", OTHER)
    at(monkeypatch, "2022-03-12T11:00+08:00")
    # not yet handed over: the check is no community's, not even in the verifier's sight
    r = home.post(f"/verify/{task_id}", data={"outcome": "found_placed", "version": _task(task_id).version,
                                             "community": HOME}, headers=HTMX)
    assert r.status_code == 404
    # the police located him: the city's staff hand the check over (a district's cannot see a row no community has)
    district = server.client_for("epidemiologist", "140105")
    assert district.post(f"/api/assist/persons/{row_id}/community", json={"community": HOME}).status_code == 404
    police = server.client_for("epidemiologist", "")
    assert police.post(f"/api/assist/persons/{row_id}/community", json={"community": "1401"}).status_code == 422
    r = police.post(f"/api/assist/persons/{row_id}/community", json={"community": HOME})
    assert r.status_code == 200, r.text
    again = police.post(f"/api/assist/persons/{row_id}/community", json={"community": OTHER})
    assert again.status_code == 409  # handed over once
    task = _task(task_id)
    assert (task.jurisdiction, task.owner_kind, task.status) == (HOME, "community", "open")
    assert str(task_id) in home.get(f"/verify?community={HOME}").text  # in the community's queue
    at(monkeypatch, "2022-03-12T15:00+08:00")
    r = other.post(f"/verify/{task_id}", data={"outcome": "found_placed", "version": task.version,
                                              "community": OTHER}, headers=HTMX)
    assert r.status_code == 404  # a verifier of another community: outside his sight (docs/security.md)
    city_wide = server.client_for("verifier", "")  # sees every check; acts for the community his queue is on
    r = city_wide.post(f"/verify/{task_id}", data={"outcome": "found_placed", "version": task.version,
                                                   "community": OTHER}, headers=HTMX)
    assert r.status_code == 403  # another community's queue
    r = home.post(f"/verify/{task_id}", data={"outcome": "found_placed", "version": task.version,
                                             "community": HOME}, headers=HTMX)
    assert r.status_code == 200, r.text
    assert _task(task_id).status == "done"
    with unit_of_work() as s:
        row = s.get(AssistPerson, row_id)
        person = s.scalar(select(Person).where(Person.id_number == STRANGER))
        assert (row.outcome, row.person_fk, person.community) == ("found_placed", person.id, HOME)
        pid = person.person_id
    assert obligations(pid) == [("close", "centralized_isolation", None)]  # placed under the request's measure
    assert code(pid)["colour"] == "red"


def test_handing_over_is_for_an_unmatched_persons_open_check_only(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-12T09:00+08:00")
    row_id, _ = _request(tmp_path)
    bad = fk("assist", "hand-over", str(row_id), "--community", "1401", "--by", "派出所")
    assert bad.exit_code != 0 and "12 digits" in bad.output
    outside = fk("assist", "hand-over", str(row_id), "--community", HOME, "--jurisdiction", "140106", "--by", "派出所")
    assert outside.exit_code != 0 and "not in your jurisdiction" in outside.output
    ok("assist", "hand-over", str(row_id), "--community", HOME, "--by", "派出所")
    twice = fk("assist", "hand-over", str(row_id), "--community", OTHER, "--by", "派出所")
    assert twice.exit_code != 0 and HOME in twice.output
