"""Every route × every role × inside/outside the jurisdiction, over real HTTP, on SQLite and PostgreSQL.

Two districts, each with its own traced outbreak: 140105 (persons 甲…, P00001–P00007) and 140106 (乙…,
P00011–P00017). A user of one district must never get a body naming the other district's persons or cases;
a route the role may not use answers 403, a route without credentials 401, nothing answers 5xx.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders.city import person, venue, write_city
from builders.identity import bearer, device_token
from clihelp import fk
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.api import app
from fangkong.auth import policy
from fangkong.cases.models import Case
from fangkong.contacts.models import RiskPerson
from fangkong.db.masking import OTHER_DISTRICT
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure, TestTask
from fangkong.people.models import Person
from fangkong.protocol.roles import DEVICE_PERMISSIONS, ROLES, permissions_of
from fangkong.settings import get_settings
from fangkong.tasks.models import Task

pytestmark = [pytest.mark.both_stores, pytest.mark.slow]

A, B = "140105", "140106"
# the outbreak is recent, so its measures and test tasks are still running today
#: the office's calendar day (Asia/Shanghai), not the machine's: between 16:00 and 24:00 UTC they differ
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
DAY1, DAY2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)
WRITE = {"POST", "PATCH", "PUT", "DELETE"}


def _district(folder, first: int, community: str, family: str, venue_ids: tuple[str, str], lat: float):
    persons = [person(i, household=f"H{first}" if i in (first, first + 1) else None, community=community,
                      name=f"{family}{i}号", phone=f"13{first:02d}{i:07d}") for i in range(first, first + 7)]
    p = lambda i: f"P{i:05d}"
    v1, v2 = venue_ids
    visit = lambda who, vid, s, e="": {"person_id": p(who), "venue_id": vid, "enter_at": s, "leave_at": e}
    d1, d2 = DAY1.isoformat(), DAY2.isoformat()
    visits = [visit(first, v1, f"{d1}T12:00", f"{d1}T13:00"), visit(first + 2, v1, f"{d1}T12:30"),
              visit(first + 3, v1, f"{d1}T12:50"), visit(first + 4, v1, f"{d1}T18:00"),
              visit(first + 2, v2, f"{d2}T09:00", f"{d2}T10:00"), visit(first + 5, v2, f"{d2}T09:30", f"{d2}T10:00")]
    venues = [venue(v1, lat=lat) | {"community": community}, venue(v2, "shop", lat=lat) | {"community": community}]
    return persons, venues, visits


def two_districts(folder):
    pa, va, xa = _district(folder, 1, "140105001001", "甲", ("V1", "V2"), 37.87)
    pb, vb, xb = _district(folder, 11, "140106002003", "乙", ("V3", "V4"), 37.70)
    # one resident of each district sat beside the other district's case: each trace finds the other's resident
    d1 = DAY1.isoformat()
    cross = [{"person_id": who, "venue_id": vid, "enter_at": f"{d1}T12:10", "leave_at": f"{d1}T12:40"}
             for who, vid in (("P00017", "V1"), ("P00007", "V3"))]
    return write_city(folder, pa + pb, va + vb, xa + xb + cross, [])


def _declare_and_trace(client, pid: str) -> str:
    r = client.post("/api/cases", json={"person_id": pid, "sampled_at": f"{DAY2.isoformat()}T08:00:00+08:00",
                                        "isolated_at": f"{DAY2.isoformat()}T20:00:00+08:00"})
    assert r.status_code == 201, r.text
    case_no = r.json()["case_id"]
    assert client.post(f"/api/cases/{case_no}/trace").status_code == 200  # measures, tasks, codes too
    return case_no


def _marks(session, community: str, case_no: str) -> list[str]:
    """Strings that identify a district's people: person ids, full names, phones, ID numbers, masked names."""
    rows = session.scalars(select(Person).where(Person.community == community)).all()
    marks = [case_no]
    for p in rows:
        marks += [p.person_id, p.name, p.phone, p.id_number, p.name[0] + "*"]
    return marks


@pytest.fixture
def world(server, tmp_path, monkeypatch):  # noqa: F811
    # the public routes' per-client limit is off: every client here is 127.0.0.1, and the matrix's overlapping
    # probes once drained the bucket and got 429 where 403 was due (the limit has tests of its own)
    monkeypatch.setenv("FANGKONG_RATE_LIMIT", "0")
    get_settings.cache_clear()
    assert fk("import", two_districts(tmp_path / "city")).exit_code == 0
    ca, cb = _declare_and_trace(server, "P00001"), _declare_and_trace(server, "P00011")
    zones = server.get("/api/zones").json()
    city = server.client_for("commander")  # four eyes: not the admin who traced the cases (and proposed them)
    for z in zones:  # the city's commander approves both districts' zones: their residents are placed too
        assert city.post(f"/api/zones/{z['zone_id']}/approve", json={}).status_code == 200
    zone_a = next((z["zone_id"] for z in zones if z["case_id"] == ca), "Z000001")
    # each district asks the other to find its case's contact there (协查): assistance rows across the line
    for case_no, home in ((ca, A), (cb, B)):
        assert server.post(f"/api/assist/cases/{case_no}/outbound", json={"home": home}).status_code == 201
    with unit_of_work() as s:
        case_a = s.scalar(select(Case).where(Case.case_no == ca))
        risk = s.scalars(select(RiskPerson).where(RiskPerson.case_fk == case_a.id)).first()
        a_people = select(Person.id).where(Person.community == "140105001001")
        measure = s.scalars(select(Measure).where(Measure.person_fk.in_(a_people))).first()
        test = s.scalars(select(TestTask).where(TestTask.person_fk.in_(a_people))).first()
        task = s.scalars(select(Task).where(Task.person_fk.in_(a_people))).first()
        ids = {"case_id": ca, "risk_id": risk.id, "measure_id": measure.id, "test_id": test.id if test else 1,
               "task_id": task.id if task else 1, "person_id": "P00003", "zone_id": zone_a}
        marks = {A: _marks(s, "140105001001", ca), B: _marks(s, "140106002003", cb)}
    return {"ids": ids, "marks": marks, "cases": {A: ca, B: cb}}


#: a path parameter that names one of district A's records: from B it must be as if it did not exist
RECORD_PARAMS = {"case_id", "risk_id", "measure_id", "test_id", "task_id", "person_id", "zone_id"}


def _routes():
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            yield method, rc.path, route.body_field is not None


def _fill(path: str, ids: dict) -> tuple[str, set[str]]:
    names = set(re.findall(r"{(\w+)(?::\w+)?}", path))
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(ids.get(m.group(1), 1)), path), names


#: each district's citizen is one of its residents; its devices stand at one of its venues
CITIZEN = {A: "P00003", B: "P00013"}
VENUE = {A: "V1", B: "V3"}
DEVICES = tuple(f"device:{kind}" for kind in DEVICE_PERMISSIONS)


def _permissions(who: str) -> frozenset[str]:
    return DEVICE_PERMISSIONS[who.split(":")[1]] if who in DEVICES else permissions_of(who)


def _jobs(ids: dict):
    """(who, method, template, path, params, allowed): anonymous once per non-public route, then every role and
    device on both sides. A body-less write that the role may do would run for real: the scoped-write test
    covers those."""
    for method, template, has_body in _routes():
        path, params = _fill(template, ids)
        public = policy.is_public(method, path)
        needed = policy.permission_for(method, path)
        if not public:
            yield None, method, template, path, params, False
        for role in ROLES + DEVICES:
            allowed = public or needed == policy.SIGNED_IN or needed in _permissions(role)
            if method in WRITE and allowed and not has_body and not public:
                continue
            for side in (A, B):
                yield (role, side), method, template, path, params, allowed


def test_every_route_every_role_both_sides(server, world, capsys):  # noqa: F811
    ids, marks = world["ids"], world["marks"]
    clients = {(role, side): server.client_for(role, side, person=CITIZEN[side] if role == "citizen" else None)
               for role in ROLES for side in (A, B)}
    for side in (A, B):
        clients[("device:venue", side)] = bearer(server, device_token("venue", VENUE[side]))
        clients[("device:checkpoint", side)] = bearer(server, device_token("checkpoint"))
    clients[None] = server.anonymous()
    jobs = list(_jobs(ids))

    def call(job):
        who, method, _, path, _, _ = job
        # an array is no valid body for any route: a write the role may do is refused before it happens
        return clients[who].request(method, path, **({"json": []} if method in WRITE else {}))

    with ThreadPoolExecutor(max_workers=6) as pool:  # the server answers from its thread pool: overlap the I/O
        answers = list(pool.map(call, jobs))
    leaks, problems = [], []
    for (who, method, template, path, params, allowed), r in zip(jobs, answers, strict=True):
        public = policy.is_public(method, path)
        where = f"{who} {method} {template}: {r.status_code}"
        if r.status_code >= 500:
            problems.append(f"5xx {where} {r.text[:200]}")
        elif who is None:
            if r.status_code != 401:
                problems.append(f"expected 401 {where}")
            continue
        elif not allowed and r.status_code != 403:
            problems.append(f"expected 403 {where}")
        elif allowed and r.status_code in (401, 403) and not public:
            problems.append(f"refused {where} {r.text[:120]}")
        role, side = who
        if public or role == "admin":
            continue  # public routes answer anyone by design; the admin sees the whole deployment
        other = B if side == A else A
        body = r.content.decode("utf-8", "replace")
        found = [m for m in marks[other] if m and m in body and m not in path]  # not the caller's own words
        if found:
            leaks.append(f"{where} shows {found[:3]}")
        if side == B and params & RECORD_PARAMS and method == "GET" and r.status_code == 200:
            leaks.append(f"{where}: district {A}'s record answered 200 to district {B}")
    endpoints = len({(j[1], j[2]) for j in jobs})
    with capsys.disabled():
        print(f"\nauth matrix: {endpoints} endpoints × {len(ROLES)} roles and {len(DEVICES)} devices × 2 sides + "
              f"anonymous = {len(jobs)} "
              f"checks, {len(leaks)} leaks, {len(problems)} problems")
    assert not leaks, "\n".join(leaks)
    assert not problems, "\n".join(problems)


def test_writes_inside_and_outside_the_jurisdiction(server, world):  # noqa: F811
    ids = world["ids"]
    inside, outside = server.client_for("epidemiologist", A), server.client_for("epidemiologist", B)
    override = {"category": "overlap", "reason": "table apart, masks on"}
    assert outside.patch(f"/api/risk-persons/{ids['risk_id']}", json=override).status_code == 404
    r = inside.patch(f"/api/risk-persons/{ids['risk_id']}", json=override)
    assert r.status_code == 200 and r.json()["category"] == "overlap"
    assert outside.get(f"/api/cases/{ids['case_id']}").status_code == 404
    assert inside.get(f"/api/cases/{ids['case_id']}").status_code == 200
    assert outside.post(f"/api/cases/{ids['case_id']}/trace").status_code == 404
    again = inside.post(f"/api/cases/{ids['case_id']}/trace")  # a district's own epidemiologist re-traces
    assert again.status_code == 200 and {p["person_id"] for p in again.json()["risk_persons"]} >= {"P00002"}
    assert all("*" in (p["phone"] or "*") for p in again.json()["risk_persons"])  # phones masked
    board = server.client_for("commander", A).get("/risk-persons", headers={"accept": "text/html"})
    assert board.status_code == 200 and "甲" in board.text and "乙" not in board.text
    declare = {"person_id": "P00002", "sampled_at": f"{DAY2.isoformat()}T09:00:00+08:00"}
    assert outside.post("/api/cases", json=declare).status_code == 404
    extend = {"days": 3, "reason": "positive household member"}
    assert outside.post(f"/api/measures/{ids['measure_id']}/extend", json=extend).status_code in (404, 422)
    assert server.client_for("verifier", B).post(f"/api/verifications/{ids['task_id']}/outcome",
                                                 json={"outcome": "found", "by": "x"}).status_code in (404, 422)
    # lists are cut, not refused: each district sees its own risk persons only
    # (a contact of the district's case living in the other district is shown, masked: 外区)
    mine = {r["person_id"] for r in inside.get("/api/risk-persons").json()} - {OTHER_DISTRICT}
    theirs = {r["person_id"] for r in outside.get("/api/risk-persons").json()} - {OTHER_DISTRICT}
    assert mine and theirs and not (mine & theirs)
    assert all(p < "P00010" for p in mine if p) and all(p > "P00010" for p in theirs if p)
    # aggregates are cut too: the district's bulletin counts its own case, the admin's both
    day = {"day": TODAY.isoformat()}
    assert server.get("/api/bulletin", params=day).json()["figures"]["total_cases"] == 2
    assert inside.get("/api/bulletin", params=day).json()["figures"]["total_cases"] == 1
    # the write carries the real user, and the audit log says so
    log = server.get("/api/audit", params={"action": "risk_person.override"}).json()
    assert log and log[0]["actor"] == f"epidemiologist_{A}"
    assert inside.get("/api/audit").status_code == 403
