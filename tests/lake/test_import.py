"""`fangkong import`: FORMATS.md exactly, bad input with file and line, idempotent, atomic per file."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from builders.city import person, venue, write_city, write_csv
from clihelp import fk
from sqlalchemy import func, select

from fangkong.kit.clikit import unit_of_work
from fangkong.lake import store
from fangkong.people.models import Person, Venue


def count_persons() -> int:
    with unit_of_work() as s:
        return s.scalar(select(func.count(Person.id)))


def lake_rows(settings, table: str) -> int:
    files = store.all_files(settings.lake, table)
    return sum(pq.read_metadata(f).num_rows for f in files)


def small_city(folder):
    persons = [person(i, household="H1" if i < 3 else None) for i in range(1, 6)]
    visits = [{"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-10T12:00", "leave_at": "2022-03-10T13:00"},
              {"person_id": "P00002", "venue_id": "V1", "enter_at": "2022-03-10T12:30+08:00", "leave_at": ""}]
    dwells = [{"phone": "13800000001", "lat": 37.87, "lon": 112.55, "start_at": "2022-03-10T14:00",
               "end_at": "2022-03-10T15:00"}]
    return write_city(folder, persons, [venue("V1"), venue("V2", "shop")], visits, dwells)


def test_import_twice_changes_nothing(rollback_env, tmp_path):
    folder = small_city(tmp_path / "city")
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert count_persons() == 5 and lake_rows(rollback_env, "venue_visits") == 2 and lake_rows(rollback_env, "cell_dwells") == 1
    files = store.all_files(rollback_env.lake, "venue_visits")
    r = fk("import", folder)
    assert r.exit_code == 0
    assert count_persons() == 5 and lake_rows(rollback_env, "venue_visits") == 2 and lake_rows(rollback_env, "cell_dwells") == 1
    assert store.all_files(rollback_env.lake, "venue_visits") == files


def test_parquet_input_and_unknown_column_warning(rollback_env, tmp_path):
    folder = small_city(tmp_path / "city")
    (folder / "venue_visits.csv").unlink()
    pq.write_table(pa.table({"person_id": ["P00001"], "venue_id": ["V2"],
                             "enter_at": pa.array([1646900000000000], pa.timestamp("us", tz="UTC")),
                             "leave_at": pa.array([None], pa.timestamp("us", tz="UTC")),
                             "colour": ["x"]}), folder / "venue_visits.parquet")
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert "unknown column(s) ignored: colour" in r.output
    assert lake_rows(rollback_env, "venue_visits") == 1


def test_missing_required_column_rejects_the_file(rollback_env, tmp_path):
    write_csv(tmp_path / "c" / "persons.csv", [{"name": "x"}])
    r = fk("import", tmp_path / "c")
    assert r.exit_code == 1
    assert "persons.csv: missing required column(s): person_id" in r.output
    assert count_persons() == 0


def test_invalid_id_number_is_rejected_with_line(rollback_env, tmp_path):
    rows = [person(1), person(2, id_number="110105194912310021"), person(3)]
    write_csv(tmp_path / "c" / "persons.csv", rows)
    r = fk("import", tmp_path / "c")
    assert r.exit_code == 1
    assert "persons.csv:3: invalid resident ID number" in r.output
    assert count_persons() == 2


def test_strict_commits_nothing_from_a_bad_file(rollback_env, tmp_path):
    rows = [person(1), person(2, id_number="110105194912310021")]
    write_csv(tmp_path / "c" / "persons.csv", rows)
    r = fk("import", tmp_path / "c", "--strict")
    assert r.exit_code == 1 and count_persons() == 0


def test_end_before_start_and_unknown_venue(rollback_env, tmp_path):
    folder = small_city(tmp_path / "city")
    write_csv(folder / "venue_visits.csv", [
        {"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-10T12:00", "leave_at": ""},
        {"person_id": "P00001", "venue_id": "NOPE", "enter_at": "2022-03-10T12:00", "leave_at": ""},
        {"person_id": "P00001", "venue_id": "V1", "enter_at": "yesterday", "leave_at": ""},
    ])
    write_csv(folder / "cell_dwells.csv", [
        {"phone": "13800000001", "lat": "37.87", "lon": "112.55", "start_at": "2022-03-10T14:00",
         "end_at": "2022-03-10T13:00"},
        {"phone": "13800000001", "grid_id": "", "lat": "", "lon": "", "start_at": "2022-03-10T14:00",
         "end_at": "2022-03-10T15:00"},
    ])
    r = fk("import", folder)
    assert r.exit_code == 1
    assert "venue_visits.csv:3: unknown venue NOPE" in r.output
    assert "venue_visits.csv:4: enter_at yesterday is not an ISO 8601 time" in r.output
    assert "cell_dwells.csv:2: end_at is not after start_at" in r.output
    assert "cell_dwells.csv:3: neither grid_id nor lat and lon given" in r.output
    assert lake_rows(rollback_env, "venue_visits") == 1 and lake_rows(rollback_env, "cell_dwells") == 0


def test_strict_lake_file_with_a_bad_row_writes_nothing_and_leaves_no_staged_copy(rollback_env, tmp_path):
    """The rows are validated in the same pass that stages them: a bad row under --strict drops the staged copy."""
    folder = small_city(tmp_path / "city")
    write_csv(folder / "venue_visits.csv", [
        {"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-10T12:00", "leave_at": ""},
        {"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-11T12:00", "leave_at": ""},
        {"person_id": "P00001", "venue_id": "NOPE", "enter_at": "2022-03-10T13:00", "leave_at": ""},
    ])
    r = fk("import", folder, "--strict")
    assert r.exit_code == 1
    assert "venue_visits.csv:4: unknown venue NOPE" in r.output
    assert lake_rows(rollback_env, "venue_visits") == 0 and not store.day_dirs(rollback_env.lake, "venue_visits")
    assert not any((rollback_env.lake / ".staging").rglob("*.parquet"))
    r = fk("import", folder)   # without --strict the two good rows go in, each on its day
    assert lake_rows(rollback_env, "venue_visits") == 2 and len(store.day_dirs(rollback_env.lake, "venue_visits")) == 2
    assert not any((rollback_env.lake / ".staging").rglob("*.parquet"))


def test_non_utf8_file(rollback_env, tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "persons.csv").write_bytes("person_id,name\nP1,张三\n".encode("gbk"))
    r = fk("import", tmp_path / "c")
    assert r.exit_code == 1
    assert "persons.csv:2: file is not UTF-8" in r.output
    assert count_persons() == 0


def test_bom_is_accepted(rollback_env, tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "venues.csv").write_bytes("\ufeffvenue_id,kind\nV9,shop\n".encode("utf-8"))
    assert fk("import", tmp_path / "c").exit_code == 0
    with unit_of_work() as s:
        assert s.scalar(select(Venue.kind).where(Venue.venue_id == "V9")) == "shop"


def test_duplicate_person_with_different_data_is_not_overwritten(rollback_env, tmp_path):
    write_csv(tmp_path / "a" / "persons.csv", [person(1)])
    assert fk("import", tmp_path / "a").exit_code == 0
    write_csv(tmp_path / "b" / "persons.csv", [person(1, name="别人"), person(2)])
    r = fk("import", tmp_path / "b")
    assert r.exit_code == 1
    assert "persons.csv:2: person_id 'P00001' already stored with different data (not overwritten)" in r.output
    with unit_of_work() as s:
        assert s.scalar(select(Person.name).where(Person.person_id == "P00001")) == "人1"
    assert count_persons() == 2


def test_duplicate_inside_one_file(rollback_env, tmp_path):
    write_csv(tmp_path / "a" / "persons.csv", [person(1), person(1, name="另一个")])
    r = fk("import", tmp_path / "a")
    assert r.exit_code == 1 and "persons.csv:3: duplicate person_id 'P00001' with different data" in r.output


def test_empty_folder(rollback_env, tmp_path):
    (tmp_path / "empty").mkdir()
    r = fk("import", tmp_path / "empty")
    assert r.exit_code == 1 and "no table file found" in r.output


def test_crash_between_days_converges(rollback_env, tmp_path, monkeypatch):
    """A kill after some days are committed: the re-run commits the rest, no duplicates."""
    folder = small_city(tmp_path / "city")
    write_csv(folder / "venue_visits.csv", [
        {"person_id": "P00001", "venue_id": "V1", "enter_at": f"2022-03-{d:02d}T12:00", "leave_at": ""}
        for d in range(1, 6)])
    real = store.commit_day_rows
    calls = []

    def crash_after_first_day(*a, **k):
        calls.append(a)
        if len(calls) > 1:
            raise KeyboardInterrupt("killed")
        return real(*a, **k)

    monkeypatch.setattr(store, "commit_day_rows", crash_after_first_day)
    try:
        fk("import", folder)
    except KeyboardInterrupt:
        pass
    assert lake_rows(rollback_env, "venue_visits") == 1
    monkeypatch.setattr(store, "commit_day_rows", real)
    assert fk("import", folder).exit_code == 0
    assert lake_rows(rollback_env, "venue_visits") == 5
    assert fk("import", folder).exit_code == 0
    assert lake_rows(rollback_env, "venue_visits") == 5


def test_each_day_staged_for_import_is_dropped_once_committed(rollback_env, tmp_path, monkeypatch):
    """Disk stays bounded by one day's sorting: when a day is committed, the staged copies of the days before
    it are gone (a 10 M-person city's dwells ran out of disk when every day's copy was kept to the end)."""
    folder = small_city(tmp_path / "city")
    visits = [{"person_id": "P00001", "venue_id": "V1", "enter_at": f"2022-03-{d:02d}T12:00",
               "leave_at": f"2022-03-{d:02d}T13:00"} for d in (8, 9, 10, 11)]
    write_csv(folder / "venue_visits.csv", visits)
    seen = []
    commit = store.commit_day_rows

    def spy(lake, table, days, rows, **k):
        incoming = next((lake / ".staging").glob("*/_incoming"))
        seen.append((table, sorted(d.name for d in incoming.glob("day=*"))))
        return commit(lake, table, days, rows, **k)

    monkeypatch.setattr(store, "commit_day_rows", spy)
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert [s for s in seen if s[0] == "venue_visits"] == [
        ("venue_visits", [f"day=2022-03-{d:02d}" for d in range(k, 12)]) for k in (8, 9, 10, 11)]
    assert lake_rows(rollback_env, "venue_visits") == 4
    assert {d.name for d in (rollback_env.lake / ".staging").iterdir()} <= {"spill"}   # DuckDB's spill folder only


def test_a_day_committed_meanwhile_by_another_writer_is_not_stored_twice(rollback_env, tmp_path, monkeypatch):
    """No lock: a scan flush commits the day after the import read it and before the import commits. The
    import's commit then fails on the day's application transaction (store.commit_day_rows) and is made again
    from the flush's version, deduped against its rows: each row once, none lost."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from fangkong.lake import ingest
    from fangkong.lake.append import write_visits

    tz = ZoneInfo("Asia/Shanghai")
    folder = small_city(tmp_path / "city")
    real, raced = ingest.sorted_rows, []

    def racing(con, source, table):
        if table == "venue_visits" and not raced:   # the flush's own rows pass here too: once only
            raced.append(None)
            raced[0] = write_visits(rollback_env.lake, [
                ("P00001", "V1", datetime(2022, 3, 10, 12, 0, tzinfo=tz), datetime(2022, 3, 10, 13, 0, tzinfo=tz)),
                ("P00003", "V2", datetime(2022, 3, 10, 18, 0, tzinfo=tz), None)], "Asia/Shanghai")
        return real(con, source, table)

    monkeypatch.setattr(ingest, "sorted_rows", racing)
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert raced == [2]
    assert lake_rows(rollback_env, "venue_visits") == 3   # the import's two (one of them the flush's too) and the flush's other
    versions = [h for h in store.open_table(rollback_env.lake, "venue_visits", fresh=True).history()
                if h.get("fangkong.writer") == "import"]
    assert len(versions) == 1                    # the import's commit, made again after the flush's: once
