"""The data contract (shared/docs/FORMATS.md, docs/formats.md) as a property: one small city written in any of
the shapes the contract allows traces exactly as the brute-force tracer says, whatever shape it came in.

Ids of any text (digits with leading zeros, `NA`, `null`, commas, quotes, CJK), grid ids opaque or "row:col" or
absent beside lat/lon, times with an offset, in UTC `Z` or naive local, Parquet with typed timestamps with or
without a zone, CSV with a BOM and CRLF line ends, extra columns, visits without `leave_at`. Each shape goes
through the importer service (`fangkong import`'s own path) and `fangkong trace`'s flow. 15 examples a store
(~25 s each on a quiet machine); FANGKONG_CONTRACT_EXAMPLES=200 for a longer hunt.

Both engines (docs/spark.md): the property runs on DuckDB, or on PySpark with FANGKONG_CONTRACT_ENGINE=pyspark
(each example then pays Spark's fixed costs); a fixed set of shapes always runs on PySpark too, and one shape goes
through the commands themselves (`fangkong import`, `case declare`, `trace --format json` in subprocesses) on
each engine."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders.city import PERSON_COLS, person, venue
from builders.records import wipe_records
from contacts.brute import assert_same_risk_persons, brute_trace
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fangkong import flows, importer
from fangkong.cases import service as case_service
from fangkong.contacts import dwell_cache
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition
from fangkong.protocol.grid import cell_centre, grid_id

pytestmark = [pytest.mark.both_stores, pytest.mark.slow]

TZ = ZoneInfo("Asia/Shanghai")
BASE = datetime(2022, 3, 10, tzinfo=TZ)
KINDS = ["restaurant", "shop", "office", "school", "hotel", "transport", "hospital", "testing_site", "residential"]
#: texts a careless reader turns into something else: nulls (pyarrow's and pandas' null markers), numbers
#: (leading zeros, exponents), booleans, dates, CSV's own characters
TRICKY = ["NA", "null", "N/A", "NaN", "nan", "None", "-", "0001", "1e3", "-0", "true", "2022-03-10", "a,b",
          'say "hi"', "G035031", "5269:12363", "人员１", " x y", "#N/A", "0", "''"]
_id_char = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"))
ID = st.one_of(st.sampled_from(TRICKY), st.text(_id_char, min_size=1, max_size=6)).map(str.strip).filter(bool)
#: how a time column is written in CSV
CSV_TIMES = ["offset", "other_offset", "utc_z", "naive_local", "naive_space", "minutes_only"]
#: how a time column is typed in Parquet
PARQUET_TIMES = ["ts_utc", "ts_local_zone", "ts_naive_local", "text_offset", "text_naive"]


@st.composite
def shapes(draw):
    """One way of writing the city: each table's format and options, each time column's form."""
    fmt = {t: draw(st.sampled_from(["csv", "parquet"])) for t in ("persons", "venues", "venue_visits", "cell_dwells")}
    return {
        "format": fmt,
        "bom": draw(st.booleans()), "crlf": draw(st.booleans()), "extra": draw(st.booleans()),
        "shuffle_columns": draw(st.booleans()),
        "times": {c: draw(st.sampled_from(PARQUET_TIMES if fmt[t] == "parquet" else CSV_TIMES))
                  for t, c in (("venue_visits", "enter_at"), ("venue_visits", "leave_at"),
                               ("cell_dwells", "start_at"), ("cell_dwells", "end_at"))},
        "grid": draw(st.sampled_from(["rowcol", "opaque", "latlon", "mixed"])),
        "leave_at": draw(st.sampled_from(["some", "none_column", "all_empty"])),
    }


def make_city(rng: random.Random, person_ids, household_ids, venue_ids, opaque_cells, leave_mode):
    """Persons, venues, visits and dwells as Python values (aware datetimes, a cell per dwell)."""
    n = len(person_ids)
    persons = []
    for i, pid in enumerate(person_ids):
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.85 else None
        p = person(i, household=household_ids[rng.randrange(len(household_ids))], phone=phone)
        p["person_id"], p["_order"] = pid, i
        persons.append(p)
    venues = [venue(vid, rng.choice(KINDS)) for vid in venue_ids]
    kinds = {v["venue_id"]: v["kind"] for v in venues}
    visits, seen = [], set()
    for _ in range(rng.randint(5, 30)):
        s = BASE + timedelta(minutes=rng.randint(0, 5 * 24 * 60))
        leave = s + timedelta(minutes=rng.randint(0, 240)) if leave_mode == "some" and rng.random() < 0.5 else None
        row = (rng.choice(persons)["person_id"], rng.choice(venue_ids), s, leave)
        if row not in seen:
            seen.add(row)
            visits.append(dict(zip(("person_id", "venue_id", "enter_at", "leave_at"), row, strict=True)))
    cells = [grid_id(37.87 + 0.0075 * k, 112.55) for k in range(len(opaque_cells))]
    phones = [p["phone"] for p in persons if p["phone"]] + ["13000000001", "13000000002"]
    dwells, seen = [], set()
    for _ in range(rng.randint(0, 30) if n else 0):
        s = BASE + timedelta(minutes=rng.randint(0, 5 * 24 * 60))
        k = rng.randrange(len(cells))
        row = (rng.choice(phones), k, s, s + timedelta(minutes=rng.randint(1, 300)))
        if row not in seen:
            seen.add(row)
            dwells.append(dict(zip(("phone", "cell", "start_at", "end_at"), row, strict=True)))
    return persons, venues, kinds, visits, dwells, cells


def _csv_time(t: datetime | None, form: str) -> str:
    if t is None:
        return ""
    if form == "offset":
        return t.astimezone(TZ).isoformat()
    if form == "other_offset":   # the same instant in another zone (a partner city's server on UTC-5:30)
        return t.astimezone(timezone(timedelta(hours=-5, minutes=-30))).isoformat()
    if form == "utc_z":
        return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = t.astimezone(TZ).replace(tzinfo=None)
    if form == "naive_local":
        return local.isoformat()
    if form == "naive_space":
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return local.strftime("%Y-%m-%dT%H:%M")   # minutes_only: the generator's times are whole minutes


def _parquet_time(values: list[datetime | None], form: str) -> pa.Array:
    if form == "ts_utc":
        return pa.array([v and v.astimezone(UTC) for v in values], pa.timestamp("us", tz="UTC"))
    if form == "ts_local_zone":
        return pa.array([v and v.astimezone(TZ) for v in values], pa.timestamp("ms", tz="Asia/Shanghai"))
    if form == "ts_naive_local":   # a zoneless typed timestamp: wall-clock time in the deployment's zone
        return pa.array([v and v.astimezone(TZ).replace(tzinfo=None) for v in values], pa.timestamp("us"))
    if form == "text_offset":
        return pa.array([v and v.astimezone(TZ).isoformat() for v in values], pa.string())
    return pa.array([v and v.astimezone(TZ).replace(tzinfo=None).isoformat(sep=" ") for v in values], pa.string())


def _write(folder, table: str, columns: dict[str, list], shape, rng: random.Random) -> None:
    """One table in the shape's format; `columns` holds each column's values (Python values or, for time
    columns, aware datetimes written in the shape's form)."""
    names = list(columns)
    if shape["shuffle_columns"]:
        rng.shuffle(names)
    if shape["extra"]:
        names.insert(rng.randrange(len(names) + 1), "备注 note")
        n = len(next(iter(columns.values()))) if columns else 0
        columns = {**columns, "备注 note": [rng.choice(["", "x,y", 'q"', "备注", "1.5"]) for _ in range(n)]}
    times = shape["times"]
    if shape["format"][table] == "parquet":
        arrays = []
        for name in names:
            values = columns[name]
            if name in times:
                arrays.append(_parquet_time(values, times[name]))
            elif name in ("lat", "lon"):
                arrays.append(pa.array(values, pa.float64()))
            else:
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
        pq.write_table(pa.table(arrays, names=names), folder / f"{table}.parquet")
        return
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if shape["crlf"] else "\n")
    w.writerow(names)
    for i in range(len(columns[names[0]]) if names else 0):
        row = []
        for name in names:
            v = columns[name][i]
            row.append(_csv_time(v, times[name]) if name in times else ("" if v is None else str(v)))
        w.writerow(row)
    data = buf.getvalue().encode("utf-8")
    (folder / f"{table}.csv").write_bytes((b"\xef\xbb\xbf" if shape["bom"] else b"") + data)


def write_shaped(folder, shape, persons, venues, visits, dwells, cells, opaque_cells, rng) -> list[dict]:
    """The city as files in `shape`; returns the dwells as the brute-force tracer sees them (their cell named as
    fangkong will name it: the file's grid id, or the cell computed from lat/lon)."""
    _write(folder, "persons", {c: [p[c] for p in persons] for c in PERSON_COLS}, shape, rng)
    _write(folder, "venues", {c: [v[c] for v in venues] for c in ("venue_id", "name", "kind", "lat", "lon",
                                                                    "community")}, shape, rng)
    vcols = {c: [v[c] for v in visits] for c in ("person_id", "venue_id", "enter_at")}
    if shape["leave_at"] != "none_column":
        vcols["leave_at"] = [v["leave_at"] for v in visits]
    _write(folder, "venue_visits", vcols, shape, rng)
    seen_rows: list[dict] = []
    gids, lats, lons = [], [], []
    for d in dwells:
        mode = shape["grid"] if shape["grid"] != "mixed" else rng.choice(["rowcol", "opaque", "latlon"])
        cell = cells[d["cell"]]
        if mode == "latlon":
            lat, lon = cell_centre(cell)
            gids.append(None)
            lats.append(round(lat, 6))
            lons.append(round(lon, 6))
            name = grid_id(round(lat, 6), round(lon, 6))
        else:
            name = opaque_cells[d["cell"]] if mode == "opaque" else cell
            gids.append(name)
            lats.append(None)
            lons.append(None)
        seen_rows.append({"phone": d["phone"], "grid_id": name, "start_at": d["start_at"], "end_at": d["end_at"]})
    _write(folder, "cell_dwells", {"phone": [d["phone"] for d in dwells], "grid_id": gids, "lat": lats,
                                   "lon": lons, "start_at": [d["start_at"] for d in dwells],
                                   "end_at": [d["end_at"] for d in dwells]}, shape, rng)
    return seen_rows


def _distinct(draw_list):
    return st.lists(ID, min_size=draw_list[0], max_size=draw_list[1], unique=True)


@settings(max_examples=int(os.environ.get("FANGKONG_CONTRACT_EXAMPLES", "15")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, 2**32 - 1), shape=shapes(), person_ids=_distinct((4, 14)),
       household_ids=_distinct((1, 5)), venue_ids=_distinct((1, 4)),
       opaque_cells=_distinct((3, 3)))
@example(seed=1, shape={"format": dict.fromkeys(("persons", "venues", "venue_visits", "cell_dwells"), "csv"),
                        "bom": True, "crlf": True, "extra": True, "shuffle_columns": True,
                        "times": {"enter_at": "utc_z", "leave_at": "other_offset", "start_at": "naive_local",
                                  "end_at": "offset"}, "grid": "opaque", "leave_at": "some"},
         person_ids=["NA", "0001", "null", "人员１", "a,b", 'say "hi"'], household_ids=["N/A", "0"],
         venue_ids=["NaN", "1e3"], opaque_cells=["G035031", "G035032", "5269:12363"])
@example(seed=2, shape={"format": dict.fromkeys(("persons", "venues", "venue_visits", "cell_dwells"), "parquet"),
                        "bom": False, "crlf": False, "extra": True, "shuffle_columns": False,
                        "times": {"enter_at": "ts_naive_local", "leave_at": "ts_utc", "start_at": "ts_local_zone",
                                  "end_at": "ts_naive_local"}, "grid": "mixed", "leave_at": "all_empty"},
         person_ids=["P1", "P2", "P3", "P4", "P5"], household_ids=["H1", "H2"], venue_ids=["V1"],
         opaque_cells=["G035031", "G035032", "G035033"])
def test_every_shape_traces_as_brute_force(env, tmp_path_factory, seed, shape, person_ids, household_ids, venue_ids,
                                           opaque_cells):
    engine = os.environ.get("FANGKONG_CONTRACT_ENGINE", "duckdb")
    _traces_as_brute_force(env.model_copy(update={"engine": engine}), tmp_path_factory.mktemp("shape"), seed, shape,
                           person_ids, household_ids, venue_ids, opaque_cells)


def _all(fmt: str) -> dict:
    return dict.fromkeys(("persons", "venues", "venue_visits", "cell_dwells"), fmt)


#: shapes that always run on PySpark (and through the CLI): each time form, grid form, format and CSV option once
FIXED = {
    "csv-tricky-ids-opaque-grid": dict(
        seed=1, shape={"format": _all("csv"), "bom": True, "crlf": True, "extra": True, "shuffle_columns": True,
                       "times": {"enter_at": "utc_z", "leave_at": "other_offset", "start_at": "naive_local",
                                 "end_at": "offset"}, "grid": "opaque", "leave_at": "some"},
        person_ids=["NA", "0001", "null", "人员１", "a,b", 'say "hi"'], household_ids=["N/A", "0"],
        venue_ids=["NaN", "1e3"], opaque_cells=["G035031", "G035032", "5269:12363"]),
    "parquet-typed-times-mixed-grid": dict(
        seed=2, shape={"format": _all("parquet"), "bom": False, "crlf": False, "extra": True,
                       "shuffle_columns": False,
                       "times": {"enter_at": "ts_naive_local", "leave_at": "ts_utc", "start_at": "ts_local_zone",
                                 "end_at": "ts_naive_local"}, "grid": "mixed", "leave_at": "all_empty"},
        person_ids=["P1", "P2", "P3", "P4", "P5"], household_ids=["H1", "H2"], venue_ids=["V1"],
        opaque_cells=["G035031", "G035032", "G035033"]),
    "mixed-formats-latlon-no-leave": dict(
        seed=7, shape={"format": {"persons": "parquet", "venues": "csv", "venue_visits": "csv",
                                  "cell_dwells": "parquet"}, "bom": False, "crlf": True, "extra": False,
                       "shuffle_columns": True,
                       "times": {"enter_at": "naive_space", "leave_at": "minutes_only", "start_at": "text_offset",
                                 "end_at": "text_naive"}, "grid": "latlon", "leave_at": "none_column"},
        person_ids=["1", "2", "3", "4", "5", "6", "7", "8"], household_ids=["h"], venue_ids=["v1", "v2", "v3"],
        opaque_cells=["c1", "c2", "c3"]),
    "csv-rowcol-grid": dict(
        seed=12, shape={"format": {"persons": "csv", "venues": "parquet", "venue_visits": "parquet",
                                   "cell_dwells": "csv"}, "bom": True, "crlf": False, "extra": True,
                        "shuffle_columns": False,
                        "times": {"enter_at": "ts_utc", "leave_at": "text_offset", "start_at": "utc_z",
                                  "end_at": "minutes_only"}, "grid": "rowcol", "leave_at": "some"},
        person_ids=["甲", "乙", "丙", "丁", "戊", "己", "庚"], household_ids=["H1", "H2", "H3"],
        venue_ids=["V1", "V2"], opaque_cells=["x", "y", "z"]),
}


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)   # the engine reads the lake; the store is not its subject
@pytest.mark.parametrize("name", list(FIXED))
def test_fixed_shapes_trace_as_brute_force_on_pyspark(env, tmp_path, name, java):
    _traces_as_brute_force(env.model_copy(update={"engine": "pyspark"}), tmp_path, **FIXED[name])


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
@pytest.mark.parametrize("engine", ["duckdb", "pyspark"])
def test_a_shape_through_the_commands_traces_as_brute_force(env, tmp_path, monkeypatch, engine, request):
    """`fangkong import FOLDER`, `fangkong case declare`, `fangkong trace --format json`, each a new process as a
    user types them, on a feed in the tricky CSV shape (BOM, CRLF, ids that look like nulls and numbers, opaque
    grid ids, times in three forms)."""
    if engine == "pyspark":
        request.getfixturevalue("java")
    monkeypatch.setenv("FANGKONG_ENGINE", engine)
    _traces_as_brute_force(env, tmp_path, via_cli=True, **FIXED["csv-tricky-ids-opaque-grid"])


@pytest.fixture
def java():
    if shutil.which("java") is None:
        pytest.fail("the PySpark engine needs Java 17+ (`apt-get install openjdk-17-jre-headless`)")


def _fk(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", "from fangkong.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"fangkong {' '.join(map(str, args))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _traces_as_brute_force(settings_, folder, seed, shape, person_ids, household_ids, venue_ids, opaque_cells, *,
                           via_cli: bool = False):
    wipe_records()
    # the per-process venue dwell table is keyed by the venues' count and end ids, which assumes venues are only
    # added; a store emptied and refilled with the same ids but other kinds (this test's examples) must not hit it
    dwell_cache._DWELLS.clear()
    rng = random.Random(seed)
    persons, venues, kinds, visits, dwells, cells = make_city(rng, person_ids, household_ids, venue_ids,
                                                              opaque_cells, shape["leave_at"])
    settings_ = settings_.model_copy(update={"lake": folder / "lake"})
    brute_dwells = write_shaped(folder, shape, persons, venues, visits, dwells, cells, opaque_cells, rng)
    case_p = rng.choice(persons)
    sampled = BASE + timedelta(days=3, hours=rng.randint(0, 23))
    isolated = sampled + timedelta(hours=rng.randint(0, 30))
    now = BASE + timedelta(days=6)
    if via_cli:
        os.environ["FANGKONG_LAKE"] = str(settings_.lake)   # (the env fixture's monkeypatch restores it)
        _fk("import", folder)
        case_no = _fk("case", "declare", case_p["person_id"], "--sampled-at", sampled.isoformat(),
                      "--isolated-at", isolated.isoformat(), "--at", now.isoformat()).strip()
        got = json.loads(_fk("trace", case_no, "--format", "json", "--at", now.isoformat()))
    else:
        results = importer.import_folder(unit_of_work, settings_, folder)
        rejected = [str(e) for r in results for e in r.errors or []]
        assert not rejected, rejected
        assert {r.table: r.rows for r in results} == {"persons": len(persons), "venues": len(venues),
                                                      "venue_visits": len(visits), "cell_dwells": len(dwells)}
        with unit_of_work() as session:
            case = case_service.declare_case(session, case_p["person_id"], sampled_at=sampled,
                                             isolated_at=isolated, now=now)
            got = flows.trace_case(session, settings_, case, now=now).as_json()
    ws = datetime.combine(sampled.date() - timedelta(days=2), datetime.min.time(), tzinfo=TZ)
    want = brute_trace(persons=persons, venues=kinds, visits=visits, dwells=brute_dwells,
                       case_pid=case_p["person_id"], ws=ws, we=isolated, until=max(now, isolated),
                       edition=load_edition(settings_.edition))
    assert_same_risk_persons(got, want)
