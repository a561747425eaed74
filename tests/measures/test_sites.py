"""Isolation sites and rooms: automatic assignment, taken rooms, transfer tasks, capacity."""

from datetime import date, datetime, timedelta

import pytest
from builders.risk import TRACED_AT, TZ, traced_city
from clihelp import fk, set_clock
from sqlalchemy import select
from test_api import server  # noqa: F401 - the real-HTTP fixture
from test_lifecycle import measure_of, results

from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites
from fangkong.people.service import get_person
from fangkong.protocol.edition import load_edition
from fangkong.tasks.models import Task

E9 = load_edition("9")


def two_sites(near_rooms: int = 2, far_rooms: int = 5):
    with unit_of_work() as s:
        sites.add_site(s, "NEAR", name="迎泽宾馆", jurisdiction="140105", lat=37.871, lon=112.551, rooms=near_rooms,
                       three_zones_two_channels=True)
        sites.add_site(s, "FAR", name="北郊酒店", jurisdiction="140108", lat=38.5, lon=112.5, rooms=far_rooms)


def _tasks(s, kind):
    return {t.person.person_id: t for t in s.scalars(select(Task).where(Task.kind == kind))}


def test_trace_puts_close_contacts_in_the_nearest_rooms_with_transfer_tasks(rollback_env, tmp_path):
    two_sites(near_rooms=1)
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        p2, p3 = (sites.open_stay(s, get_person(s, p).id) for p in ("P00002", "P00003"))
        assert (p2.room.site.site_id, p2.room.room_no) == ("NEAR", "001")  # same time found: measure order
        assert p3.room.site.site_id == "FAR"  # the near site is full
        transfers = _tasks(s, "transfer")
        assert set(transfers) == {"P00002", "P00003"}
        t = transfers["P00002"]
        assert (t.owner_kind, t.owner_ref, t.due_at, t.status) == ("site", "NEAR", TRACED_AT + timedelta(hours=8),
                                                                    "open")
        occ = {o.site_id: o for o in capacity.occupancy(s)}
        assert (occ["NEAR"].occupied, occ["NEAR"].free, occ["FAR"].occupied, occ["FAR"].free) == (1, 0, 1, 4)


def test_without_rooms_a_district_task_waits_until_rooms_exist(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        waiting = _tasks(s, "room_needed")
        assert {(p, t.owner_ref) for p, t in waiting.items()} == {("P00002", "140105"), ("P00003", "140105")}
        assert sites.assign_rooms(s, now=TRACED_AT).no_room == 2
        assert len(_tasks(s, "room_needed")) == 2  # not opened twice
    two_sites()
    with unit_of_work() as s:
        r = sites.assign_rooms(s, now=TRACED_AT + timedelta(hours=1))
        assert (r.assigned, r.no_room, r.by_site) == (2, 0, {"NEAR": 2})
        assert {t.status for t in _tasks(s, "room_needed").values()} == {"done"}


def test_a_taken_room_an_unknown_site_and_a_home_measure_are_refused(rollback_env, tmp_path):
    two_sites()
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        with pytest.raises(NotFound, match="unknown site 'NOPE'"):
            sites.get_site(s, "NOPE")
        near = sites.get_site(s, "NEAR")
        with pytest.raises(InvalidInput, match="only centralized isolation takes a room"):
            sites.assign_room(s, measure_of(s, "P00004"), near, "002", now=TRACED_AT)
        m4 = lifecycle.escalate(s, measure_of(s, "P00004"), now=TRACED_AT, reason="无独立房间")
        with pytest.raises(Conflict, match="room 001 of site NEAR is taken"):
            sites.assign_room(s, m4, near, "001", now=TRACED_AT)
        with pytest.raises(NotFound, match="site NEAR has no room '099'"):
            sites.assign_room(s, m4, near, "099", now=TRACED_AT)
        with pytest.raises(Conflict, match="P00003 is already in room 00"):
            sites.assign_room(s, measure_of(s, "P00003"), sites.get_site(s, "FAR"), "001", now=TRACED_AT)
        sites.update_site(s, sites.get_site(s, "FAR"), status="closed")
        with pytest.raises(Conflict, match="site FAR is closed"):
            sites.assign_room(s, m4, sites.get_site(s, "FAR"), "001", now=TRACED_AT)
        sites.add_rooms(s, near, 1)
        stay = sites.assign_room(s, m4, near, "003", now=TRACED_AT)
        assert stay.room.occupants == 1 and stay.room.household_key == "H00004"


def test_arrival_closes_the_transfer_and_release_frees_the_room(rollback_env, tmp_path):
    two_sites()
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        p3 = get_person(s, "P00003")
        with pytest.raises(InvalidInput, match="before the room was assigned"):
            sites.arrive(s, p3, at=TRACED_AT - timedelta(hours=1))
        stay = sites.arrive(s, p3, at=TRACED_AT + timedelta(hours=2))
        with pytest.raises(Conflict, match="arrived already"):
            sites.arrive(s, p3, at=TRACED_AT + timedelta(hours=3))
        with pytest.raises(NotFound, match="P00004 has no room"):
            sites.arrive(s, get_person(s, "P00004"), at=TRACED_AT)
        task = _tasks(s, "transfer")["P00003"]
        assert task.status == "done" and task.done_at <= task.due_at
        results(s, "P00003", ["negative"] * 5)
        lifecycle.release(s, measure_of(s, "P00003"), edition=E9, tz=TZ, now=datetime(2022, 3, 18, tzinfo=TZ))
        assert stay.left_at == datetime(2022, 3, 18, tzinfo=TZ) and stay.room.occupants == 0
        assert capacity.rooms_used(s, datetime(2022, 3, 17, tzinfo=TZ)) == 2
        assert capacity.rooms_used(s, datetime(2022, 3, 18, 1, tzinfo=TZ)) == 1


def test_successor_measures_keep_the_room_and_a_new_case_leaves_it(rollback_env, tmp_path):
    two_sites()
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        new = lifecycle.extend(s, measure_of(s, "P00003"), exposure_at=datetime(2022, 3, 12, 9, tzinfo=TZ), edition=E9,
                               tz=TZ, now=datetime(2022, 3, 12, 10, tzinfo=TZ), reason="x")
        assert sites.open_stay(s, new.person_fk).measure_fk == new.id
        lifecycle.record_result(s, new.tests[0], "positive", at=datetime(2022, 3, 13, 12, tzinfo=TZ), edition=E9,
                                tz=TZ)
    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.settings import get_settings

    with unit_of_work() as s:
        case = case_service.get_case(s, "C000002")
        case_service.recheck(s, case, positive=True, isolated_at=datetime(2022, 3, 13, 12, tzinfo=TZ),
                             now=datetime(2022, 3, 13, 13, tzinfo=TZ))
        flows.respond(s, get_settings(), case, now=datetime(2022, 3, 13, 14, tzinfo=TZ))
        assert sites.open_stay(s, get_person(s, "P00003").id) is None


def test_capacity_reserve_and_forecast(rollback_env, tmp_path):
    two_sites()
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        r = capacity.reserve(s, "140105", per_10k=20)
        assert (r.residents, r.rooms, r.needed, r.per_10k, r.warning) == (7, 2, 1, 2 * 10_000 / 7, None)
        short = capacity.reserve(s, "140105", per_10k=10_000)
        assert short.needed == 7 and "below the reserve of 10000 per 10 000: 5 short" in short.warning
        rows = capacity.forecast(s, now=datetime(2022, 3, 16, 12, tzinfo=TZ), tz=TZ, days=7)
        # FAR's 5 rooms are free; P00003's room frees on 03-18 00:00, P00002's on 03-19 00:00
        assert rows[:4] == [(date(2022, 3, 16), 5), (date(2022, 3, 17), 6), (date(2022, 3, 18), 7),
                            (date(2022, 3, 19), 7)]


def test_sites_over_http_and_cli(server, tmp_path):  # noqa: F811
    body = {"site_id": "NEAR", "name": "迎泽宾馆", "jurisdiction": "140105", "lat": 37.871, "lon": 112.551,
            "rooms": 1, "three_zones_two_channels": True}
    r = server.post("/api/sites", json=body)
    assert r.status_code == 201 and r.json()["free"] == 1
    assert server.post("/api/sites", json=body).status_code == 409
    assert server.post("/api/sites", json={**body, "site_id": "X", "rooms": -1}).status_code == 422
    assert server.post("/api/sites", json={**body, "site_id": "X", "lat": 91}).status_code == 422
    assert server.get("/api/sites/NOPE").status_code == 404
    assert server.post("/api/sites/NOPE/rooms", json={"count": 2}).status_code == 404
    assert server.post("/api/sites/NEAR/staff", json={"name": "赵敏", "role": "medical"}).json()["staff"] == 1
    assert server.post("/api/sites/NEAR/staff", json={"name": "x", "role": "chef"}).status_code == 422
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        m2 = measure_of(s, "P00003").id  # P00002 took the one room at the trace
    r = server.post("/api/rooms/assign", json={"measure_id": m2, "site_id": "NEAR", "room_no": "001"})
    assert r.status_code == 409 and "room 001 of site NEAR is taken" in r.json()["detail"]
    r = server.post("/api/rooms/assign", json={"measure_id": m2, "site_id": "NOPE", "room_no": "001"})
    assert r.status_code == 404 and "unknown site 'NOPE'" in r.json()["detail"]
    assert server.post("/api/sites/NEAR/rooms", json={"count": 2}).json()["rooms"] == 3
    log = server.get("/api/audit", params={"action": "site."}).json()
    assert {e["actor"] for e in log} == {"admin"}  # site.add, site.staff, site.rooms: the signed-in user
    r = server.post("/api/rooms/assign-all")
    assert r.status_code == 200 and r.json() == {"assigned": 1, "no_room": 0, "by_site": {"NEAR": 1}}
    r = server.post("/api/rooms/arrive", json={"person_id": "P00003"})
    assert r.status_code == 200 and r.json()["room_no"] == "002"
    assert server.post("/api/rooms/arrive", json={"person_id": "nobody"}).status_code == 404
    assert server.get("/api/sites/reserve", params={"jurisdiction": "140105"}).json()["rooms"] == 3
    assert server.get("/api/sites/reserve", params={"jurisdiction": "x"}).status_code == 422
    assert len(server.get("/api/sites/forecast").json()) == 7
    assert server.patch("/api/sites/NEAR", json={"status": "closed"}).json()["free"] == 0
    assert server.patch("/api/sites/NEAR", json={"status": "gone"}).status_code == 422
    r = fk("sites", "add", "FAR", "--name", "北郊酒店", "--jurisdiction", "140108", "--rooms", "3")
    assert r.exit_code == 0
    r = fk("sites", "list")
    assert r.exit_code == 0 and "FAR" in r.stdout and "NEAR" in r.stdout
    r = fk("sites", "reserve", "140105")
    assert r.exit_code == 0 and "0 rooms, 7 residents" in r.stdout and "1 short" in r.output  # NEAR is closed
    r = fk("sites", "assign", m2, "NOPE", "001")
    assert r.exit_code == 1 and "unknown site 'NOPE'" in r.output
    r = fk("sites", "forecast", "--at", "2022-03-16T12:00")
    assert r.exit_code == 0 and "2022-03-22" in r.stdout


def test_bulletin_counts_rooms_used_and_hospital_beds(rollback_env, tmp_path, monkeypatch):
    from fangkong.measures.hospitals import service as hospitals
    from fangkong.reports import service as report_service
    from fangkong.reports.text import render
    from fangkong.settings import get_settings

    set_clock(monkeypatch, "2022-03-10T09:00:00+08:00")   # the sites stand ready before the outbreak
    two_sites()
    monkeypatch.delenv("FANGKONG_NOW")
    get_settings.cache_clear()
    case_id = traced_city(tmp_path / "city")
    with unit_of_work() as s:
        h = hospitals.add_hospital(s, "H4", name="第四医院", jurisdiction="1401", beds=10)
        from fangkong.cases import service as case_service

        hospitals.admit(s, case_service.get_case(s, case_id), h, at=TRACED_AT + timedelta(minutes=30))
        b = report_service.bulletin(s, date(2022, 3, 11), tz=TZ)
        assert (b.rooms_used, b.rooms_total, b.hospital_beds_used) == (2, 7, 1)
        assert "隔离点已用房间2间（开放房间共7间），定点医院占用床位1张" in render(b)
        assert "Isolation rooms in use: 2 (of 7 open)" in render(b, lang="en")
        assert report_service.bulletin(s, date(2022, 3, 10), tz=TZ).rooms_used == 0
        # the day before the sites were registered: no room in service (from the sites' audit log)
        assert report_service.bulletin(s, date(2022, 3, 9), tz=TZ).rooms_total == 0
