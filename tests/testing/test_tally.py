"""A round's kept figures (testing/tally.py) equal the aggregate counts (testing/progress.py) after every write:
swabs into single and pooled tubes, a person swabbed twice, results, reactive pools and their re-tests, conflicts
and their decision, merges and their undo; both stores. And the page reads them: its first visit counts nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders.city import PERSON_COLS, person, write_csv
from builders.records import wipe_records
from builders.testing import RESULT_COLS, RULE, SAMPLE_COLS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, update
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong import importer
from fangkong.kit.clikit import unit_of_work
from fangkong.people import merge as people_merge
from fangkong.people.models import CommunityPeople, Person, PersonMerge
from fangkong.testing import progress, service, tally
from fangkong.testing.models import ResultConflict, RoundTally, TestingRound

pytestmark = pytest.mark.both_stores

COMMUNITIES = ("140105001001", "140105001002", "140105001003")
POINTS = ("PT1", "PT2", "PT3")
PERSONS = 8
#: persons from this one on carry no ID number, so merges among them are allowed
NO_ID = 5
MAX_EXAMPLES = int(os.environ.get("FANGKONG_TALLY_EXAMPLES", "25"))
T0 = datetime(2022, 3, 14, 0, 0, tzinfo=UTC)


def _persons(folder: Path) -> None:
    rows = [person(i, community=COMMUNITIES[i % 3], **({"id_number": ""} if i >= NO_ID else {}))
            for i in range(1, PERSONS + 1)]
    write_csv(folder / "persons.csv", rows, PERSON_COLS)


def _setup(tmp_path: Path, settings_) -> None:
    folder = tmp_path / "persons"
    _persons(folder)
    assert all(not r.errors for r in importer.import_folder(unit_of_work, settings_, folder))
    with unit_of_work() as s:
        for i, p in enumerate(POINTS):
            service.add_point(s, p, community=COMMUNITIES[i])
        service.add_lab(s, "LAB1", daily_capacity=48_000)
        service.add_lab(s, "LAB2", daily_capacity=48_000)
        day = T0.date()
        service.create_round(s, "R1", rule=RULE, name="一区", kind="zone", start_date=day, end_date=day,
                             point_ids=["PT1", "PT2"], communities=list(COMMUNITIES[:2]))
        service.create_round(s, "R2", rule=RULE, name="全员", kind="mass", start_date=day, end_date=day,
                             point_ids=list(POINTS))


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def _import(tmp_path: Path, settings_, name: str, table: str, rows: list[dict], cols: list[str]) -> None:
    folder = tmp_path / name
    write_csv(folder / f"{table}.csv", rows, cols)
    importer.import_folder(unit_of_work, settings_, folder)


def _check_equal() -> None:
    with unit_of_work() as s:
        for rnd in s.scalars(select(TestingRound).order_by(TestingRound.id)):
            assert tally.progress(s, rnd) == progress.round_progress(s, rnd), rnd.round_id
            assert tally.round_turnaround(s, rnd)[0] == progress.turnaround(s, round_id=rnd.round_id), rnd.round_id


swabs = st.tuples(st.just("swab"), st.sampled_from(["R1", "R2"]), st.sampled_from(POINTS), st.integers(1, 4),
                  st.lists(st.integers(1, PERSONS), min_size=1, max_size=4, unique=True), st.integers(0, 300))
results = st.tuples(st.just("result"), st.integers(1, 4),
                    st.sampled_from(["negative", "negative", "positive", "weak_positive", "invalid", "suspected"]),
                    st.sampled_from(["LAB1", "LAB2"]), st.integers(1, 40), st.lists(st.integers(1, 6), max_size=3))
resolves = st.tuples(st.just("resolve"), st.sampled_from(["negative", "positive"]))
merges = st.tuples(st.just("merge"), st.integers(NO_ID, PERSONS), st.integers(NO_ID, PERSONS))
unmerges = st.tuples(st.just("unmerge"))
events = st.lists(st.one_of(swabs, swabs, results, results, resolves, merges, merges, unmerges), min_size=1,
                  max_size=10)


def _apply(ev: tuple, tmp_path: Path, settings_, n: int) -> None:
    kind = ev[0]
    if kind == "swab":
        _, rnd, point, tube, people, minutes = ev
        at = T0 + timedelta(hours=8, minutes=minutes)
        rows = [{"tube_id": f"T{tube}", "person_id": f"P{i:05d}", "sampled_at": _iso(at), "point_id": point,
                 "round_id": rnd} for i in people]
        _import(tmp_path, settings_, f"e{n}", "samples", rows, SAMPLE_COLS)
    elif kind == "result":
        _, tube, res, lab, hours, *more = ev
        received = T0 + timedelta(hours=14)
        # more tubes in the same file: negative, but for a tube named twice (a conflict within the file)
        rows = [{"tube_id": f"T{t}", "result": res if t == tube else "negative", "lab_id": lab,
                 "received_at": _iso(received), "tested_at": _iso(received + timedelta(hours=hours / 10)),
                 "reported_at": _iso(received + timedelta(hours=hours))} for t in [tube, *(more[0] if more else [])]]
        _import(tmp_path, settings_, f"e{n}", "lab_results", rows, RESULT_COLS)
    elif kind == "resolve":
        with unit_of_work() as s:
            c = s.scalar(select(ResultConflict).where(ResultConflict.status == "open").order_by(ResultConflict.id))
            if c is not None:
                service.resolve_conflict(s, c.id, result=ev[1], rule=RULE, edition="9",
                                         tz=settings_.zone, now=T0 + timedelta(days=2))
    elif kind == "merge":
        with unit_of_work() as s:
            a, b = (s.scalar(select(Person).where(Person.person_id == f"P{i:05d}")) for i in ev[1:])
            if a is not None and b is not None and a.id != b.id:
                people_merge.merge(s, a, b, reason="same person", now=T0 + timedelta(days=1))
    elif kind == "unmerge":
        with unit_of_work() as s:
            m = s.scalar(select(PersonMerge).where(PersonMerge.undone_at.is_(None)).order_by(PersonMerge.id.desc()))
            if m is not None:
                people_merge.unmerge(s, m, now=T0 + timedelta(days=1))


@settings(max_examples=MAX_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(evs=events)
def test_kept_figures_equal_the_counts_after_every_write(env, tmp_path_factory, evs):
    wipe_records()
    tmp_path = tmp_path_factory.mktemp("tally")
    _setup(tmp_path, env)
    _check_equal()
    for n, ev in enumerate(evs):
        _apply(ev, tmp_path, env, n)
        _check_equal()


def test_a_pool_its_retests_and_a_person_swabbed_twice(env, tmp_path):
    """Fixed: a reactive pool of three, its three single re-tests (one positive), and a person swabbed again at
    another point: distinct people, tubes and reactive people per point, community and in total."""
    _setup(tmp_path, env)
    pool = [("swab", "R1", "PT1", 1, [1, 2, 4], 10)]
    retests = [("swab", "R1", "PT2", 2 + k, [p], 100) for k, p in enumerate((1, 2, 4))]
    evs = [*pool, ("result", 1, "positive", "LAB1", 5), *retests, ("result", 2, "negative", "LAB1", 3),
           ("result", 3, "positive", "LAB2", 7), ("result", 4, "negative", "LAB2", 2)]
    for n, ev in enumerate(evs):
        _apply(ev, tmp_path, env, n)
    _check_equal()
    with unit_of_work() as s:
        p = tally.progress(s, service.get_round(s, "R1"))
    assert (p["sampled"], p["tubes"], p["results_in"], p["reactive_tubes"], p["reactive_people"]) == (3, 4, 3, 2, 3)
    assert {x["point_id"]: x["sampled"] for x in p["points"]} == {"PT1": 3, "PT2": 3}
    assert p["expected"] == 5 and p["not_sampled"] == 5 - 2  # person 2 lives outside the round's area


def test_the_recount_job_repairs_drift(env, tmp_path):
    _setup(tmp_path, env)
    for n, ev in enumerate([("swab", "R2", "PT3", 1, [1, 2, 3], 0), ("result", 1, "negative", "LAB1", 4)]):
        _apply(ev, tmp_path, env, n)
    with unit_of_work() as s:
        s.execute(update(RoundTally).values(sampled=RoundTally.sampled + 5))
        s.execute(update(CommunityPeople).values(people=0))
    with unit_of_work() as s:
        got = tally.recount_all(s, now=T0)
    assert got["rounds"] == 2 and got["repaired"] > 0
    _check_equal()
    with unit_of_work() as s:
        assert tally.recount_all(s, now=T0)["repaired"] == 0


def test_the_page_reads_the_kept_figures_and_counts_nothing(server, env, tmp_path):  # noqa: F811
    """The fragment's first visit (a fresh process has nothing cached): no count over samples, persons or results."""
    from fangkong.db.core import get_engine

    _setup(tmp_path, env)
    for n, ev in enumerate([("swab", "R1", "PT1", 1, [1, 2, 4, 5], 0), ("result", 1, "positive", "LAB1", 6)]):
        _apply(ev, tmp_path, env, n)
    seen: list[str] = []

    def spy(conn, cursor, statement, *args):
        seen.append(" ".join(statement.lower().split()))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", spy)
    try:
        r = server.get("/testing/progress", params={"round": "R1", "lang": "en"})
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert r.status_code == 200, r.text[:500]
    assert '<div class="value late">4</div>' in r.text  # reactive people of the positive pool
    assert "turnaround counted at" in r.text
    assert not [q for q in seen if "count(distinct" in q and ("from sample" in q or "lab_result" in q)]
    assert not [q for q in seen if "from person" in q and "group by" in q]


@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_two_results_imports_at_once_on_postgresql_keep_the_rows_exact(env, tmp_path):
    """Two results imports for one person's two tubes at the same time: the second waits for the first's commit
    (the round's row locked) and sees its result, so the person is not added twice to the people with a result."""
    import threading
    import time

    from fangkong.db.core import session_scope

    _setup(tmp_path, env)
    for n, ev in enumerate([("swab", "R1", "PT1", 1, [1], 0), ("swab", "R1", "PT1", 2, [1, 4], 30)]):
        _apply(ev, tmp_path, env, n)
    paths = {}
    for tube in (1, 2):
        received = T0 + timedelta(hours=14)
        write_csv(tmp_path / f"r{tube}" / "lab_results.csv", [{
            "tube_id": f"T{tube}", "result": "positive", "lab_id": "LAB1", "received_at": _iso(received),
            "tested_at": _iso(received + timedelta(hours=1)), "reported_at": _iso(received + timedelta(hours=2))}],
            RESULT_COLS)
        paths[tube] = tmp_path / f"r{tube}" / "lab_results.csv"
    done = []

    def second():
        with session_scope() as s:
            importer.import_table(s, env, "lab_results", paths[2])
        done.append(time.monotonic())

    with session_scope() as s:
        importer.import_table(s, env, "lab_results", paths[1])
        other = threading.Thread(target=second)
        other.start()
        time.sleep(1.5)
        first_commit = time.monotonic()
    other.join(60)
    assert done and done[0] >= first_commit   # the second import waited for the first
    _check_equal()
    with unit_of_work() as s:
        p = tally.progress(s, service.get_round(s, "R1"))
    assert (p["sampled"], p["results_in"], p["reactive_people"]) == (2, 2, 2)


def test_the_recount_command_and_job(env, tmp_path):
    from clihelp import fk

    from fangkong.jobs.registry import by_name

    _setup(tmp_path, env)
    _apply(("swab", "R1", "PT1", 1, [1, 4], 0), tmp_path, env, 0)
    with unit_of_work() as s:
        s.execute(update(RoundTally).values(tubes=9))
    r = fk("testing", "recount")
    assert r.exit_code == 0 and "2 rounds counted again, 2 rows repaired" in " ".join(r.output.split()), r.output
    (job,) = by_name(["testing.recount"])
    assert job.run(env, T0) == {"rounds": 2, "repaired": 0}
    _check_equal()


def test_a_writer_of_one_jurisdiction_keeps_the_whole_rounds_rows(env, tmp_path):
    """Kept rows are counted over the whole store whoever writes (a count cut to the writer's jurisdiction would be
    stored for everyone); a reader of one jurisdiction gets its own people's figures, counted."""
    from fangkong.db.scope import SCOPE_KEY

    _setup(tmp_path, env)
    _apply(("swab", "R2", "PT1", 1, [1, 2, 3], 0), tmp_path, env, 0)
    write_csv(tmp_path / "r" / "lab_results.csv", [{
        "tube_id": "T1", "result": "positive", "lab_id": "LAB1", "received_at": _iso(T0 + timedelta(hours=9)),
        "tested_at": _iso(T0 + timedelta(hours=10)), "reported_at": _iso(T0 + timedelta(hours=11))}], RESULT_COLS)
    write_csv(tmp_path / "s" / "samples.csv", [{"tube_id": "T2", "person_id": "P00005", "sampled_at": _iso(T0),
                                                "point_id": "PT2", "round_id": "R2"}], SAMPLE_COLS)
    with unit_of_work() as s:
        s.info[SCOPE_KEY] = COMMUNITIES[1]   # a writer of one community
        importer.import_table(s, env, "lab_results", tmp_path / "r" / "lab_results.csv")
        importer.import_table(s, env, "samples", tmp_path / "s" / "samples.csv")
    _check_equal()
    with unit_of_work() as s:
        s.info[SCOPE_KEY] = COMMUNITIES[1]
        rnd = service.get_round(s, "R2")
        assert tally.progress(s, rnd) == progress.round_progress(s, rnd)
        assert tally.progress(s, rnd)["sampled"] == 1   # P00001 of the community's P00001, P00004, P00007
