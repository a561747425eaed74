"""Identities at the edges, tried as a hostile client would (issue 22), over real HTTP.

Before: anyone wrote any person's location into the lake at any time (1970 too), and read anyone's colour,
reasons, travel cities and test time by enumerable person ids. Now a scan comes from the citizen themself or
from a device of that venue, at about now; a code is read by its person or by staff with the right; a device
learns a pass decision and a colour, from a short-lived signed code token, never from a person id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from builders.identity import bearer, citizen_token, code_token, device_token, sms_code
from builders.zones import zone_city
from clihelp import fk, runner
from sqlalchemy import select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.auth import otp
from fangkong.auth.models import CitizenOtp
from fangkong.cli import app
from fangkong.codes.tokens import make_token, read_token
from fangkong.db.core import utcnow
from fangkong.db.outbox import OutboxMessage
from fangkong.errors import InvalidInput
from fangkong.kit.clikit import unit_of_work
from fangkong.lake import store
from fangkong.lake.append import flush_pending
from fangkong.people.models import PersonPhone
from fangkong.people.service import get_person
from fangkong.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")


def lake_rows(env) -> list[tuple]:
    import duckdb

    flush_pending(env.lake)
    files = store.all_files(env.lake, "venue_visits")
    return duckdb.sql(f"SELECT person_id, venue_id, enter_at FROM read_parquet({files!r}) ORDER BY ALL").fetchall()


@pytest.fixture
def city(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    return env


def test_anonymous_scans_and_code_reads_are_refused_and_nothing_reaches_the_lake(server, city):  # noqa: F811
    anon, before = server.anonymous(), lake_rows(city)
    for at in ("2022-03-14T10:00:00+08:00", "1970-01-02T10:00:00+08:00", None):
        body = {"person_id": "P00001", "venue_id": "VSHOP"} | ({"at": at} if at else {})
        assert anon.post("/api/scans", json=body).status_code == 401
        assert anon.post("/api/scans", json={"code_token": code_token("P00001")}).status_code == 401
    assert anon.get("/api/persons/P00001/code").status_code == 401
    r = anon.post("/api/two-code-checks", json={"person_id": "P00005"})
    assert r.status_code == 401 and "北京" not in r.text
    assert anon.get("/api/me/code").status_code == 401
    assert lake_rows(city) == before
    assert not list(Path(city.lake).glob("venue_visits/day=1970*"))


def test_a_citizen_sees_and_scans_only_as_themselves(server, city):  # noqa: F811
    me = bearer(server, citizen_token("P00003"))
    code = me.get("/api/me/code")
    assert code.status_code == 200 and code.json()["person_id"] == "P00003"
    assert me.get("/api/persons/P00004/code").status_code == 403
    assert me.get("/api/persons/P00003/code").status_code == 403   # the staff route, even for oneself
    assert me.post("/api/two-code-checks", json={"person_id": "P00004"}).status_code == 403
    assert me.post("/api/scans", json={"code_token": code_token("P00004")}).status_code == 403
    before = lake_rows(city)
    assert me.post("/api/me/scans", json={"venue_id": "VSHOP", "person_id": "P00004"}).status_code == 422
    assert me.post("/api/me/scans", json={"venue_id": "VSHOP", "at": "1970-01-02T10:00:00"}).status_code == 422
    assert lake_rows(city) == before
    assert me.post("/api/me/scans", json={"venue_id": "VSHOP"}).json()["person_id"] == "P00003"
    assert {r[0] for r in lake_rows(city)} - {r[0] for r in before} == {"P00003"}
    # the code shows a token, not the person id; a venue reading it learns the colour only
    shown = me.get("/api/me/code-token").json()
    assert "P00003" not in shown["token"] and shown["colour"] == "green"
    assert read_token(shown["token"], secret=get_settings().secret_key, now=utcnow()) == "P00003"
    gate = bearer(server, device_token("venue", "VOFFICE"))
    r = gate.post("/api/scans", json={"code_token": shown["token"]})
    assert r.status_code == 201 and "P00003" not in r.text and set(r.json()) == {"venue_id", "at", "colour",
                                                                                  "entry_allowed"}
    # a staff route is a staff route: the citizen's token opens none of them
    for path in ("/api/cases", "/api/risk-persons", "/api/persons/P00003", "/api/devices", "/api/users"):
        assert me.get(path).status_code == 403, path


def test_forged_expired_and_altered_code_tokens_are_refused(server, city):  # noqa: F811
    gate, before = bearer(server, device_token("venue", "VSHOP")), lake_rows(city)
    secret = get_settings().secret_key
    good, other = code_token("P00003"), code_token("P00004")
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    spliced = good[:20] + other[20:]        # one person's nonce and expiry, another's sealed id
    forged = make_token("P00004", secret="another-deployments-secret", now=utcnow())[0]
    expired = make_token("P00003", secret=secret, now=utcnow() - timedelta(minutes=4))[0]
    for token, why in ((flipped, "not genuine"), (spliced, "not genuine"), (forged, "not genuine"),
                       (expired, "expired"), ("P00003-in-plain", "not a health-code token"),
                       ("hc1.!!!!!!!!!!", "not a health-code token")):
        r = gate.post("/api/scans", json={"code_token": token})
        assert r.status_code == 422 and why in r.json()["detail"], (token, r.text)
    assert lake_rows(city) == before
    with pytest.raises(InvalidInput):
        read_token(expired, secret=secret, now=utcnow())


def test_devices_scan_only_at_their_venue_and_checkpoints_only_check(server, city):  # noqa: F811
    office, checkpoint = bearer(server, device_token("venue", "VOFFICE")), bearer(server, device_token("checkpoint"))
    before = lake_rows(city)
    r = office.post("/api/scans", json={"code_token": code_token("P00005"), "venue_id": "VSHOP"})
    assert r.status_code == 403 and "VOFFICE" in r.json()["detail"]
    assert checkpoint.post("/api/scans", json={"code_token": code_token("P00005")}).status_code == 403
    assert office.post("/api/two-code-checks", json={"code_token": code_token("P00005")}).status_code == 403
    assert office.get("/api/persons/P00005/code").status_code == 403
    assert checkpoint.get("/api/persons/P00005/code").status_code == 403
    assert office.get("/api/me/code").status_code == 403
    assert lake_rows(city) == before
    assert office.post("/api/scans", json={"code_token": code_token("P00005")}).status_code == 201
    assert [r[:2] for r in lake_rows(city) if r not in before] == [("P00005", "VOFFICE")]


def test_scan_times_far_from_now_are_refused_with_a_clear_message(server, city):  # noqa: F811
    gate, before = bearer(server, device_token("venue", "VSHOP")), lake_rows(city)
    for at, words in (("1970-01-02T10:00:00+08:00", "older scans come in through `fangkong import`"),
                      ((datetime.now(TZ) - timedelta(minutes=6)).isoformat(), "more than 5 minutes ago"),
                      ((datetime.now(TZ) + timedelta(minutes=10)).isoformat(), "is in the future"),
                      ("0001-01-01T00:00:00+08:00", "more than 5 minutes ago"),
                      ("9999-12-31T23:59:00-08:00", "is in the future")):
        r = gate.post("/api/scans", json={"code_token": code_token("P00005"), "at": at})
        assert r.status_code == 422 and words in r.json()["detail"], (at, r.text)
    assert lake_rows(city) == before
    assert not list(Path(city.lake).glob("venue_visits/day=1970*"))
    ok = gate.post("/api/scans", json={"code_token": code_token("P00005"),
                                       "at": (datetime.now(TZ) - timedelta(minutes=4)).isoformat()})
    assert ok.status_code == 201


def test_a_revoked_device_token_is_refused_at_once(server, city):  # noqa: F811
    r = server.post("/api/devices", json={"kind": "venue", "venue_id": "VSHOP", "label": "front door"})
    assert r.status_code == 201 and r.json()["token"].startswith("fkd_") and r.json()["venue_id"] == "VSHOP"
    device_id, gate = r.json()["device_id"], bearer(server, r.json()["token"])
    assert gate.post("/api/scans", json={"code_token": code_token("P00005")}).status_code == 201   # now cached
    listed = server.get("/api/devices").json()
    assert [d["device_id"] for d in listed] == [device_id] and "token" not in listed[0]
    assert server.post(f"/api/devices/{device_id}/revoke").status_code == 200
    before = lake_rows(city)
    assert gate.post("/api/scans", json={"code_token": code_token("P00005")}).status_code == 401
    assert lake_rows(city) == before
    assert server.get("/api/devices").json() == [] and server.get("/api/devices?revoked=true").json()[0]["revoked_at"]
    assert server.post(f"/api/devices/{device_id}/revoke").status_code == 409
    # the CLI: issue, list, revoke (a unit of work in this same process: the server's cache forgets it too)
    out = fk("devices", "issue", "checkpoint", "--label", "station")
    token = out.stdout.strip().splitlines()[-1]
    reader = bearer(server, token)
    assert reader.post("/api/two-code-checks", json={"code_token": code_token("P00005")}).status_code == 200
    assert "D000002" in fk("devices", "list").stdout
    assert fk("devices", "revoke", "D000002").exit_code == 0
    assert reader.post("/api/two-code-checks", json={"code_token": code_token("P00005")}).status_code == 401
    assert fk("devices", "issue", "venue").exit_code == 1                        # a venue device needs its venue
    assert fk("devices", "issue", "venue", "--venue", "NOPE").exit_code == 1
    actions = {e["action"] for e in server.get("/api/audit", params={"entity": "device"}).json()}
    assert actions == {"device.issue", "device.revoke"}
    assert bearer(server, device_token("venue", "VSHOP")).get("/api/devices").status_code == 403


def test_a_citizen_signs_in_with_a_code_sent_to_their_phone(server, city):  # noqa: F811
    anon = server.anonymous()
    r = anon.post("/api/citizen/otp", json={"phone": "13800000003"})
    code = sms_code("13800000003")
    assert r.status_code == 202 and code and code not in r.text          # the code is sent, never answered
    nobody = anon.post("/api/citizen/otp", json={"phone": "13999999999"})
    assert nobody.status_code == 202 and nobody.json() == r.json() and sms_code("13999999999") is None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert anon.post("/api/citizen/session", json={"phone": "13800000003", "code": wrong}).status_code == 403
    r = anon.post("/api/citizen/session", json={"phone": "13800000003", "code": code})
    assert r.status_code == 200 and r.json()["person_id"] == "P00003"
    me = bearer(server, r.json()["access_token"])
    assert me.get("/api/me/code").json()["person_id"] == "P00003"
    assert me.get("/api/auth/me").json()["role"] == "citizen"
    assert me.get("/api/persons/P00004/code").status_code == 403
    # a code signs in once
    assert anon.post("/api/citizen/session", json={"phone": "13800000003", "code": code}).status_code == 403
    # the store keeps neither the phone nor the code
    with unit_of_work() as s:
        rows = s.scalars(select(CitizenOtp)).all()
        assert rows and all("13800000003" not in (o.phone_hash + o.code_hash) for o in rows)
    # the CLI shows the operator what waits for the SMS gateway
    assert code in fk("citizens", "outbox", "--phone", "13800000003").stdout


def test_five_wrong_codes_burn_it_and_a_phone_is_not_flooded(server, city):  # noqa: F811
    anon = server.anonymous()
    assert anon.post("/api/citizen/otp", json={"phone": "13800000004"}).status_code == 202
    code = sms_code("13800000004")
    wrong = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 6)]
    for guess in wrong:
        assert anon.post("/api/citizen/session", json={"phone": "13800000004", "code": guess}).status_code == 403
    r = anon.post("/api/citizen/session", json={"phone": "13800000004", "code": code})
    assert r.status_code == 403 and "access_token" not in r.text
    # asking again at once is refused (a minute between codes, five an hour): no SMS flood, no fresh guesses
    again = anon.post("/api/citizen/otp", json={"phone": "13800000004"})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
    with unit_of_work() as s:
        assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.recipient == "13800000004")
                        .order_by(OutboxMessage.id.desc()).offset(1).limit(1)) is None
    for bad in ({"phone": "12345"}, {"phone": "13800000004", "code": "12ab56"}, {"phone": "13800000004"}):
        assert anon.post("/api/citizen/session", json=bad).status_code == 422


def test_codes_expire_and_the_hourly_cap_holds(city):
    secret, t0 = get_settings().secret_key, utcnow()
    with unit_of_work() as s:
        fk_ = s.scalar(select(CitizenOtp.person_fk).limit(1)) or 3
        sent = []
        for i in range(otp.PER_HOUR):
            otp.send_code(s, "13800000006", fk_, secret=secret, now=t0 + timedelta(minutes=2 * i), message="{code}")
            sent.append(s.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first())
        with pytest.raises(Exception, match="wait before asking again"):
            otp.send_code(s, "13800000006", fk_, secret=secret, now=t0 + timedelta(minutes=20), message="{code}")
        last = t0 + timedelta(minutes=2 * (otp.PER_HOUR - 1))
        # an older code was replaced by the newer; the newest lapses after five minutes
        assert otp.check_code(s, "13800000006", sent[0], secret=secret, now=last) is None
        assert otp.check_code(s, "13800000006", sent[-1], secret=secret, now=last + timedelta(minutes=6)) is None
        assert otp.check_code(s, "13800000006", sent[-1], secret=secret, now=last + timedelta(minutes=4)) == fk_
        otp.send_code(s, "13800000006", fk_, secret=secret, now=t0 + timedelta(minutes=61), message="{code}")


def test_a_shared_phone_signs_in_no_one_and_a_real_name_owner_signs_in(server, city):  # noqa: F811
    with unit_of_work() as s:   # P00002 gives P00001's phone as a contact too (a household's shared phone)
        s.add(PersonPhone(person_fk=get_person(s, "P00002").id, phone="13800000001", owner=False, source="test"))
    anon = server.anonymous()
    assert anon.post("/api/citizen/otp", json={"phone": "13800000001"}).status_code == 202
    assert sms_code("13800000001") is None
    since = (datetime.now(TZ) - timedelta(days=1)).isoformat()
    assert server.post("/api/persons/P00002/phones", json={"phone": "13800000001", "valid_from": since,
                                                            "by": "test"}).status_code == 201
    assert anon.post("/api/citizen/otp", json={"phone": "13800000001"}).status_code == 202
    r = anon.post("/api/citizen/session", json={"phone": "13800000001", "code": sms_code("13800000001")})
    assert r.status_code == 200 and r.json()["person_id"] == "P00002"


def test_the_office_makes_a_citizen_account_bound_to_one_person(server, city):  # noqa: F811
    r = runner.invoke(app, ["users", "create", "li", "--role", "citizen", "--person", "P00005", "--password-stdin"],
                      input="li-long-password\n")
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["users", "create", "wu", "--role", "citizen", "--password-stdin"],
                         input="wu-long-password\n").exit_code == 1
    assert runner.invoke(app, ["users", "create", "zh", "--role", "commander", "--person", "P00005",
                               "--password-stdin"], input="zh-long-password\n").exit_code == 1
    token = server.anonymous().post("/api/auth/token", json={"username": "li", "password": "li-long-password"})
    me = bearer(server, token.json()["access_token"])
    assert me.get("/api/me/code").json()["person_id"] == "P00005"
    assert me.get("/api/persons/P00006/code").status_code == 403
    made = server.post("/api/users", json={"username": "zhao", "role": "citizen", "password": "a-long-password-z",
                                           "person_id": "P00006"})
    assert made.status_code == 201 and made.json()["person_id"] == "P00006"
