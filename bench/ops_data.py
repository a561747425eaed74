"""bench/pages.py's data for the command-centre pages (issue 7): isolation sites with rooms and stays, two
hospitals, a verification task per risk person, a citywide pooled testing round with lab results, zones."""

from __future__ import annotations

import random
from datetime import timedelta

#: how the round covers the register: every person sampled, pools of 10
POOL = 10


def build_ops(s, persons: int, base, *, sampled: int) -> dict:
    """Insert the records (bulk inserts) into the session `s`, after bench/pages.py's build()."""
    from sqlalchemy import insert, select

    from fangkong.contacts.models import RiskPerson
    from fangkong.measures.models import Hospital, HospitalAdmission, IsolationSite, Measure, Room, RoomStay
    from fangkong.people.models import Person, Venue
    from fangkong.tasks.models import Task
    from fangkong.testing.models import (
        Lab,
        LabResult,
        RetestTask,
        RoundPoint,
        Sample,
        SamplingPoint,
        TestingRound,
        Tube,
    )
    from fangkong.zones.models import Zone, ZonePlace

    rng = random.Random(2)
    sites, rooms_per_site = 25, 100  # 2 500 rooms: 25 per 10 000 residents at 1 000 000 persons
    s.execute(insert(IsolationSite), [
        {"id": i + 1, "site_id": f"S{i + 1:03d}", "name": f"隔离酒店{i + 1}", "jurisdiction": "140105",
         "lat": 37.80 + i * 0.004, "lon": 112.50 + i * 0.004, "three_zones_two_channels": i % 3 != 0,
         "status": "open"} for i in range(sites)])
    s.execute(insert(Room), [{"id": i + 1, "site_fk": i // rooms_per_site + 1, "room_no": f"{i % rooms_per_site + 1:03d}",
                              "beds": 1, "in_service": True, "occupants": 0, "version": 1}
                             for i in range(sites * rooms_per_site)])
    central = list(s.execute(select(Measure.id, Measure.person_fk).where(Measure.kind == "centralized_isolation")
                             .order_by(Measure.id)).all())[: sites * rooms_per_site - 100]
    s.execute(insert(RoomStay), [{"room_fk": n + 1, "person_fk": pf, "measure_fk": mid,
                                  "assigned_at": base + timedelta(hours=7), "arrived_at": base + timedelta(hours=9)}
                                 for n, (mid, pf) in enumerate(central)])
    s.execute(Room.__table__.update().where(Room.id <= len(central)).values(occupants=1))
    s.execute(insert(Hospital), [{"id": 1, "hospital_id": "H1", "name": "定点医院一", "jurisdiction": "1401", "beds": 500,
                                  "negative_pressure_beds": 40, "designated": True},
                                 {"id": 2, "hospital_id": "H2", "name": "定点医院二", "jurisdiction": "1401", "beds": 300,
                                  "negative_pressure_beds": 20, "designated": True}])
    s.execute(insert(HospitalAdmission), [{"case_fk": c, "hospital_fk": 1, "negative_pressure": c == 1,
                                           "admitted_at": base + timedelta(hours=6)} for c in (1, 2)])
    # a verification task per risk person, in their community; a third already done
    risks = s.execute(select(RiskPerson.id, RiskPerson.person_fk, RiskPerson.case_fk, Person.community,
                             RiskPerson.placed_deadline_at).join(Person, Person.id == RiskPerson.person_fk)).all()
    s.execute(insert(Task), [
        {"kind": "verification", "step": "contacts_placed", "status": "done" if n % 3 == 0 else "open",
         "jurisdiction": com, "owner_kind": "community", "owner_ref": com, "owner_name": com, "case_fk": case,
         "person_fk": pf, "risk_person_fk": rid, "started_at": base + timedelta(hours=6), "due_at": due,
         "done_at": base + timedelta(hours=8) if n % 3 == 0 else None, "created_at": base + timedelta(hours=6),
         "version": 1} for n, (rid, pf, case, com, due) in enumerate(risks)])
    # the round: every community, `sampled` people swabbed in pools of 10, every tube with its four times
    communities = [f"1401050{i:05d}" for i in range(300)]
    s.execute(insert(SamplingPoint), [{"id": i + 1, "point_id": f"PT{i + 1:03d}", "community": communities[i * 3],
                                       "tables": 4} for i in range(100)])
    s.execute(insert(Lab), [{"id": 1, "lab_id": "LAB-A", "kind": "own", "daily_capacity": 143_000},
                            {"id": 2, "lab_id": "LAB-B", "kind": "contracted", "daily_capacity": 80_000}])
    s.execute(insert(TestingRound), [{"id": 1, "round_id": "R1", "name": "全员核酸第一轮", "kind": "mass",
                                      "communities": communities, "start_date": base.date(), "end_date": base.date(),
                                      "pool_size": POOL, "single_tube_groups": [], "target_hours": 24.0}])
    s.execute(insert(RoundPoint), [{"round_fk": 1, "point_fk": i + 1} for i in range(100)])
    tubes = sampled // POOL
    for start in range(0, tubes, 20_000):
        part = range(start, min(tubes, start + 20_000))
        s.execute(insert(Tube), [{"id": t + 1, "tube_id": f"R1-{t + 1:07d}", "kind": "pool", "members": POOL,
                                  "round_fk": 1, "point_id": f"PT{t % 100 + 1:03d}",
                                  "sampled_at": base + timedelta(minutes=t % 600)} for t in part])
        s.execute(insert(Sample), [{"tube_fk": t + 1, "person_fk": t * POOL + k + 1, "round_fk": 1,
                                    "point_id": f"PT{t % 100 + 1:03d}", "sampled_at": base + timedelta(minutes=t % 600)}
                                   for t in part for k in range(POOL)])
        s.execute(insert(LabResult), [
            {"tube_fk": t + 1, "result": "positive" if t % 5000 == 17 else "negative", "lab_fk": 1 + t % 2,
             "received_at": base + timedelta(minutes=t % 600 + 60 + rng.randint(0, 120)),
             "tested_at": base + timedelta(minutes=t % 600 + 240 + rng.randint(0, 240)),
             "reported_at": base + timedelta(minutes=t % 600 + 500 + rng.randint(0, 120)),
             "imported_at": base + timedelta(hours=12)} for t in part if t % 7 != 6])
    positive = [t for t in range(tubes) if t % 5000 == 17 and t % 7 != 6]
    s.execute(insert(RetestTask), [{"person_fk": t * POOL + k + 1, "origin_tube_fk": t + 1, "reason": "pool_positive",
                                    "single": True, "status": "open" if k % 2 else "done",
                                    "result": None if k % 2 else "negative", "created_at": base + timedelta(hours=12)}
                                   for t in positive for k in range(POOL)] or [])
    # zones: a sealed and a controlled zone per case, each of 10 venues, and 40 precaution zones of 5 venues
    s.execute(insert(Venue), [{"id": 900_000 + v, "venue_id": f"ZV{v:04d}", "name": f"场所{v}", "kind": "residential",
                               "lat": 37.80 + (v % 40) * 0.003, "lon": 112.45 + (v // 40) * 0.004,
                               "community": communities[v % 300]} for v in range(400)])
    zones, places, v = [], [], 0
    for z in range(44):
        level = ("sealed", "controlled")[z % 2] if z < 4 else "precaution"
        zones.append({"id": z + 1, "zone_no": f"Z{z + 1:06d}", "name": f"区域{z + 1}", "level": level,
                      "initial_level": level, "status": "approved", "case_fk": 1 + z % 2,
                      "proposed_at": base + timedelta(hours=7), "proposed_by": "bench",
                      "approved_at": base + timedelta(hours=8), "approved_by": "指挥部",
                      "clock_from": base + timedelta(hours=8), "edition": "9"})
        for _ in range(10 if z < 4 else 5):
            places.append({"zone_fk": z + 1, "kind": "venue", "ref": f"ZV{v:04d}", "name": f"场所{v}",
                           "reason": "visit"})
            v += 1
    s.execute(insert(Zone), zones)
    s.execute(insert(ZonePlace), places)
    # the rows above went in around the writers that keep the round's figures and the persons per community
    # (testing/tally.py): counted once here, as the testing.recount job does
    from fangkong.testing import tally

    tally.recount_all(s)
    return {"rooms": sites * rooms_per_site, "stays": len(central), "tasks": len(risks), "tubes": tubes,
            "samples": tubes * POOL, "zones": len(zones)}
