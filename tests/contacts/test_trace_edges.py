"""Edge cases of the trace: exact thresholds, midnight, window bounds, a phone with no owner."""

from __future__ import annotations

import json

from builders.city import person, venue, write_city
from clihelp import fk


def v(p, vid, s, e=""):
    return {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}


def d(phone, s, e, grid="5269:12363"):
    return {"phone": phone, "grid_id": grid, "start_at": s, "end_at": e}


def trace(tmp_path, visits, dwells, venues=None):
    persons = [person(i) for i in range(1, 10)]
    write_city(tmp_path / "city", persons, venues or [venue("V1"), venue("S1", "shop")], visits, dwells)
    assert fk("import", tmp_path / "city").exit_code == 0
    case = fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00",
              "--isolated-at", "2022-03-11T20:00").stdout.strip()
    doc = json.loads(fk("trace", case, "--format", "json").stdout)
    return {(r["person_id"] or r["phone"]): r for r in doc["risk_persons"]}


def test_thresholds_midnight_and_window(rollback_env, tmp_path):
    visits = [
        v("P00001", "V1", "2022-03-10T12:00", "2022-03-10T13:00"),
        v("P00002", "V1", "2022-03-10T12:45", "2022-03-10T14:00"),      # exactly 15 min → close
        v("P00003", "V1", "2022-03-10T12:45:01", "2022-03-10T13:00"),   # 14:59 → overlap (same day)
        v("P00001", "V1", "2022-03-10T23:50", "2022-03-11T00:20"),
        v("P00004", "V1", "2022-03-11T00:00", "2022-03-11T00:30"),      # across midnight, 20 min → close
        v("P00001", "V1", "2022-03-08T23:30", "2022-03-09T00:10"),      # straddles the window start
        v("P00005", "V1", "2022-03-08T23:30", "2022-03-09T00:10"),      # 40 min together, only 10 inside
        v("P00006", "S1", "2022-03-10T09:00"),                          # shop: no leave → 30 min
        v("P00001", "S1", "2022-03-10T09:20", "2022-03-10T09:50"),      # 10 min with P6 → not close
        v("P00007", "S1", "2022-03-10T09:20"),                          # 30 min with the case → close
    ]
    found = trace(tmp_path, visits, [])
    cats = {k: r["category"] for k, r in found.items()}
    assert cats["P00002"] == "close" and cats["P00003"] == "overlap"
    assert cats["P00004"] == "close"
    assert found["P00004"]["evidence"][0]["start"] == "2022-03-11T00:00:00+08:00"
    assert cats["P00005"] == "overlap"
    assert found["P00005"]["evidence"][0]["start"] == "2022-03-09T00:00:00+08:00"
    assert cats["P00006"] == "overlap" and cats["P00007"] == "close"


def test_grid_threshold_and_phone_without_person(rollback_env, tmp_path):
    dwells = [
        d("13800000001", "2022-03-10T10:00", "2022-03-10T11:00"),
        d("13800000002", "2022-03-10T10:50", "2022-03-10T12:00"),   # exactly 10 min → companion
        d("13800000003", "2022-03-10T10:51", "2022-03-10T12:00"),   # 9 min → nothing
        d("13912345678", "2022-03-10T09:00", "2022-03-10T10:30"),   # no registered owner → by phone
        d("13800000004", "2022-03-10T10:00", "2022-03-10T11:00", grid="5270:12363"),  # other cell
    ]
    found = trace(tmp_path, [v("P00001", "V1", "2022-03-10T08:00", "2022-03-10T08:30")], dwells)
    assert found["P00002"]["category"] == "companion"
    assert "P00003" not in found and "P00004" not in found
    phone_only = found["13912345678"]
    assert phone_only["person_id"] is None and phone_only["phone"] == "13912345678"
    assert phone_only["evidence"][0]["kind"] == "grid" and phone_only["evidence"][0]["place"] == "5269:12363"
