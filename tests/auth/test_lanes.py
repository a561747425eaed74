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
