"""Benchmark: server time of each page on a 1 000 000-person register with 10 000 risk persons.

Baseline in the same run: the board computed the way a first attempt does it — every risk person
loaded into Python, filtered, sorted and paged there (the peers' slow lists).

    .venv/bin/python bench/pages.py [--persons 1000000] [--risk 10000]

The pages are read as a signed-in admin (a bearer token made for the run). tests/reliability/test_flood.py
runs this at a tiny size (--persons 2000 --risk 100 --repeat 1) in `make test`.

The command-centre pages (/isolation, /testing, /zones, /verify) get their records from bench/ops_data.py:
2 500 isolation rooms, a verification task per risk person, a citywide round of every person in pools of 10
with lab results, 44 zones.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import OUT, machine, page_store, serve_api
from ops_data import build_ops


def build(persons: int, risk: int) -> dict:
    from sqlalchemy import insert

    from fangkong.cases.models import Case
    from fangkong.contacts.models import RiskPerson
    from fangkong.kit.clikit import unit_of_work
    from fangkong.measures.models import Measure, TestTask
    from fangkong.people.models import Person
    from fangkong.protocol.idnumber import make

    rng = random.Random(1)
    base = datetime(2022, 3, 14, 2, tzinfo=UTC)
    with unit_of_work() as s:
        for start in range(0, persons, 50_000):
            s.execute(insert(Person), [
                {"person_id": f"P{i:07d}", "name": "王小明", "phone": f"139{i:08d}", "household_id": f"H{i // 3:07d}",
                 "community": f"1401050{i % 300:05d}", "id_number": make("140105", datetime(1980, 1, 1).date(), i % 999),
                 "sex": "M" if i % 999 % 2 else "F"}
                for i in range(start, min(persons, start + 50_000))])
        for i in (1, 2):
            s.add(Case(id=i, case_no=f"C{i:06d}", person_fk=i, status="asymptomatic", sampled_at=base,
                       declared_at=base + timedelta(hours=5), isolated_at=base + timedelta(hours=4),
                       traced_at=base + timedelta(hours=6), window_start=base - timedelta(days=2),
                       window_end=base + timedelta(hours=4), edition="9"))
        s.flush()
        cats = ["close"] * 1 + ["secondary"] * 8 + ["companion"] * 1
        kinds = {"close": "centralized_isolation", "secondary": "home_isolation", "companion": "health_monitoring"}
        chosen = rng.sample(range(10, persons), risk)
        s.execute(insert(RiskPerson), [
            {"id": n + 1, "case_fk": 1 + n % 2, "who": f"p:P{p:07d}", "person_fk": p + 1, "phone": f"139{p:08d}",
             "category": (c := rng.choice(cats)), "found_category": c,
             "evidence": [{"kind": "venue", "via": "P0000001", "place": "V1", "start": "2022-03-13T12:00:00+08:00",
                           "end": "2022-03-13T12:30:00+08:00"}],
             "first_exposure_at": base - timedelta(days=1), "last_exposure_at": base - timedelta(hours=20),
             "found_at": base + timedelta(hours=6), "placed_deadline_at": base + timedelta(hours=9)}
            for n, p in enumerate(chosen)])
        rows = s.execute(RiskPerson.__table__.select()).mappings().all()
        s.execute(insert(Measure), [
            {"id": r["id"], "person_fk": r["person_fk"], "case_fk": r["case_fk"], "risk_person_fk": r["id"],
             "category": r["category"], "kind": kinds[r["category"]], "place": "home", "status": "active",
             "last_exposure_at": r["last_exposure_at"], "start_at": r["found_at"],
             "phase_end_at": r["found_at"] + timedelta(days=7), "end_at": r["found_at"] + timedelta(days=10),
             "edition": "9"} for r in rows])
        s.execute(insert(TestTask), [
            {"measure_fk": r["id"], "person_fk": r["person_fk"], "due_date": (base + timedelta(days=d)).date(),
             "result": "negative" if d == 0 else "pending"} for r in rows for d in (0, 1, 3)])
        return build_ops(s, persons, base, sampled=persons)


def make_id(district: str, i: int) -> str:
    """The ID number build() gives person i."""
    from fangkong.protocol.idnumber import make

    return make(district, datetime(1980, 1, 1).date(), i % 999)


def _citizen_person(session) -> str:
    from sqlalchemy import select

    from fangkong.measures.models import Measure
    from fangkong.people.models import Person

    return session.scalar(select(Person.person_id).join(Measure, Measure.person_fk == Person.id)
                          .where(Measure.status == "active").order_by(Measure.id).limit(1))


def naive_board(session, page: int = 1) -> int:
    from sqlalchemy import select

    from fangkong.contacts.models import RiskPerson

    rows = [r for r in session.scalars(select(RiskPerson)) if r.category == "secondary"]
    rows.sort(key=lambda r: r.found_at, reverse=True)
    return len([(r.person.person_id, r.case.case_no) for r in rows[(page - 1) * 50: page * 50]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--risk", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=None, help="where the store is built (wiped first)")
    ap.add_argument("--keep", action="store_true",
                    help="reuse the store a previous run built in --dir (migrated to the current head) instead of "
                         "building it again")
    args = ap.parse_args()
    folder = args.dir or OUT / f"pages-{args.persons}-{args.risk}"
    built = folder / "built.txt"
    keep = args.keep and built.exists()
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    page_store(folder)
    import httpx

    from fangkong.auth import service as auth_service
    from fangkong.db.scope import acting_as
    from fangkong.kit.clikit import unit_of_work

    t0 = time.perf_counter()
    if keep:
        ops = built.read_text().strip() + " (kept from an earlier run)"
    else:
        ops = build(args.persons, args.risk)
        with unit_of_work() as s:   # every page needs a signed-in user since the logins came (issue 14)
            with acting_as(s, "bench"):
                auth_service.create_user(s, "bench-admin", role="admin", password="bench-" + "k7P" * 8)
                # /me is the citizen's page: a citizen bound to a risk person under a measure
                auth_service.create_user(s, "bench-citizen", role="citizen", password="bench-" + "k7P" * 8,
                                         person_id=_citizen_person(s))
        built.write_text(f"{ops} in {time.perf_counter() - t0:.0f} s\n")
    with unit_of_work() as s:
        from fangkong.auth.models import User

        tokens = {u.role: auth_service.issue_token(s, u, label="bench", days=1)
                  for u in s.query(User).filter(User.username.in_(["bench-admin", "bench-citizen"]))}
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    citizen = {"Authorization": f"Bearer {tokens['citizen']}"}
    print(f"machine: {machine()}; store: SQLite; built {args.persons:,} persons, {args.risk:,} risk persons, "
          f"measures and 3 tests each, {ops}; build {time.perf_counter() - t0:.0f} s")
    srv, base_url = serve_api()
    pages = ["/?day=2022-03-14", "/risk-persons", "/risk-persons?category=secondary&page=40",
             "/risk-persons?community=140105000007&sort=deadline", "/risk-persons?overdue=true",
             "/cases/C000001", "/cases/C000001?category=secondary&page=20", "/bulletin?day=2022-03-14",
             "/bulletin.xlsx?day=2022-03-14", "/api/risk-persons?limit=100&offset=5000", "/api/measures?limit=100",
             "/isolation", "/testing", "/testing/progress?round=R1", "/testing/progress?round=R1&page=5", "/zones",
             "/zones?status=approved&level=sealed",
             "/verify", "/verify?community=140105000007", "/verify?community=140105000007&page=2",
             # issue 25's work views: search (name, phone, ID number, person id), the case list, the SLA board,
             # the follow-up, the reviews, the jobs, the hospitals, a past day, the citizen's own page
             "/search?q=王小明", "/search?q=13900123456", f"/search?q={make_id('140105', 123)}",
             "/search?q=P0123456", "/search?q=C000001", "/cases", "/tasks", "/tasks?overdue=true",
             "/followup?day=2022-03-15", "/people/reviews", "/jobs", "/isolation/hospitals",
             "/risk-persons?day=2022-03-14", "/isolation?day=2022-03-14", "/?day=2022-03-15", "/me"]
    # first = the warm-up request, the first of its page on this server process: nothing cached yet (the round's
    # figures on /testing/progress are kept by the imports, testing/tally.py; no process keeps them)
    print(f"{'page':58} {'median ms':>10} {'max ms':>8} {'first ms':>9}")
    worst, failed = 0.0, []
    with httpx.Client(base_url=base_url, timeout=120, headers=auth) as client:
        for url in pages:
            t = time.perf_counter()
            client.headers.update(citizen if url.startswith("/me") else auth)
            client.get(url)  # warm
            first = (time.perf_counter() - t) * 1000
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:   # said on its line (a timeout is 503); the run fails at its end
                    failed.append((url, r.status_code))
            worst = max(worst, statistics.median(times))
            bad = {c for u, c in failed if u == url}
            print(f"{url:58} {statistics.median(times):10.0f} {max(times):8.0f} {first:9.0f}"
                  + (f"  status {', '.join(map(str, sorted(bad)))}" if bad else ""))
    with unit_of_work() as s:
        t = time.perf_counter()
        naive_board(s, page=40)
        naive = (time.perf_counter() - t) * 1000
    with httpx.Client(base_url=base_url, timeout=120, headers=auth) as client:
        t = time.perf_counter()
        client.get("/risk-persons?category=secondary&page=40")
        ours = (time.perf_counter() - t) * 1000
    print(f"slowest page median: {worst:.0f} ms (goal < 300 ms)")
    print(f"board page 40 of secondary contacts: ours {ours:.0f} ms (HTTP, rendered) vs naive load-all-then-filter "
          f"{naive:.0f} ms (no HTTP, no rendering): ratio {naive / ours:.1f}x")
    srv.should_exit = True
    if failed:
        raise SystemExit(f"pages answered other than 200: {failed}")


if __name__ == "__main__":
    main()
