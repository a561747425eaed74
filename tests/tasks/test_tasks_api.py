"""Tasks and teams over real HTTP: overdue with owners, team registration, the investigation record, 409s."""

from builders.risk import at, declare, import_people
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.contacts.teams import service as teams
from fangkong.kit.clikit import unit_of_work

TEAM = {"team_id": "T1", "name": "小店一队", "jurisdiction": "140105", "max_cases": 1,
        "members": [{"name": "张伟", "role": "cdc"}, {"name": "李娜", "role": "medical"},
                    {"name": "王强", "role": "police", "phone": "13800000001"}]}


def test_overdue_tasks_with_owner_and_investigation_record(server, tmp_path):  # noqa: F811
    import_people(tmp_path / "city")
    r = server.post("/api/teams", json=TEAM)
    assert r.status_code == 201, r.text
    assert r.json()["open_cases"] == 0
    with unit_of_work() as s:
        teams.open_investigation(s, declare(s, "P00001"), now=at(0))
        teams.open_investigation(s, declare(s, "P00003"), now=at(0))
    r = server.get("/api/tasks", params={"overdue": "true", "at": "2022-03-14T13:00:00+08:00"})
    assert r.status_code == 200, r.text
    late = {(t["kind"], t["owner"], t["case_id"]) for t in r.json()}
    assert late == {("investigation", "T1", "C000001"), ("team_assignment", "140105", "C000002")}
    assert all(t["overdue"] and t["overdue_minutes"] > 0 for t in r.json())
    assert server.get("/api/tasks", params={"overdue": "true", "at": "2022-03-14T09:30:00+08:00"}).json()[0][
        "kind"] == "team_assignment"
    inv = server.get("/api/cases/C000001/investigation").json()
    assert inv["team"] == "T1" and inv["status"] == "assigned"
    body = {"version": inv["version"], "status": "interviewing", "notes": "到家访谈",
            "declared_trajectory": [{"place": "V1", "start": "2022-03-13T12:00:00+08:00"}]}
    r = server.patch("/api/cases/C000001/investigation", json=body)
    assert r.status_code == 200 and r.json()["declared_trajectory"][0]["place"] == "V1"
    r = server.patch("/api/cases/C000001/investigation", json={**body, "notes": "stale"})
    assert r.status_code == 409 and r.json()["errors"][0]["notes"] == "到家访谈"
    r = server.patch("/api/cases/C000001/investigation", json={"version": r.json()["errors"][0]["version"],
                                                                "status": "closed"})
    assert r.status_code == 200
    assert server.get("/api/cases/C000002/investigation").json()["team"] == "T1"
    assert server.patch("/api/teams/T1", json={"status": "off_duty"}).json()["status"] == "off_duty"
    assert [t["team_id"] for t in server.get("/api/teams").json()] == ["T1"]


def test_bad_team_and_task_input_is_a_clear_error(server):  # noqa: F811
    assert server.post("/api/teams", json={**TEAM, "members": TEAM["members"][:2]}).status_code == 422
    bad = {**TEAM, "members": [TEAM["members"][0]] * 2 + [{"name": "x", "role": "cdc"}]}
    r = server.post("/api/teams", json=bad)
    assert r.status_code == 422 and "1 police" in r.json()["detail"]
    assert server.post("/api/teams", json={**TEAM, "jurisdiction": "abc"}).status_code == 422
    assert server.post("/api/teams", json=TEAM).status_code == 201
    assert server.post("/api/teams", json=TEAM).status_code == 409
    assert server.get("/api/tasks", params={"kind": "nap"}).status_code == 422
    assert server.get("/api/tasks", params={"at": "2022-03-14T13:00:00"}).status_code == 422
    assert server.get("/api/tasks/99999").status_code == 404
    assert server.get("/api/cases/C404/investigation").status_code == 404
    assert server.patch("/api/teams/NOPE", json={"status": "off_duty"}).status_code == 404
    assert server.patch("/api/teams/T1", json={"status": "asleep"}).status_code == 422
