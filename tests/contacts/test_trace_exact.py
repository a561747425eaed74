"""The trace equals a brute-force pairwise check on random small cities, category by category."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders.city import person, venue, write_city
from builders.records import wipe_records
from contacts.brute import assert_same_risk_persons, brute_trace
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fangkong import flows, importer
from fangkong.cases import service as case_service
from fangkong.contacts import service as contact_service
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition
from fangkong.protocol.grid import grid_id

pytestmark = [pytest.mark.both_stores, pytest.mark.slow]

TZ = ZoneInfo("Asia/Shanghai")
KINDS = ["restaurant", "shop", "office", "school", "hotel", "transport", "hospital", "testing_site", "residential"]
BASE = datetime(2022, 3, 10, tzinfo=TZ)


def random_city(rng: random.Random, tag: str):
    n = rng.randint(4, 22)
    households = [f"{tag}H{rng.randint(0, n // 2)}" for _ in range(n)]
    persons = []
    for i in range(n):
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.85 else None
        p = person(i, household=households[i], phone=phone)
        p["person_id"] = f"{tag}P{i:03d}"
        p["_order"] = i
        persons.append(p)
    # a phone shared by two people now and then: the first registered one owns it
    if n > 3 and rng.random() < 0.3 and persons[1]["phone"]:
        persons[2]["phone"] = persons[1]["phone"]
    venues = [venue(f"{tag}V{j}", rng.choice(KINDS)) for j in range(rng.randint(1, 4))]
    kinds = {v["venue_id"]: v["kind"] for v in venues}
    visits, seen = [], set()
    for _ in range(rng.randint(5, 45)):
        p = rng.choice(persons)
        s = BASE + timedelta(minutes=rng.randint(0, 5 * 24 * 60))
        leave = s + timedelta(minutes=rng.randint(0, 240)) if rng.random() < 0.5 else None
        row = (p["person_id"], rng.choice(venues)["venue_id"], s, leave)
        if row not in seen:
            seen.add(row)
            visits.append(dict(zip(("person_id", "venue_id", "enter_at", "leave_at"), row, strict=False)))
    cells = [grid_id(37.87 + 0.0075 * k, 112.55) for k in range(3)]
    phones = [p["phone"] for p in persons if p["phone"]] + ["13000000001", "13000000002"]
    dwells, seen = [], set()
    for _ in range(rng.randint(0, 40)):
        s = BASE + timedelta(minutes=rng.randint(0, 5 * 24 * 60))
        row = (rng.choice(phones), rng.choice(cells), s, s + timedelta(minutes=rng.randint(1, 300)))
        if row not in seen:
            seen.add(row)
            dwells.append(dict(zip(("phone", "grid_id", "start_at", "end_at"), row, strict=False)))
    return persons, venues, kinds, visits, dwells


def _as_csv_rows(visits, dwells):
    v = [{**x, "enter_at": x["enter_at"].isoformat(), "leave_at": x["leave_at"].isoformat() if x["leave_at"] else ""}
         for x in visits]
    d = [{**x, "start_at": x["start_at"].isoformat(), "end_at": x["end_at"].isoformat()} for x in dwells]
    return v, d


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), edition=st.sampled_from(["9", "8", "20"]),
       min_cell_hours=st.sampled_from([0.0, 0.0, 2.0, 4.5]),
       part_rows=st.sampled_from([contact_service._PART_ROWS, 1]))
@example(seed=7, edition="9", min_cell_hours=4.5,  # the filter removes the one companion
         part_rows=contact_service._PART_ROWS)
@example(seed=54, edition="9", min_cell_hours=4.5, part_rows=1)    # … one of its two
def test_trace_equals_brute_force(env, tmp_path_factory, seed, edition, min_cell_hours, part_rows):
    """min_cell_hours > 0: the deployment's companion noise filter on (thresholds of a few hours, so that the
    random cities' stays of up to 5 hours fall on both sides). part_rows 1: the risk
    persons assembled and stored in several parts (contacts.service._PART_ROWS)."""
    default_part = contact_service._PART_ROWS
    contact_service._PART_ROWS = part_rows
    try:
        _trace_equals_brute_force(env, tmp_path_factory, seed, edition, min_cell_hours)
    finally:
        contact_service._PART_ROWS = default_part


def _trace_equals_brute_force(env, tmp_path_factory, seed, edition, min_cell_hours):
    wipe_records()
    rng = random.Random(seed)
    tag = f"S{seed}E{edition}"
    persons, venues, kinds, visits, dwells = random_city(rng, tag)
    folder = tmp_path_factory.mktemp("city")
    settings_ = env.model_copy(update={"edition": edition, "lake": folder / "lake",
                                       "companion_min_cell_hours": min_cell_hours})
    v_rows, d_rows = _as_csv_rows(visits, dwells)
    write_city(folder, persons, venues, v_rows, d_rows)
    results = importer.import_folder(unit_of_work, settings_, folder)
    assert all(not r.errors for r in results), [str(e) for r in results for e in r.errors]
    case_p = rng.choice(persons)
    sampled = BASE + timedelta(days=3, hours=rng.randint(0, 23))
    isolated = sampled + timedelta(hours=rng.randint(0, 30))
    now = BASE + timedelta(days=6)
    with unit_of_work() as session:
        case = case_service.declare_case(session, case_p["person_id"], sampled_at=sampled, isolated_at=isolated,
                                         now=now)
        got = flows.trace_case(session, settings_, case, now=now).as_json()
    ws = datetime.combine(sampled.date() - timedelta(days=2), datetime.min.time(), tzinfo=TZ)
    assert got["window"] == {"start": ws.isoformat(), "end": isolated.isoformat()}
    want = brute_trace(persons=persons, venues=kinds, visits=visits, dwells=dwells, case_pid=case_p["person_id"],
                       ws=ws, we=isolated, until=max(now, isolated), edition=load_edition(edition),
                       min_cell_hours=min_cell_hours)
    have = assert_same_risk_persons(got, want, evidence_once=True)
    assert case_p["person_id"] not in have


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), edition=st.sampled_from(["9", "8", "20"]),
       min_cell_hours=st.sampled_from([0.0, 4.5]), part_rows=st.sampled_from([contact_service._PART_ROWS, 1]))
def test_trace_equals_brute_force_serially(env, tmp_path_factory, monkeypatch, seed, edition, min_cell_hours,
                                           part_rows):
    """FANGKONG_TRACE_SERIAL=1 (contacts.lanes: every step on the calling thread, for debugging) gives the same
    answers as brute force, as the two lanes do."""
    monkeypatch.setenv("FANGKONG_TRACE_SERIAL", "1")
    default_part = contact_service._PART_ROWS
    contact_service._PART_ROWS = part_rows
    try:
        _trace_equals_brute_force(env, tmp_path_factory, seed, edition, min_cell_hours)
    finally:
        contact_service._PART_ROWS = default_part
