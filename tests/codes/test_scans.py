"""Venue-code scans over real HTTP: logged to the lake, answered with colour and entry; bad input writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
from builders.zones import traced_case, zone_city
from clihelp import fk
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.lake import store
from fangkong.lake.append import flush_pending

TZ = ZoneInfo("Asia/Shanghai")


def scans_in(env) -> list[tuple]:
    flush_pending(env.lake)
    files = store.all_files(env.lake, "venue_visits")
    return duckdb.sql(f"SELECT person_id, venue_id, enter_at FROM read_parquet({files!r}) ORDER BY ALL").fetchall()


def test_scan_is_logged_and_answered(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    before = len(scans_in(env))
    r = server.post("/api/scans", json={"person_id": "P00005", "venue_id": "VSHOP", "at": "2022-03-12T10:00:00"})
    assert r.status_code == 201, r.text
    assert r.json() == {"person_id": "P00005", "venue_id": "VSHOP", "at": "2022-03-12T10:00:00+08:00",
                        "colour": "green", "entry_allowed": True, "reasons": []}
    server.post("/api/scans", json={"person_id": "P00005", "venue_id": "VSHOP", "at": "2022-03-12T10:00:00+08:00"})
    rows = scans_in(env)
    assert len(rows) == before + 1 and ("P00005", "VSHOP", datetime(2022, 3, 12, 2, 0)) in rows
    now = server.post("/api/scans", json={"person_id": "P00006", "venue_id": "VSHOP"}).json()
    assert abs(datetime.fromisoformat(now["at"]) - datetime.now(TZ)) < timedelta(minutes=1)


def test_bad_scans_write_nothing(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    before = scans_in(env)
    r = server.post("/api/scans", json={"person_id": "P00005", "venue_id": "NOPE"})
    assert r.status_code == 404 and r.json()["detail"] == "unknown venue 'NOPE'"
    r = server.post("/api/scans", json={"person_id": "NOBODY", "venue_id": "VSHOP"})
    assert r.status_code == 404 and r.json()["detail"] == "unknown person 'NOBODY'"
    future = (datetime.now(TZ) + timedelta(hours=1)).isoformat()
    r = server.post("/api/scans", json={"person_id": "P00005", "venue_id": "VSHOP", "at": future})
    assert r.status_code == 422 and "is in the future" in r.json()["detail"]
    for body in ({"person_id": "", "venue_id": "VSHOP"}, {"person_id": "P" * 65, "venue_id": "VSHOP"},
                 {"person_id": "P00005", "venue_id": "VSHOP", "at": "yesterday"}, {"venue_id": "VSHOP"}):
        assert server.post("/api/scans", json=body).status_code == 422
    assert scans_in(env) == before


def test_red_people_and_sealed_venues_are_refused_and_traces_see_fresh_scans(server, env, tmp_path):  # noqa: F811
    case_id = traced_case(tmp_path)
    assert server.post("/api/zones/Z000001/approve", json={"by": "王指挥"}).status_code == 200
    r = server.post("/api/scans", json={"person_id": "P00003", "venue_id": "VSHOP"}).json()
    assert r["colour"] == "red" and not r["entry_allowed"] and "high_risk_area" in r["reasons"]
    r = server.post("/api/scans", json={"person_id": "P00005", "venue_id": "VOFFICE"}).json()
    assert not r["entry_allowed"] and r["reasons"][-1] == "venue_sealed"
    # a scan arriving late for the case's window: the next trace finds P00006 at the shop with the case
    server.post("/api/scans", json={"person_id": "P00006", "venue_id": "VSHOP", "at": "2022-03-10T18:05:00+08:00"})
    doc = server.post(f"/api/cases/{case_id}/trace").json()
    p6 = next(p for p in doc["risk_persons"] if p["person_id"] == "P00006")
    assert "VSHOP" in {e["place"] for e in p6["evidence"]}


def test_a_cached_code_follows_a_write_from_elsewhere(server, env, tmp_path):  # noqa: F811
    traced_case(tmp_path)
    assert server.get("/api/persons/P00003/code").json()["colour"] == "green"
    assert server.get("/api/persons/P00003/code").json()["colour"] == "green"     # now from the cache
    assert fk("zones", "approve", "Z000001", "--by", "王指挥").exit_code == 0     # another unit of work
    assert server.get("/api/persons/P00003/code").json()["colour"] == "red"
    r = server.post("/api/scans", json={"person_id": "P00004", "venue_id": "VSHOP"}).json()
    assert r["colour"] == "red" and not r["entry_allowed"]


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
