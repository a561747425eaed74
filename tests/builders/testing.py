"""Testing-round data for tests: points, labs, a round, and FORMATS.md samples / lab_results files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from builders.city import PERSON_COLS, person, write_csv
from fangkong.kit.clikit import unit_of_work
from fangkong.protocol.edition import load_edition
from fangkong.protocol.pooling import testing_rule
from fangkong.testing import service

RULE = testing_rule(load_edition("9"))
RESULT_COLS = ["tube_id", "result", "ct_orf1ab", "ct_n", "lab_id", "received_at", "tested_at", "reported_at"]
SAMPLE_COLS = ["tube_id", "person_id", "sampled_at", "point_id", "round_id"]


def persons_file(folder: Path, n: int = 20) -> Path:
    return write_csv(folder / "persons.csv", [person(i) for i in range(1, n + 1)], PERSON_COLS)


def setup_round(round_id: str = "R1", pool_size: int = 10) -> None:
    with unit_of_work() as s:
        service.add_point(s, "PT1", community="140105001001", tables=4)
        service.add_lab(s, "LAB1", daily_capacity=48_000)
        service.create_round(s, round_id, rule=RULE, name="全员核酸", kind="mass", start_date=date(2022, 3, 14),
                             end_date=date(2022, 3, 14), point_ids=["PT1"], pool_size=pool_size)


def swab(tube: str, i: int, at: str = "2022-03-14T08:00", round_id: str | None = "R1") -> dict:
    return {"tube_id": tube, "person_id": f"P{i:05d}", "sampled_at": at, "point_id": "PT1" if round_id else None,
            "round_id": round_id}


def pooled(n: int, k: int = 10, at: str = "2022-03-14T08:00") -> list[dict]:
    """Persons 1..n in tubes T1, T2, … of k swabs each."""
    return [swab(f"T{(i - 1) // k + 1}", i, at) for i in range(1, n + 1)]


def result(tube: str, res: str = "negative", reported: str = "2022-03-14T12:00", **kw) -> dict:
    row = {"tube_id": tube, "result": res, "lab_id": "LAB1", "received_at": "2022-03-14T09:00",
           "tested_at": "2022-03-14T10:30", "reported_at": reported}
    row.update(kw)
    return row


def samples_file(folder: Path, rows: list[dict]) -> Path:
    return write_csv(folder / "samples.csv", rows, SAMPLE_COLS)


def results_file(folder: Path, rows: list[dict]) -> Path:
    return write_csv(folder / "lab_results.csv", rows, RESULT_COLS)
