"""Districts stay in their lane on writes (issue 22), over real HTTP in test_matrix's two-district world.

A district user changes only what lies inside its district: zones (their places), sites, hospitals, teams,
sampling points, rounds; city-wide objects need a user whose jurisdiction covers them (403, never 500).
Zones need four eyes, and whoever acts is the signed-in user, never a name in the body.
"""

from __future__ import annotations

from test_api import server  # noqa: F401 - the live uvicorn fixture
from test_matrix import A, B, world  # noqa: F401 - the two-district world

from fangkong.protocol.grid import grid_id

BOSS = "省指挥部 李主任"


def _zone(client, *places: tuple[str, str], level: str = "sealed"):
    return client.post("/api/zones", json={"level": level, "by": BOSS,
                                           "places": [{"kind": k, "ref": r} for k, r in places]})


def test_a_district_decides_only_its_own_zones_and_never_alone(server, world):  # noqa: F811
    a, b, city = server.client_for("commander", A), server.client_for("commander", B), server.client_for("commander")
    # the same district written long: a second commander of district A
    a2 = server.client_for("commander", A + "000000", username=f"commander2_{A}")
    # another district's venue, or its grid cell, or a cell of no known place: refused, nothing stored
    before = len(server.get("/api/zones").json())
    for places in ([("venue", "V3")], [("venue", "V1"), ("venue", "V4")], [("grid", grid_id(37.70, 112.55))],
                   [("grid", "1:1")]):
        r = _zone(a, *places)
        assert r.status_code == 403 and "outside your jurisdiction" in r.json()["detail"], (places, r.text)
    assert len(server.get("/api/zones").json()) == before
    # its own venue: proposed as the signed-in user, whatever the body says
    r = _zone(a, ("venue", "V1"), ("grid", grid_id(37.87, 112.55)))
    assert r.status_code == 201, r.text
    mine = r.json()["zone_id"]
    r = a.post(f"/api/zones/{mine}/approve", json={"by": BOSS})
    assert r.status_code == 403 and "four eyes" in r.json()["detail"]
    r = a2.post(f"/api/zones/{mine}/approve", json={"by": BOSS})
    assert r.status_code == 200 and r.json()["approved_by"] == f"commander2_{A}", r.text
    log = server.get("/api/audit", params={"entity_id": mine}).json()
    assert {e["action"]: e["actor"] for e in log} == {"zone.propose": f"commander_{A}",
                                                      "zone.approve": f"commander2_{A}"}
    # a zone on district B's venue: district A sees it on the list but may not decide it; B may
    theirs = _zone(city, ("venue", "V3")).json()["zone_id"]
    for verb, body in (("approve", {}), ("reject", {"reason": "not ours"}), ("lift", {})):
        r = a.post(f"/api/zones/{theirs}/{verb}", json=body)
        assert r.status_code == 403 and "outside your jurisdiction" in r.json()["detail"], (verb, r.text)
    assert b.post(f"/api/zones/{theirs}/approve", json={}).status_code == 200
    r = a.post(f"/api/zones/{theirs}/rounds", json={"day": "2022-03-19", "tested": 5, "positive": 0})
    assert r.status_code == 403
    assert a.post(f"/api/zones/{theirs}/lift", json={}).status_code == 403
    z = server.get(f"/api/zones/{theirs}").json()
    assert z["status"] == "approved" and z["approved_by"] == f"commander_{B}"


def _site(sid: str, code: str) -> dict:
    return {"site_id": sid, "name": f"隔离点{sid}", "jurisdiction": code, "rooms": 2}


def _refused(r, what) -> None:
    assert r.status_code == 403 and "outside your jurisdiction" in r.json()["detail"], (what, r.status_code, r.text)


def test_a_district_creates_and_changes_only_its_own_places_teams_and_rounds(server, world):  # noqa: F811
    iso, epi, lab = (server.client_for(role, A) for role in ("isolation", "epidemiologist", "lab"))
    assert server.post("/api/sites", json=_site("CITY1", "1401")).status_code == 201  # the admin's city site
    assert server.post("/api/teams", json={"team_id": "TCITY", "name": "市队", "jurisdiction": "1401", "members": [
        {"name": "甲", "role": "cdc"}, {"name": "乙", "role": "medical"}, {"name": "丙", "role": "police"}]}
        ).status_code == 201
    # its own district: fine
    assert iso.post("/api/sites", json=_site("SA", A + "001")).status_code == 201
    assert iso.post("/api/sites/SA/rooms", json={"count": 1}).status_code == 200
    hospital = {"hospital_id": "HA", "name": "区医院", "jurisdiction": A, "beds": 10}
    assert iso.post("/api/hospitals", json=hospital).status_code == 201
    # the whole city, or another district: 403 with a message, never a 500, nothing written
    for code in ("1401", B, "14", "999999999999999"):
        _refused(iso.post("/api/sites", json=_site(f"S{code}", code)), code)
        _refused(iso.post("/api/hospitals", json=hospital | {"hospital_id": f"H{code}", "jurisdiction": code}), code)
    sites = {s["site_id"] for s in server.get("/api/sites").json()}
    assert {"SA", "CITY1"} <= sites and not {s for s in sites if s.startswith("S1") or s.startswith("S9")}
    # a city site is seen from the district, but not changed by it
    assert any(s["site_id"] == "CITY1" for s in iso.get("/api/sites").json())
    _refused(iso.patch("/api/sites/CITY1", json={"status": "closed"}), "patch city site")
    _refused(iso.post("/api/sites/CITY1/rooms", json={"count": 5}), "city rooms")
    _refused(iso.post("/api/sites/CITY1/staff", json={"name": "王", "role": "medical"}), "city staff")
    _refused(iso.put("/api/hospitals/plan/10", json={"action": "open a field hospital", "beds": 500}), "plan")
    _refused(iso.delete("/api/hospitals/plan/10"), "plan removal")
    assert server.get("/api/sites/CITY1").json()["status"] == "open"
    _refused(epi.patch("/api/teams/TCITY", json={"status": "off_duty"}), "city team")
    members = [{"name": "甲", "role": "cdc"}, {"name": "乙", "role": "medical"}, {"name": "丙", "role": "police"}]
    _refused(epi.post("/api/teams", json={"team_id": "TB", "name": "乙队", "jurisdiction": B, "members": members}),
             "team of B")
    assert epi.post("/api/teams", json={"team_id": "TA", "name": "甲队", "jurisdiction": A,
                                        "members": members}).status_code == 201
    _refused(lab.post("/api/testing/points", json={"point_id": "PB", "community": "140106002003"}), "point of B")
    _refused(lab.post("/api/testing/points", json={"point_id": "PX"}), "point of no community")
    _refused(lab.post("/api/testing/labs", json={"lab_id": "L1", "daily_capacity": 1000}), "a city lab")
    assert lab.post("/api/testing/points", json={"point_id": "PA", "community": "140105001001"}).status_code == 201
    round_ = {"round_id": "R1", "name": "全员", "start_date": "2022-03-20", "point_ids": ["PA"]}
    _refused(lab.post("/api/testing/rounds", json=round_), "a round of the whole city")
    _refused(lab.post("/api/testing/rounds", json=round_ | {"communities": [A, B]}), "a round across districts")
    assert lab.post("/api/testing/rounds", json=round_ | {"communities": [A]}).status_code == 201
