"""Districts stay in their lane on writes (issue 22), over real HTTP in test_matrix's two-district world.

A district user changes only what lies inside its district: zones (their places), sites, hospitals, teams,
sampling points, rounds; city-wide objects need a user whose jurisdiction covers them (403, never 500).
Zones need four eyes, and whoever acts is the signed-in user, never a name in the body.
"""

from __future__ import annotations

import re

import pytest
from builders.zones import zone_city
from clihelp import fk
from sqlalchemy import select
from test_api import server  # noqa: F401 - the live uvicorn fixture
from test_matrix import TODAY, A, B, two_districts, world  # noqa: F401 - the two-district world

from fangkong.db.audit import AuditEntry
from fangkong.db.masking import OTHER_DISTRICT
from fangkong.kit.clikit import operator, unit_of_work
from fangkong.people.models import Person
from fangkong.protocol.grid import grid_id

pytestmark = pytest.mark.both_stores

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


def test_what_a_district_is_shown_masks_the_other_district(server, world):  # noqa: F811
    """P00017 (district B) sat beside A's case, P00007 (A) beside B's: each district sees its resident's risk
    row, task and assistance row, and the other district's case and persons only as 外区."""
    ca, cb = world["cases"][A], world["cases"][B]
    a, b = server.client_for("epidemiologist", A), server.client_for("epidemiologist", B)
    # the admin sees the links across the line
    rows = server.get("/api/risk-persons", params={"limit": 1000}).json()
    assert {(r["case_id"], r["person_id"]) for r in rows} >= {(ca, "P00017"), (cb, "P00007")}
    # district B: its resident's risk row, its case masked; district A: its case's contact in B masked
    mine = [r for r in b.get("/api/risk-persons", params={"limit": 1000}).json() if r["person_id"] == "P00017"]
    assert mine and all(r["case_id"] == OTHER_DISTRICT for r in mine)
    assert all(e["via"] in (OTHER_DISTRICT, "P00017") or e["via"] > "P00010" for r in mine for e in r["evidence"])
    theirs = [r for r in a.get("/api/risk-persons", params={"case_id": ca, "limit": 1000}).json()
              if r["person_id"] == OTHER_DISTRICT]
    assert theirs and all(r["phone_masked"] is None for r in theirs)
    for client, other_case in ((a, cb), (b, ca)):
        for path in ("/api/risk-persons", "/api/tasks", "/api/measures", "/api/chains", "/api/assist/requests",
                     "/api/verifications"):
            r = client.get(path, params={"limit": 1000})
            assert r.status_code == 200 and other_case not in r.text, (path, r.text[:300])
    tasks = b.get("/api/tasks", params={"limit": 1000}).json()
    assert any(t["person_id"] == "P00017" and t["case_id"] == OTHER_DISTRICT for t in tasks)
    asked = b.get("/api/assist/requests").json()
    assert asked and all(p["person_id"] in ("P00017", OTHER_DISTRICT, None) for q in asked for p in q["persons"])
    assert all(q["ref"].startswith(OTHER_DISTRICT) for q in asked if q["direction"] == "outbound" and q["recipient"]
               and q["recipient"].startswith(B))
    # pages too: the board and the case page
    board = b.get("/risk-persons", headers={"accept": "text/html"})
    assert board.status_code == 200 and "P00017" in board.text and ca not in board.text
    page = a.get(f"/cases/{ca}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "P00017" not in page.text and OTHER_DISTRICT in page.text
    # the lists' totals count what the district sees (a count over a subquery was not cut: the board and the case
    # list said the whole city's total, with as many page numbers, the pages after the first empty)
    for client in (a, b):
        for path, row in (("/risk-persons", "<tr class="), ("/cases", "<tr data-case=")):
            shown = client.get(path, headers={"accept": "text/html"}).text
            total = int(re.search(r'id="total">(\d+)', shown)[1])
            assert total == shown.count(row) < int(re.search(r'id="total">(\d+)', server.get(
                path, headers={"accept": "text/html"}).text)[1]), (path, total)
    # the case list's community picker names the district's own communities only, and filters by them
    for client, mine in ((a, A), (b, B)):
        shown = client.get("/cases", headers={"accept": "text/html"}).text
        options = re.findall(r'<option value="(\d+)"', shown.split('name="community"', 1)[1].split("</select>")[0])
        assert options and all(o.startswith(mine) for o in options), (mine, options)
        one = client.get("/cases", params={"community": options[0]}, headers={"accept": "text/html"}).text
        assert f'<option value="{options[0]}" selected' in one and 0 < one.count("<tr data-case=") <= \
            shown.count("<tr data-case=")
    # aggregates of another district: refused, the own one answered
    iso = server.client_for("isolation", A)
    r = iso.get("/api/sites/reserve", params={"jurisdiction": B})
    assert r.status_code == 403 and "outside your jurisdiction" in r.json()["detail"]
    assert iso.get("/api/sites/reserve", params={"jurisdiction": "1401"}).status_code == 403
    assert iso.get("/api/sites/forecast", params={"jurisdiction": B}).status_code == 403
    assert iso.get("/api/sites/reserve", params={"jurisdiction": A}).status_code == 200


def test_whoever_acts_is_the_signed_in_user_not_the_body(server, world):  # noqa: F811
    epi, verifier = server.client_for("epidemiologist", A), server.client_for("verifier", A)
    inbound = {"request_id": "JZ-1", "issuing_jurisdiction": "1407", "reason": "晋中协查", "by": BOSS,
               "persons": [{"phone": "13010000003"}]}
    assert epi.post("/api/assist/requests", json=inbound).status_code == 201
    row = next(p for q in verifier.get("/api/assist/requests").json() for p in q["persons"]
               if p["person_id"] == "P00003" and q["direction"] == "inbound")
    r = verifier.post(f"/api/assist/persons/{row['id']}/outcome", json={"outcome": "found_placed", "by": BOSS})
    assert r.status_code == 200, r.text
    assert server.get(f"/api/tasks/{row['task_id']}").json()["done_by"] == f"verifier_{A}"
    log = server.get("/api/audit", params={"action": "assist."}).json()
    assert {e["actor"] for e in log if e["action"] in ("assist.inbound", "assist.outcome")} <= {
        f"epidemiologist_{A}", f"verifier_{A}"} and BOSS not in str(log)
    # a trace reads the whole city on the district user's behalf: logged with the user
    assert epi.post(f"/api/cases/{world['cases'][A]}/trace").status_code == 200
    log = server.get("/api/audit", params={"action": "read.unscoped"}).json()
    assert [(e["actor"], e["entity_id"], e["after"]["step"]) for e in log] == [
        (f"epidemiologist_{A}", A, f"trace {world['cases'][A]}")]


def _full(pid: str) -> tuple[str, str]:
    with unit_of_work() as s:
        p = s.scalar(select(Person).where(Person.person_id == pid))
        return p.phone, p.id_number


def test_exports_are_masked_like_the_pages_and_audited(server, world):  # noqa: F811
    commander, epi = server.client_for("commander", A), server.client_for("epidemiologist", A)
    phone, id_number = _full("P00007")  # district A's resident in district B's request
    req = next(q["request_id"] for q in commander.get("/api/assist/requests").json()
               if any(p["person_id"] == "P00007" for p in q["persons"]))
    url = f"/api/assist/requests/{req}/export"
    r = commander.get(url)
    assert r.status_code == 200 and phone not in r.text and id_number not in r.text and "****" in r.text
    assert commander.get(url, params={"unmask": "true", "reason": "发函给外市"}).status_code == 403
    r = epi.get(url, params={"unmask": "true", "reason": "发函给外市"})
    assert r.status_code == 200 and phone in r.text and id_number in r.text
    # the district's own request names a resident of district B: that row carries nothing personal for A
    own = next(q["request_id"] for q in epi.get("/api/assist/requests").json()
               if q["direction"] == "outbound" and (q["recipient"] or "").startswith(B))
    r = epi.get(f"/api/assist/requests/{own}/export", params={"unmask": "true", "reason": "发函给外市"})
    assert r.status_code == 200 and not {*_full("P00017")} & {*r.text.replace(",", "\n").split()}
    assert commander.get("/bulletin.csv", params={"day": TODAY.isoformat()}).status_code == 200
    log = server.get("/api/audit", params={"action": "export"}).json()
    seen = {(e["actor"], e["entity"], e["entity_id"], e["after"]["unmasked"]) for e in log}
    assert {(f"commander_{A}", "assist_request", req, False), (f"epidemiologist_{A}", "assist_request", req, True),
            (f"commander_{A}", "bulletin", TODAY.isoformat(), False)} <= seen
    assert all(e["after"]["rows"] >= 1 for e in log)


def test_every_import_run_is_audited_with_its_counts(env, tmp_path):
    folder = two_districts(tmp_path / "city")
    assert fk("import", folder).exit_code == 0
    assert fk("import", folder).exit_code == 0  # again: nothing new, still logged
    with unit_of_work() as s:
        log = s.scalars(select(AuditEntry).where(AuditEntry.action == "import.file").order_by(AuditEntry.id)).all()
        rows = [(e.actor, e.entity, e.entity_id, e.after["rows"], e.after["inserted"], e.after["unchanged"])
                for e in log]
    assert {r[1] for r in rows} == {"persons", "venues", "venue_visits", "cell_dwells"}
    assert len(rows) == 8 and all(r[0].startswith("cli") for r in rows)
    persons = [r for r in rows if r[1] == "persons"]
    assert [(p[3], p[4], p[5]) for p in persons] == [(14, 14, 0), (14, 0, 14)]


def test_the_cli_proposes_as_the_local_operator_and_four_eyes_hold_there_too(env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    r = fk("zones", "propose", "sealed", "venue:VSHOP")
    assert r.exit_code == 0 and r.stdout.strip() == "Z000001"
    r = fk("zones", "approve", "Z000001", "--by", operator())
    assert r.exit_code == 1 and "four eyes" in r.output
    assert fk("zones", "approve", "Z000001", "--by", "王指挥").exit_code == 0
    with unit_of_work() as s:
        actors = {e.action: e.actor for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "zone"))}
    assert actors == {"zone.propose": operator(), "zone.approve": "王指挥"}
