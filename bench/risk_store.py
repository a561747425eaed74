"""Storing a bad day's risk persons: the rows of 100 traced cases (≈ 50 000 each in a dense city, most of them
companions) written the way `fangkong trace --all-new` writes them (contacts.service._store: Arrow rows,
executemany on SQLite, COPY on PostgreSQL, 5 cases per batch, one transaction), on both stores, against the
ORM (one RiskPerson object per row, session.add_all) on one case's rows in the same run, scaled to the total.

    .venv/bin/python bench/risk_store.py                              # 100 cases × 50 000 rows
    .venv/bin/python bench/risk_store.py --cases 20 --per-case 20000 --store sqlite

Needs a PostgreSQL server for --store postgres (FANGKONG_TEST_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test); a throw-away database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mb  # noqa: E402

PG = os.environ.get("FANGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2022, 3, 14, 10, tzinfo=UTC)


def _point(url: str, lake: Path) -> None:
    from fangkong.db.core import get_engine
    from fangkong.settings import get_settings

    os.environ["FANGKONG_DATABASE_URL"] = url
    os.environ["FANGKONG_LAKE"] = str(lake)
    get_settings.cache_clear()
    get_engine.cache_clear()


def _cases(folder: Path, n: int) -> list:
    """n declared cases over a small generated register."""
    from fangkong.cases import service as case_service
    from fangkong.kit.clikit import unit_of_work
    from fangkong.lake.files import stream_table_file
    from fangkong.people import service as people_service
    from fangkong.people.models import PERSON_FIELDS
    from fangkong.sim.city import generate_city

    generate_city(folder / "city", persons=max(1000, 2 * n), days=1)
    tf = stream_table_file(folder / "city" / "persons.csv", required={"person_id"}, known=set(PERSON_FIELDS))
    with unit_of_work() as session:
        people_service.import_persons(session, tf)
    ids = []
    with unit_of_work() as session:
        for i in range(n):
            at = NOW - timedelta(days=1, minutes=i)
            ids.append(case_service.declare_case(session, f"P{i + 1:07d}", sampled_at=at, isolated_at=at,
                                                 now=NOW).id)
    return ids


def _rows(case_fk: int, n: int, rng: np.random.Generator) -> pa.Table:
    """One case's risk persons as contacts.assemble.risk_rows gives them: phones with no registered holder,
    two pieces of grid evidence each (≈ 300 bytes of JSON)."""
    distinct = rng.permutation(np.unique(rng.integers(0, 10**9, n + n // 10 + 100)))[:n]
    phones = np.char.add("13", np.char.zfill(distinct.astype(str), 9))
    s = 1646870400 + rng.integers(0, 14 * 86400, n)
    piece = ('{"kind":"grid","via":"P0000001","place":"2210:4521","start":"2022-03-10T10:00:00+08:00",'
             '"end":"2022-03-10T11:30:00+08:00"}')
    evidence = "[" + piece + "," + piece + "]"
    return pa.table({
        "key": pa.array([f"C{case_fk}"] * n), "case_fk": pa.array([case_fk] * n, pa.int64()),
        "who": pa.array(np.char.add("t:", phones).tolist(), pa.string()), "person_fk": pa.nulls(n, pa.int64()),
        "phone": pa.array(phones.tolist(), pa.string()), "rank": pa.array([2] * n, pa.int8()),
        "found_rank": pa.array([2] * n, pa.int8()), "override_reason": pa.nulls(n, pa.string()),
        "evidence": pa.array([evidence] * n, pa.string()), "first_s": pa.array(s, pa.int64()),
        "last_s": pa.array(s + 5400, pa.int64())})


def _orm(case_fk: int, rows: pa.Table) -> float:
    """The first attempt: one RiskPerson per row through the session."""
    from fangkong.contacts.models import RiskPerson
    from fangkong.kit.clikit import unit_of_work

    t0 = time.perf_counter()
    with unit_of_work() as session:
        session.add_all(RiskPerson(case_fk=case_fk, who=w, person_fk=None, phone=p, category="companion",
                                   found_category="companion", evidence=json.loads(e),
                                   first_exposure_at=datetime.fromtimestamp(f, UTC),
                                   last_exposure_at=datetime.fromtimestamp(last, UTC), found_at=NOW)
                        for w, p, e, f, last in zip(*(rows[c].to_pylist() for c in
                                                      ("who", "phone", "evidence", "first_s", "last_s")),
                                                    strict=True))
    return time.perf_counter() - t0


def _measure(url: str, folder: Path, cases: int, per_case: int) -> dict:
    from sqlalchemy import delete, func, select

    from fangkong.contacts import service as contacts
    from fangkong.contacts.models import RiskPerson
    from fangkong.db.migrate import upgrade
    from fangkong.kit.clikit import unit_of_work

    upgrade(url)
    _point(url, folder / "lake")
    ids = _cases(folder, cases + 1)
    rng = np.random.default_rng(7)
    probe = _rows(ids[-1], per_case, rng)
    orm_s = _orm(ids[-1], probe)
    with unit_of_work() as session:
        session.execute(delete(RiskPerson).where(RiskPerson.case_fk == ids[-1]))
    batches = []
    t0 = time.perf_counter()
    with unit_of_work() as session:
        for i in range(0, cases, contacts._ASSEMBLE_CASES):
            part = ids[i:min(i + contacts._ASSEMBLE_CASES, cases)]  # ids[cases] is the ORM probe's case
            rows = pa.concat_tables([_rows(c, per_case, rng) for c in part])
            b0 = time.perf_counter()
            contacts._store(session, rows, NOW)  # new cases: no earlier rows to delete
            batches.append(time.perf_counter() - b0)
    total = time.perf_counter() - t0
    with unit_of_work() as session:
        stored = session.scalar(select(func.count(RiskPerson.id)))
    return {"total": total, "store": sum(batches), "first": batches[0], "last": batches[-1], "stored": stored,
            "orm": orm_s * cases}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--per-case", type=int, default=50_000)
    ap.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    args = ap.parse_args()
    n = args.cases * args.per_case
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}; {args.cases} cases × "
          f"{args.per_case:,} risk persons = {n:,} rows")
    for store in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
        with tempfile.TemporaryDirectory(dir=os.environ.get("FANGKONG_BENCH_TMP")) as tmp:
            admin = name = None
            if store == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'fangkong.db'}"
            else:
                from sqlalchemy import create_engine, text

                name = f"fangkong_bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(PG, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                url = PG.rsplit("/", 1)[0] + f"/{name}"
            try:
                r = _measure(url, Path(tmp), args.cases, args.per_case)
            finally:
                if admin is not None:
                    from fangkong.db.core import get_engine

                    get_engine().dispose()
                    get_engine.cache_clear()
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
        print(f"{store}: {r['stored']:,} rows stored in {r['total']:.1f} s with the commit "
              f"({n / r['total']:,.0f} rows/s; writing {r['store']:.1f} s, first batch of "
              f"{5 * args.per_case:,} {r['first']:.2f} s, last {r['last']:.2f} s); ORM, one case scaled: "
              f"{r['orm']:.0f} s = {r['orm'] / r['total']:.1f}x; peak RSS {peak_rss_mb():,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
