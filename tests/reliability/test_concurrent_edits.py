"""Two people saving one record at the same moment, over real HTTP on SQLite and PostgreSQL: one wins, the
other gets 409 with what is there now; never a mixed row, never a 500 (issue 22, docs/security.md).

Each pair of requests is released together by a barrier, several rounds in a row: whether the two overlap
in the server or run one after the other, the answer must be the same, one 200 and one 409."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from auth.test_matrix import TODAY, world  # noqa: F401 - two districts traced, zones approved
from builders.risk import at, declare, import_people
from clihelp import fk
from tasks.test_tasks_api import TEAM
from test_api import server  # noqa: F401 - the live uvicorn fixture
from test_flow import city

from fangkong.contacts.teams import service as teams
from fangkong.kit.clikit import unit_of_work

pytestmark = pytest.mark.both_stores

ROUNDS = 4
TZ = ZoneInfo("Asia/Shanghai")


def _at_once(*calls):
    """Run the calls in threads released together; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _one_wins(answers, ok: int = 200):
    codes = sorted(r.status_code for r in answers)
    assert codes == sorted([ok, 409]), [(r.status_code, r.text[:300]) for r in answers]
    loser = next(r for r in answers if r.status_code == 409)
    assert loser.json()["detail"]
    return answers.index(next(r for r in answers if r.status_code == ok))


@pytest.fixture
def traced(server, tmp_path):  # noqa: F811
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = server.post("/api/cases", json={"person_id": "P00001", "sampled_at": "2022-03-11T08:00:00+08:00",
                                        "isolated_at": "2022-03-11T20:00:00+08:00"})
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    assert server.post(f"/api/cases/{case_id}/trace").status_code == 200
    return case_id


def _risk(server, case_id: str, rid: int) -> dict:  # noqa: F811
    return next(p for p in server.get("/api/risk-persons", params={"case_id": case_id}).json() if p["id"] == rid)


def test_two_overrides_of_one_risk_person_never_mix(server, traced):  # noqa: F811
    other = server.client_for("epidemiologist")
    rid = server.get("/api/risk-persons", params={"category": "close", "case_id": traced}).json()[0]["id"]
    url = f"/api/risk-persons/{rid}"
    for i in range(ROUNDS):
        version = _risk(server, traced, rid)["version"]
        bodies = [{"category": "secondary", "reason": f"A{i} table apart", "version": version},
                  {"category": "overlap", "reason": f"B{i} other floor", "version": version}]
        answers = _at_once(partial(server.patch, url, json=bodies[0]), partial(other.patch, url, json=bodies[1]))
        won = bodies[_one_wins(answers)]
        # the loser sees what is there now when its stale version was checked (when it ran second)
        for state in next(r for r in answers if r.status_code == 409).json()["errors"]:
            assert state["version"] == version + 1 and state["override_reason"] == won["reason"]
        row = _risk(server, traced, rid)
        assert (row["category"], row["override_reason"]) == (won["category"], won["reason"])
        assert row["version"] == version + 1
    # without a version: the category of one with the reason of the other was the finding; now one lands whole
    current = _risk(server, traced, rid)["category"]
    change = {"category": "close" if current != "close" else "secondary", "reason": "A whole"}
    keep = {"category": current, "reason": "B whole"}
    answers = _at_once(lambda: server.patch(url, json=change), lambda: other.patch(url, json=keep))
    assert all(r.status_code in (200, 409) for r in answers), [r.text for r in answers]
    row = _risk(server, traced, rid)
    assert (row["category"], row["override_reason"]) in {(change["category"], "A whole"), (current, "B whole")}


def test_two_saves_of_one_investigation(server, tmp_path):  # noqa: F811
    """Same version from both: one 200, one 409 (the race used to answer 500: StaleDataError unmapped)."""
    import_people(tmp_path / "city")
    assert server.post("/api/teams", json=TEAM).status_code == 201
    with unit_of_work() as s:
        teams.open_investigation(s, declare(s, "P00001"), now=at(0))
    other, url = server.client_for("epidemiologist"), "/api/cases/C000001/investigation"
    for i in range(ROUNDS):
        version = server.get(url).json()["version"]
        bodies = [{"version": version, "notes": f"A{i}"}, {"version": version, "notes": f"B{i}"}]
        answers = _at_once(partial(server.patch, url, json=bodies[0]), partial(other.patch, url, json=bodies[1]))
        won = bodies[_one_wins(answers)]
        after = server.get(url).json()
        assert after["notes"] == won["notes"] and after["version"] == version + 1


def test_two_rounds_of_one_zone_on_one_day(server, world):  # noqa: F811
    """Two testing teams report the same day's round with other figures: one stored, one 409 (the race used
    to answer 500: the unique (zone, day) violation unmapped)."""
    other, url = server.client_for("commander"), f"/api/zones/{world['ids']['zone_id']}/rounds"
    for i in range(ROUNDS):
        day = (TODAY - timedelta(days=ROUNDS - i)).isoformat()
        bodies = [{"day": day, "tested": 100, "positive": 0}, {"day": day, "tested": 200, "positive": 1}]
        answers = _at_once(partial(server.post, url, json=bodies[0]), partial(other.post, url, json=bodies[1]))
        _one_wins(answers, ok=201)


def test_two_extensions_of_one_measure(server, world):  # noqa: F811
    """Both extend the measure they read: one successor, the other 409 (there were two active measures)."""
    other = server.client_for("epidemiologist")
    m = server.get(f"/api/measures/{world['ids']['measure_id']}").json()
    person = m["person_id"]
    for i in range(ROUNDS):
        exposure = (datetime.now(TZ) - timedelta(minutes=30 - i)).isoformat(timespec="seconds")
        body = {"exposure_at": exposure, "reason": "a positive household member", "version": m["version"]}
        url = f"/api/measures/{m['id']}/extend"
        answers = _at_once(partial(server.post, url, json=body), partial(other.post, url, json=body))
        m = answers[_one_wins(answers)].json()
        active = [x for x in server.get("/api/measures", params={"limit": 1000}).json() if x["person_id"] == person]
        assert [x["id"] for x in active] == [m["id"]]


def test_two_people_put_in_one_free_room(server, world):  # noqa: F811
    """Two isolation managers put two persons of different households in the one free room at once: one
    stay, one 409; the room holds one household."""
    site = {"site_id": "S1", "name": "迎泽宾馆", "jurisdiction": "140105", "rooms": ROUNDS, "beds": 1}
    assert server.post("/api/sites", json=site).status_code == 201, "a site"
    other = server.client_for("isolation", "140105")
    district_a = {f"P{i:05d}" for i in range(3, 8)}   # the case's household (P00001-2) aside
    for m in server.get("/api/measures", params={"limit": 1000}).json():
        if m["person_id"] in district_a and m["kind"] != "centralized_isolation":
            r = server.post(f"/api/measures/{m['id']}/escalate", json={"reason": "home unsuitable"})
            assert r.status_code == 200, r.text
    waiting = [m for m in server.get("/api/measures", params={"kind": "centralized_isolation", "limit": 1000}).json()
               if m["person_id"] in district_a]
    assert len(waiting) >= 2, waiting
    for i in range(min(ROUNDS, len(waiting) // 2)):
        a, b = waiting[2 * i], waiting[2 * i + 1]
        room = f"{i + 1:03d}"
        bodies = [{"measure_id": a["id"], "site_id": "S1", "room_no": room},
                  {"measure_id": b["id"], "site_id": "S1", "room_no": room}]
        answers = _at_once(partial(server.post, "/api/rooms/assign", json=bodies[0]),
                           partial(other.post, "/api/rooms/assign", json=bodies[1]))
        _one_wins(answers, ok=201)
