"""Venue-code scans over real HTTP: a venue's device reads the person's code token, a citizen scans as themselves;
logged to the lake, answered with colour and entry; bad input writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
from builders.city import write_csv
from builders.identity import bearer, citizen_token, code_token, device_token
from builders.zones import traced_case, zone_city
from clihelp import fk
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.lake import store
from fangkong.lake.append import flush_pending

pytestmark = pytest.mark.both_stores

TZ = ZoneInfo("Asia/Shanghai")


def scans_in(env) -> list[tuple]:
    flush_pending(env.lake)
    files = store.all_files(env.lake, "venue_visits")
    return duckdb.sql(f"SELECT person_id, venue_id, enter_at FROM read_parquet({files!r}) ORDER BY ALL").fetchall()


def test_scan_is_logged_and_answered(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    gate = bearer(server, device_token("venue", "VSHOP"))
    before = len(scans_in(env))
    at = (datetime.now(TZ) - timedelta(minutes=2)).replace(microsecond=0, tzinfo=None)
    r = gate.post("/api/scans", json={"code_token": code_token("P00005"), "at": at.isoformat()})
    assert r.status_code == 201, r.text
    # the venue learns whether to let the person in and the colour: no person id, no reasons
    assert r.json() == {"venue_id": "VSHOP", "at": at.replace(tzinfo=TZ).isoformat(), "colour": "green",
                        "entry_allowed": True}
    gate.post("/api/scans", json={"code_token": code_token("P00005"), "at": at.replace(tzinfo=TZ).isoformat()})
    rows = scans_in(env)
    stored = at.replace(tzinfo=TZ).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    assert len(rows) == before + 1 and ("P00005", "VSHOP", stored) in rows
    now = gate.post("/api/scans", json={"code_token": code_token("P00006")}).json()
    assert abs(datetime.fromisoformat(now["at"]) - datetime.now(TZ)) < timedelta(minutes=1)
    # the citizen scanning the venue's code: as themselves, now, with their own reasons
    mine = bearer(server, citizen_token("P00004")).post("/api/me/scans", json={"venue_id": "VOFFICE"})
    assert mine.status_code == 201 and mine.json()["person_id"] == "P00004" and mine.json()["reasons"] == []
    assert ("P00004", "VOFFICE") in {r[:2] for r in scans_in(env)}


def test_bad_scans_write_nothing(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    gate, me = bearer(server, device_token("venue", "VSHOP")), bearer(server, citizen_token("P00005"))
    before = scans_in(env)
    r = me.post("/api/me/scans", json={"venue_id": "NOPE"})
    assert r.status_code == 404 and r.json()["detail"] == "unknown venue 'NOPE'"
    r = gate.post("/api/scans", json={"code_token": code_token("NOBODY")})
    assert r.status_code == 404 and r.json()["detail"] == "unknown person 'NOBODY'"
    future = (datetime.now(TZ) + timedelta(hours=1)).isoformat()
    r = gate.post("/api/scans", json={"code_token": code_token("P00005"), "at": future})
    assert r.status_code == 422 and "is in the future" in r.json()["detail"]
    r = gate.post("/api/scans", json={"code_token": code_token("P00005"), "at": "2022-03-12T10:00:00+08:00"})
    assert r.status_code == 422 and "fangkong import" in r.json()["detail"]
    for body in ({"code_token": ""}, {"code_token": "x" * 201}, {"code_token": code_token("P00005"), "at": "yesterday"},
                 {}, {"person_id": "P00005", "venue_id": "VSHOP"},
                 {"code_token": code_token("P00005"), "person_id": "P00006"}):
        assert gate.post("/api/scans", json=body).status_code == 422, body
    assert me.post("/api/me/scans", json={"venue_id": "VSHOP", "person_id": "P00006"}).status_code == 422
    assert scans_in(env) == before


def test_red_people_and_sealed_venues_are_refused_and_traces_see_imported_scans(server, env, tmp_path):  # noqa: F811
    case_id = traced_case(tmp_path)
    assert server.post("/api/zones/Z000001/approve", json={"by": "王指挥"}).status_code == 200
    shop, office = bearer(server, device_token("venue", "VSHOP")), bearer(server, device_token("venue", "VOFFICE"))
    r = shop.post("/api/scans", json={"code_token": code_token("P00003")}).json()
    assert r["colour"] == "red" and not r["entry_allowed"] and "reasons" not in r
    r = bearer(server, citizen_token("P00003")).post("/api/me/scans", json={"venue_id": "VSHOP"}).json()
    assert r["colour"] == "red" and not r["entry_allowed"] and "high_risk_area" in r["reasons"]
    r = office.post("/api/scans", json={"code_token": code_token("P00005")}).json()
    assert not r["entry_allowed"]
    r = bearer(server, citizen_token("P00005")).post("/api/me/scans", json={"venue_id": "VOFFICE"}).json()
    assert not r["entry_allowed"] and r["reasons"][-1] == "venue_sealed"
    # a scan arriving late for the case's window comes in as data, through the audited import; the next
    # trace finds P00006 at the shop with the case
    late = write_csv(tmp_path / "late" / "venue_visits.csv", [{"person_id": "P00006", "venue_id": "VSHOP",
                                                               "enter_at": "2022-03-10T18:05", "leave_at": ""}])
    assert fk("import", late.parent).exit_code == 0
    doc = server.post(f"/api/cases/{case_id}/trace").json()
    p6 = next(p for p in doc["risk_persons"] if p["person_id"] == "P00006")
    assert "VSHOP" in {e["place"] for e in p6["evidence"]}


def test_a_cached_code_follows_a_write_from_elsewhere(server, env, tmp_path):  # noqa: F811
    traced_case(tmp_path)
    assert server.get("/api/persons/P00003/code").json()["colour"] == "green"
    assert server.get("/api/persons/P00003/code").json()["colour"] == "green"     # now from the cache
    assert fk("zones", "approve", "Z000001", "--by", "王指挥").exit_code == 0     # another unit of work
    assert server.get("/api/persons/P00003/code").json()["colour"] == "red"
    r = bearer(server, device_token("venue", "VSHOP")).post("/api/scans", json={"code_token": code_token("P00004")})
    assert r.json()["colour"] == "red" and not r.json()["entry_allowed"]


@pytest.mark.slow
def test_a_write_from_another_process_reaches_the_cache(server, env, tmp_path):  # noqa: F811
    import os
    import subprocess
    import sys

    traced_case(tmp_path)
    assert server.get("/api/persons/P00003/code").json()["colour"] == "green"
    cli = [sys.executable, "-c", "from fangkong.cli import main; main()"]
    r = subprocess.run([*cli, "zones", "approve", "Z000001", "--by", "王指挥"],
                       env=dict(os.environ), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert server.get("/api/persons/P00003/code").json()["colour"] == "red"
