"""Inbox folders with real files: imported once, archived, refused rows beside the archived file, half-written files
never read, a crash's leftover imported again."""

from __future__ import annotations

import csv
import shutil

import pyarrow.parquet as pq
import pytest
from builders.city import load, person, venue, write_city, write_csv
from sqlalchemy import select

from fangkong.jobs import inbox
from fangkong.jobs.models import InboxFile
from fangkong.kit.clikit import unit_of_work

VISITS = [{"person_id": "P00001", "venue_id": "V1", "enter_at": "2022-03-12T12:00+08:00", "leave_at": ""},
          {"person_id": "P00002", "venue_id": "V1", "enter_at": "2022-03-12T12:10+08:00", "leave_at": ""},
          {"person_id": "P09999", "venue_id": "V1", "enter_at": "2022-03-12T12:20+08:00", "leave_at": ""},
          {"person_id": "P00002", "venue_id": "V1", "enter_at": "yesterday", "leave_at": ""}]


@pytest.fixture
def box(env, tmp_path):
    load(write_city(tmp_path / "city", [person(1), person(2)], [venue("V1")], []))
    settings = env.model_copy(update={"inbox": tmp_path / "inbox", "inbox_settle": 0.0})
    inbox.scan(settings)   # makes the folders
    return settings


def _lake_rows(settings) -> int:
    return sum(pq.read_metadata(p).num_rows for p in (settings.lake / "venue_visits").rglob("*.parquet")
               if "by_person" not in str(p))


def _taken() -> list[InboxFile]:
    with unit_of_work() as s:
        return list(s.scalars(select(InboxFile).order_by(InboxFile.id)))


@pytest.mark.both_stores
def test_a_dropped_file_is_imported_once_archived_and_its_bad_rows_rejected_beside_it(box, tmp_path):
    folder = box.inbox / "venue_visits"
    part = write_csv(folder / "scans-0312.csv.part", VISITS)
    assert inbox.scan(box)["files"] == 0 and part.exists()   # still being written: never read
    part.rename(folder / "scans-0312.csv")                     # the sender's rename on completion
    assert inbox.scan(box) == {"files": 1, "rejected_rows": 2, "refused_files": 0}
    assert not (folder / "scans-0312.csv").exists()
    (archived,) = (folder / "archive").rglob("scans-0312.csv")
    with (archived.parent / "scans-0312.csv.rejects.csv").open(encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert [(r["line"], r["reason"]) for r in rejects] == [
        ("4", "unknown person P09999"), ("5", "enter_at yesterday is not an ISO 8601 time")]
    assert _lake_rows(box) == 2
    # the same content again, under another name: archived, not imported a second time
    shutil.copy(archived, folder / "again.csv")
    assert inbox.scan(box) == {"files": 0, "rejected_rows": 0, "refused_files": 0, "duplicates": 1}
    assert not (folder / "again.csv").exists() and _lake_rows(box) == 2
    (row,) = _taken()
    assert (row.feed, row.rows, row.inserted, row.rejected, row.error) == ("venue_visits", 4, 2, 2, None)


def test_with_markers_only_a_file_with_its_ready_marker_is_taken(box):
    settings = box.model_copy(update={"inbox_markers": True})
    folder = settings.inbox / "vaccinations"
    write_csv(folder / "jab.csv", [{"person_id": "P00001", "dose": "1", "vaccinated_on": "2021-05-01",
                                    "product": "BBIBP"}])
    assert inbox.scan(settings)["files"] == 0
    (folder / "jab.csv.ready").touch()
    assert inbox.scan(settings)["files"] == 1
    assert not (folder / "jab.csv.ready").exists()
    (row,) = _taken()
    assert (row.feed, row.inserted, row.rejected) == ("vaccinations", 1, 0)


def test_a_refused_file_is_archived_with_its_reason(box):
    folder = box.inbox / "cell_dwells"
    write_csv(folder / "carrier.csv", [{"phone": "13800000001", "start_at": "2022-03-12T08:00"}])
    assert inbox.scan(box) == {"files": 1, "rejected_rows": 0, "refused_files": 1}
    (rejects,) = (folder / "archive").rglob("carrier.csv.rejects.csv")
    assert "missing required column(s): end_at" in rejects.read_text(encoding="utf-8")
    assert "end_at" in _taken()[0].error


def test_a_file_left_in_processing_by_a_crash_is_imported_on_the_next_pass(box):
    folder = box.inbox / "venue_visits"
    write_csv(folder / ".processing" / "scans.csv", VISITS[:2])
    assert inbox.scan(box)["files"] == 1 and _lake_rows(box) == 2
    assert not list((folder / ".processing").iterdir())
