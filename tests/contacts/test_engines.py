"""The same Ibis queries on DuckDB and PySpark give identical traces, equal to brute force."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta

import pytest
from builders.city import write_city
from contacts.brute import brute_trace
from contacts.test_trace_exact import BASE, TZ, _as_csv_rows, random_city

from fangkong import flows, importer
from fangkong.cases import service as case_service
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def java():
    if shutil.which("java") is None:
        pytest.fail("the PySpark engine test needs Java 17+ (`apt-get install openjdk-17-jre-headless`)")


@pytest.mark.parametrize(("seed", "min_cell_hours"), [(11, 0.0), (12, 0.0), (13, 0.0), (14, 0.0), (16, 4.5)])
def test_duckdb_and_pyspark_agree(sqlite_env, tmp_path, monkeypatch, seed, min_cell_hours):
    """min_cell_hours > 0: the companion noise filter on (its cell-hours query on both engines; seed 16 has a
    companion that it removes). Both engines read the Parquet files the Delta log's statistics pick."""
    rng = random.Random(seed)
    persons, venues, kinds, visits, dwells = random_city(rng, f"X{seed}")
    v_rows, d_rows = _as_csv_rows(visits, dwells)
    write_city(tmp_path / "city", persons, venues, v_rows, d_rows)
    importer.import_folder(unit_of_work, sqlite_env, tmp_path / "city")
    busiest = max(persons, key=lambda p: sum(v["person_id"] == p["person_id"] for v in visits))
    case_p = busiest
    sampled = BASE + timedelta(days=3, hours=9)
    isolated = sampled + timedelta(hours=10)
    now = BASE + timedelta(days=6)
    docs = {}
    with unit_of_work() as session:
        case = case_service.declare_case(session, case_p["person_id"], sampled_at=sampled, isolated_at=isolated,
                                         now=now)
        for engine in ("duckdb", "pyspark"):
            settings = sqlite_env.model_copy(update={"engine": engine, "companion_min_cell_hours": min_cell_hours})
            docs[engine] = flows.trace_case(session, settings, case, now=now).as_json()
    assert docs["duckdb"] == docs["pyspark"]
    assert docs["duckdb"]["risk_persons"], "the random city should give the case someone to find"
    ws = datetime.combine(sampled.date() - timedelta(days=2), datetime.min.time(), tzinfo=TZ)
    want = brute_trace(persons=persons, venues=kinds, visits=visits, dwells=dwells, case_pid=case_p["person_id"],
                       ws=ws, we=isolated, until=now, edition=load_edition("9"), min_cell_hours=min_cell_hours)
    have = {(r["person_id"] or "tel:" + r["phone"]): r["category"] for r in docs["pyspark"]["risk_persons"]}
    assert have == {k: v[0] for k, v in want.items()}
