"""The testing API over real HTTP: planner, points, labs, rounds, progress, re-tests, conflicts, environment."""

from __future__ import annotations

from builders.testing import persons_file, pooled, result, results_file, samples_file
from clihelp import fk
from test_api import server  # noqa: F401 - the real-HTTP fixture


def test_planner_and_its_bad_input(server):  # noqa: F811
    r = server.get("/api/testing/plan", params={"persons": 10_000_000, "prevalence": 0.001, "points": 4000,
                                                 "labs": "own:143000,contract:80000", "pool_size": 10})
    assert r.status_code == 200, r.text
    p = r.json()
    assert round(p["expected_tests"]) == 1_099_551 and p["first_tubes"] == 1_000_000 and not p["meets_target"]
    assert [x["lab_id"] for x in p["labs"]] == ["own", "contract"]
    for bad in ({"prevalence": 0}, {"prevalence": 1}, {"prevalence": -1}, {"points": 0}, {"labs": "x:y"},
                {"labs": "a'; drop"}, {"pool_size": 30}, {"persons": 10**12}):
        q = {"persons": 100, "prevalence": 0.01, "points": 1, "labs": "10", **bad}
        assert server.get("/api/testing/plan", params=q).status_code == 422, bad


def test_rounds_results_and_follow_ups(server, tmp_path):  # noqa: F811
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    assert server.post("/api/testing/points", json={"point_id": "PT1", "community": "140105001001",
                                                    "tables": 4}).status_code == 201
    assert server.post("/api/testing/labs", json={"lab_id": "LAB1", "daily_capacity": 48000}).status_code == 201
    assert server.post("/api/testing/labs", json={"lab_id": "LAB1", "daily_capacity": 5}).status_code == 409
    body = {"round_id": "R1", "name": "全员核酸", "start_date": "2022-03-14", "point_ids": []}
    r = server.post("/api/testing/rounds", json=body)
    assert r.status_code == 422 and "no sampling points" in r.json()["detail"]
    r = server.post("/api/testing/rounds", json={**body, "point_ids": ["PT1"]})
    assert r.status_code == 201, r.text
    assert server.get("/api/testing/rounds").json()[0]["point_ids"] == ["PT1"]
    folder = tmp_path / "day1"
    samples_file(folder, pooled(20))
    results_file(folder, [result("T1", "positive"), result("T2")])
    assert fk("import", folder).exit_code == 0
    p = server.get("/api/testing/rounds/R1/progress").json()
    assert (p["expected"], p["sampled"], p["results_in"], p["reactive_tubes"], p["reactive_people"]) == (20, 20, 20, 1, 10)
    assert server.get("/api/testing/rounds/NOPE/progress").status_code == 404
    assert len(server.get("/api/testing/retests", params={"reason": "pool_positive"}).json()) == 10
    assert len(server.get("/api/measures", params={"kind": "temporary_control"}).json()) == 10
    stages = {x["stage"] for x in server.get("/api/testing/turnaround", params={"round_id": "R1"}).json()}
    assert stages == {"ship", "test", "report", "total"}
    results_file(folder, [result("T2", "invalid")])
    assert fk("import", folder).exit_code == 1
    c = server.get("/api/testing/conflicts").json()
    assert c[0]["tube_id"] == "T2" and c[0]["stored_result"] == "negative"
    r = server.post(f"/api/testing/conflicts/{c[0]['id']}/resolve", json={"result": "negative", "reviewer": "lab"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert server.post(f"/api/testing/conflicts/{c[0]['id']}/resolve",
                       json={"result": "negative", "reviewer": "lab"}).status_code == 409
    assert server.post("/api/testing/conflicts/999/resolve", json={"result": "maybe", "reviewer": "x"}).status_code == 422


def test_environmental_samples_and_bad_input(server):  # noqa: F811
    ok = {"tube_id": "E1", "place_kind": "hotel_room", "place_ref": "隔离酒店 1203", "sampled_at": "2022-03-14T09:00:00+08:00"}
    assert server.post("/api/testing/environmental", json=ok).status_code == 201
    assert server.post("/api/testing/environmental", json=ok).status_code == 409
    for bad in ({"sampled_at": "2022-03-14T09:00:00"}, {"place_kind": "moon"}, {"tube_id": "x" * 65},
                {"tube_id": "../etc"}, {"case_id": "C999999"}):
        r = server.post("/api/testing/environmental", json={**ok, "tube_id": "E2", **bad})
        assert r.status_code in (404, 422), (bad, r.text)
    assert server.get("/api/testing/environmental").json()[0]["result"] is None
