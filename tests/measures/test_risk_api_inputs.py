"""Odd input to the issue-6 routes is a clear 4xx, never a 500 (over real HTTP)."""

import pytest
from test_api import server  # noqa: F401 - the real-HTTP fixture

BIG = 2**40
ODD = [
    ("get", "/api/tasks", {"params": {"at": "0001-01-01T00:00:00+08:00"}}),
    ("get", "/api/tasks", {"params": {"limit": 0}}),
    ("get", f"/api/tasks/{BIG}", {}),
    ("get", "/api/tasks", {"params": {"owner": "a" * 100}}),
    ("post", "/api/teams", {"json": {"team_id": "T 1", "name": "x", "jurisdiction": "1401", "members": []}}),
    ("patch", "/api/cases/C000001/investigation", {"json": {"version": 0}}),
    ("post", f"/api/verifications/{BIG}/outcome", {"json": {"outcome": "found_placed", "jurisdiction": "14",
                                                             "version": 1}}),
    ("post", "/api/verifications/1/outcome", {"json": {"outcome": "found_placed", "jurisdiction": "14",
                                                        "version": 1, "to_community": "x"}}),
    ("post", f"/api/measures/{BIG}/release", {}),
    ("post", "/api/measures/1/extend", {"json": {"exposure_at": "2022-03-01T00:00:00", "reason": "x"}}),
    ("post", "/api/measures/tests/1/result", {"json": {"result": "negative", "at": "0001-01-01T00:00:00+08:00"}}),
    ("post", "/api/sites", {"json": {"site_id": "S", "name": "x", "jurisdiction": "1401", "beds": 99}}),
    ("get", "/api/sites/forecast", {"params": {"days": 365}}),
    ("post", "/api/rooms/assign", {"json": {"measure_id": BIG, "site_id": "S", "room_no": "1"}}),
    ("post", "/api/rooms/arrive", {"json": {"person_id": "x", "at": "0001-01-01T00:00:00+08:00"}}),
    ("get", "/checkin/" + "9" * 30 + ".abc", {}),
    ("get", "/checkin/1.abc", {}),
    ("post", "/api/checkin/1.abc", {"json": {"temperature": 99}}),
    ("get", "/api/checkins/non-reporters", {"params": {"day": "0001-01-01"}}),
    ("get", "/api/checkins/alerts", {"params": {"day": "9999-12-31"}}),
    ("post", "/api/hospitals", {"json": {"hospital_id": "H", "name": "x", "jurisdiction": "1401", "beds": 1,
                                         "negative_pressure_beds": 2}}),
    ("put", "/api/hospitals/plan/-1", {"json": {"action": "x"}}),
    ("post", "/api/cases/C404/admit", {"json": {"hospital_id": "H"}}),
    ("post", "/api/cases/C404/discharge", {"json": {"at": "0001-01-01T00:00:00+08:00"}}),
]


@pytest.mark.parametrize("method,url,kw", ODD)
def test_odd_input_is_a_client_error(server, method, url, kw):  # noqa: F811
    r = server.request(method, url, **kw)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
