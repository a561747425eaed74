"""The synthetic city: deterministic, and every file keeps the FORMATS.md contract."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fangkong.protocol.grid import grid_id
from fangkong.protocol.idnumber import birth_date_of, is_valid, sex_of
from fangkong.sim.city import CitySummary, generate_city

PERSONS, DAYS, SEED = 2_000, 3, 11
START = date(2022, 3, 4)  # Friday: the city lives through a weekend
TS = pa.timestamp("us", tz="UTC")
KINDS = {"school", "hotel", "restaurant", "shop", "office", "hospital", "transport", "testing_site",
         "residential", "other"}


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> tuple[CitySummary, list[tuple[str, int, int]]]:
    calls: list[tuple[str, int, int]] = []
    out = tmp_path_factory.mktemp("city")
    summary = generate_city(out, persons=PERSONS, days=DAYS, seed=SEED, start=START,
                            progress=lambda *a: calls.append(a))
    return summary, calls


@pytest.fixture(scope="module")
def persons(city) -> list[dict[str, str]]:
    with city[0].files["persons"].open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def venues(city) -> list[dict[str, str]]:
    with city[0].files["venues"].open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def visits(city) -> pa.Table:
    return pq.read_table(city[0].files["venue_visits"])


@pytest.fixture(scope="module")
def dwells(city) -> pa.Table:
    return pq.read_table(city[0].files["cell_dwells"])


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return f.readline().rstrip("\n").split(",")


def test_same_seed_same_files_and_other_seed_other_city(city, tmp_path):
    summary = city[0]
    again = generate_city(tmp_path / "again", persons=PERSONS, days=DAYS, seed=SEED, start=START)
    for name in ("place_names", "persons", "venues", "boundaries"):
        assert again.files[name].read_bytes() == summary.files[name].read_bytes()
    for name in ("venue_visits", "cell_dwells"):
        assert pq.read_table(again.files[name]).equals(pq.read_table(summary.files[name]))
    assert again.index_person_id == summary.index_person_id
    assert again.index_sampled_at == summary.index_sampled_at
    other = generate_city(tmp_path / "other", persons=PERSONS, days=1, seed=SEED + 1, start=START)
    assert other.files["persons"].read_bytes() != summary.files["persons"].read_bytes()


def test_files_have_the_contract_columns_and_types(city, visits, dwells):
    files = city[0].files
    assert set(files) == {"place_names", "persons", "venues", "venue_visits", "cell_dwells", "boundaries"}
    assert _header(files["place_names"]) == ["code", "name", "name_en"]
    assert _header(files["persons"]) == ["person_id", "name", "id_number", "phone", "household_id",
                                         "community", "address", "birth_date", "sex"]
    assert _header(files["venues"]) == ["venue_id", "name", "kind", "lat", "lon", "community"]
    assert visits.schema == pa.schema([("person_id", pa.string()), ("venue_id", pa.string()),
                                       ("enter_at", TS), ("leave_at", TS)])
    assert dwells.schema == pa.schema([("phone", pa.string()), ("grid_id", pa.string()),
                                       ("lat", pa.float64()), ("lon", pa.float64()),
                                       ("start_at", TS), ("end_at", TS)])


def test_summary_counts_match_the_files(city, persons, venues, visits, dwells):
    summary = city[0]
    assert (summary.persons, summary.venues) == (len(persons), len(venues)) == (PERSONS, len(venues))
    assert (summary.visits, summary.dwells) == (visits.num_rows, dwells.num_rows)
    assert summary.households == len({p["household_id"] for p in persons})
    assert (summary.start, summary.days) == (START, DAYS)


def test_progress_reports_every_step_to_completion(city):
    last = {step: (done, total) for step, done, total in city[1]}
    assert set(last) >= {"persons", "venues", "visits", "dwells"}
    assert all(done == total for done, total in last.values())


def test_persons_have_valid_ids_consistent_with_sex_and_birth(persons):
    assert len({p["person_id"] for p in persons}) == PERSONS
    for p in persons:
        assert is_valid(p["id_number"]), p
        assert sex_of(p["id_number"]) == p["sex"]
        assert birth_date_of(p["id_number"]) == date.fromisoformat(p["birth_date"])
        assert p["name"] and p["address"] and len(p["community"]) == 12 and p["community"].isdigit()


def test_phones_are_unique_mobiles_and_a_few_people_have_none(persons):
    phones = [p["phone"] for p in persons if p["phone"]]
    assert all(len(x) == 11 and x.isdigit() and x[0] == "1" for x in phones)
    assert len(set(phones)) == len(phones)
    assert 0.01 < 1 - len(phones) / PERSONS < 0.06


def test_households_of_one_to_five_share_home(persons):
    households: dict[str, list[dict[str, str]]] = {}
    for p in persons:
        households.setdefault(p["household_id"], []).append(p)
    sizes = Counter(len(members) for members in households.values())
    assert set(sizes) <= {1, 2, 3, 4, 5}
    assert 2.5 < PERSONS / len(households) < 3.1
    for members in households.values():
        assert len({(m["address"], m["community"]) for m in members}) == 1


def test_venues_are_of_known_kinds_around_the_city(venues):
    assert len({v["venue_id"] for v in venues}) == len(venues)
    kinds = Counter(v["kind"] for v in venues)
    assert set(kinds) <= KINDS
    assert {"residential", "school", "office", "restaurant", "shop"} <= set(kinds)
    for v in venues:
        assert abs(float(v["lat"]) - 37.87) < 0.3 and abs(float(v["lon"]) - 112.55) < 0.3
        assert len(v["community"]) == 12


def test_visits_reference_people_and_venues_and_end_after_they_start(persons, venues, visits):
    assert set(visits["person_id"].to_pylist()) <= {p["person_id"] for p in persons}
    assert set(visits["venue_id"].to_pylist()) <= {v["venue_id"] for v in venues}
    enter, leave = visits["enter_at"].to_pylist(), visits["leave_at"].to_pylist()
    assert all(b > a for a, b in zip(enter, leave, strict=True) if b is not None)
    assert 0.3 < leave.count(None) / len(leave) < 0.7
    assert 2.0 < len(enter) / (PERSONS * DAYS) < 4.0
    first = datetime.combine(START, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    assert first <= min(enter) and max(enter) < first + timedelta(days=DAYS)


def test_dwells_belong_to_phones_and_carry_the_protocol_grid_cell(persons, dwells):
    assert set(dwells["phone"].to_pylist()) == {p["phone"] for p in persons if p["phone"]}
    rows = dwells.to_pylist()
    assert all(r["end_at"] > r["start_at"] for r in rows)
    assert all(r["grid_id"] == grid_id(r["lat"], r["lon"]) for r in rows)
    assert 4 < len(rows) / (len({r["phone"] for r in rows}) * DAYS) < 12


def test_a_phone_is_in_exactly_one_cell_at_a_time_all_day(dwells):
    by_phone: dict[str, list[tuple[datetime, datetime]]] = {}
    for r in dwells.select(["phone", "start_at", "end_at"]).to_pylist():
        by_phone.setdefault(r["phone"], []).append((r["start_at"], r["end_at"]))
    first = datetime.combine(START, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    for spans in by_phone.values():
        spans.sort()
        assert spans[0][0] == first and spans[-1][1] == first + timedelta(days=DAYS)
        assert all(a[1] == b[0] for a, b in pairwise(spans))


def test_a_person_is_at_one_venue_at_a_time(visits):
    by_person: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for r in visits.to_pylist():
        by_person.setdefault(r["person_id"], []).append((r["enter_at"], r["leave_at"]))
    for stays in by_person.values():
        stays.sort(key=lambda stay: stay[0])
        assert all(a[1] is None or a[1] <= b[0] for a, b in pairwise(stays))


def test_a_city_of_a_handful_of_people_still_works(tmp_path):
    summary = generate_city(tmp_path, persons=10, days=1, seed=3)
    assert summary.persons == 10 and summary.index_person_id.startswith("P")
    assert pq.read_table(summary.files["cell_dwells"]).num_rows > 0


def test_index_person_is_an_adult_with_family_and_recent_visits(city, persons, visits):
    summary = city[0]
    person = next(p for p in persons if p["person_id"] == summary.index_person_id)
    last_day = START + timedelta(days=DAYS - 1)
    assert person["phone"]
    assert 18 <= (last_day - date.fromisoformat(person["birth_date"])).days // 365.25 < 60
    assert sum(p["household_id"] == person["household_id"] for p in persons) >= 2
    sampled = summary.index_sampled_at
    assert sampled.tzinfo is not None and sampled.utcoffset() == timedelta(hours=8)
    assert sampled.date() == last_day and 8 <= sampled.hour < 10
    recent = datetime.combine(last_day - timedelta(days=2), datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    own = [e for pid, e in zip(visits["person_id"].to_pylist(), visits["enter_at"].to_pylist(), strict=True)
           if pid == summary.index_person_id]
    assert any(e >= recent for e in own)


def test_a_city_larger_than_the_layout_is_stretched_to_keep_its_density():
    """Above LAYOUT_PERSONS the area grows with the population (√ of the ratio on each axis), from the same
    random draws; smaller cities keep the layout, so a seed still gives the city it always gave."""
    import numpy as np

    from fangkong.sim.population import (
        CENTRE,
        KM_LAT,
        KM_LON,
        LAYOUT_PERSONS,
        layout_scale,
        make_areas,
        make_population,
    )

    assert layout_scale(2_000) == layout_scale(LAYOUT_PERSONS) == 1.0
    assert layout_scale(4 * LAYOUT_PERSONS) == 2.0
    base = make_areas(np.random.default_rng([SEED, 1]), LAYOUT_PERSONS)
    small = make_areas(np.random.default_rng([SEED, 1]), 2_000)
    assert small.scale == 1.0 and np.array_equal(small.comm_lat, base.comm_lat)
    big = make_areas(np.random.default_rng([SEED, 1]), 4 * LAYOUT_PERSONS)
    assert big.scale == 2.0 and np.array_equal(big.comm_code, base.comm_code)
    assert np.allclose(big.comm_lat - CENTRE[0], 2 * (base.comm_lat - CENTRE[0]))
    assert np.allclose(big.comm_lon - CENTRE[1], 2 * (base.comm_lon - CENTRE[1]))
    # compounds spread around their community's centre twice as far: a quarter of the density
    spreads = []
    for areas in (base, big):
        pop = make_population(np.random.default_rng([SEED, 2]), 20_000, areas, START)
        north = (pop.compound_lat - areas.comm_lat[pop.compound_community]) / KM_LAT
        east = (pop.compound_lon - areas.comm_lon[pop.compound_community]) / KM_LON
        spreads.append(np.hypot(north, east).mean())
    assert spreads[1] == pytest.approx(2 * spreads[0], rel=1e-9)


def test_every_community_and_subdistrict_is_named_once_in_chinese(city, persons, venues):
    """Issue 25: communities by name. Each code the persons and venues use has a row of place_names.csv, the
    community's name ends in 社区, its subdistrict's in 街道, no two alike; every row passes the importer's check."""
    from fangkong.protocol.places import check_name_row

    with city[0].files["place_names"].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(check_name_row(r["code"], r["name"], r["name_en"]) is None for r in rows)
    names = {r["code"]: r for r in rows}
    used = {p["community"] for p in persons} | {v["community"] for v in venues if v["community"]}
    assert used <= set(names)
    assert all(names[c]["name"].endswith("社区") and names[c[:9]]["name"].endswith("街道") for c in used)
    assert all(names[c]["name_en"].endswith(" Community") for c in used)
    communities = [r["name"] for r in rows if len(r["code"]) == 12]
    assert len(communities) == len(set(communities))


def _inside(lon: float, lat: float, rings: list) -> bool:
    hit = False
    for ring in rings:
        for (x0, y0), (x1, y1) in pairwise(ring):
            if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                hit = not hit
    return hit


def test_boundaries_nest_and_hold_their_venues(city, venues):
    """boundaries.geojson: the city, its districts, subdistricts and communities; every feature valid for the
    import; every venue in the city's outline, most in their own district (the communities' venues overlap)."""
    from fangkong.protocol.boundaries import feature_lines, parse_collection, shape_of

    text = city[0].files["boundaries"].read_text(encoding="utf-8")
    features = parse_collection(text)
    assert feature_lines(text) == list(range(2, len(features) + 2))  # one feature a line
    shapes = {s.code: s for s in map(shape_of, features)}
    levels = Counter(s.level for s in shapes.values())
    assert levels["city"] == 1 and levels["district"] == 6 and levels["subdistrict"] > 20 and levels["community"] > 150
    assert {v["community"] for v in venues} <= set(shapes)
    assert all(s.code[:6] in shapes and s.code[:9] in shapes for s in shapes.values() if s.level == "community")

    def within(v, code) -> bool:
        return _inside(float(v["lon"]), float(v["lat"]), [r for p in shapes[code].geometry["coordinates"] for r in p])

    assert all(within(v, "1401") for v in venues)
    assert sum(within(v, v["community"][:6]) for v in venues) >= 0.8 * len(venues)
