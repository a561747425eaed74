"""`fangkong import` of samples and lab_results: bad input with file and line, idempotent, atomic, --strict."""

from __future__ import annotations

import pytest
from builders.testing import persons_file, pooled, result, results_file, samples_file, setup_round, swab
from clihelp import fk
from sqlalchemy import func, select

from fangkong.kit.clikit import unit_of_work
from fangkong.testing.models import LabResult, ResultConflict, Sample, Tube

pytestmark = pytest.mark.both_stores


def count(model) -> int:
    with unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model))


def tubes() -> dict[str, tuple[str, int]]:
    with unit_of_work() as s:
        return {t.tube_id: (t.kind, t.members) for t in s.scalars(select(Tube))}


def stored_results() -> dict[str, str]:
    with unit_of_work() as s:
        return {tid: r for tid, r in s.execute(select(Tube.tube_id, LabResult.result).join(LabResult))}


def imported(tmp_path, name: str, rows: list[dict], *args: str):
    folder = tmp_path / name
    (samples_file if name.startswith("s") else results_file)(folder, rows)
    return fk("import", folder, *args)


def test_samples_build_pooled_and_single_tubes_and_import_twice_changes_nothing(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    rows = pooled(15) + [swab("S1", 16)]
    r = imported(tmp_path, "s1", rows)
    assert r.exit_code == 0, r.output
    assert tubes() == {"T1": ("pool", 10), "T2": ("pool", 5), "S1": ("single", 1)}
    r = imported(tmp_path, "s1", rows)
    assert r.exit_code == 0 and count(Sample) == 16
    assert tubes()["T2"] == ("pool", 5)


def test_sample_for_an_unknown_person_and_other_bad_rows(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    rows = [swab("T1", 1), swab("T1", 99), {**swab("T1", 2), "sampled_at": "yesterday"},
            {**swab("T3", 3), "round_id": "R9"}, {**swab("T4", 4), "point_id": "PX"}, swab("T1", 1, "2022-03-14T09:00")]
    r = imported(tmp_path, "s1", rows)
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "samples.csv:3: unknown person P00099" in out
    assert "samples.csv:4: sampled_at yesterday is not an ISO 8601 time" in out
    assert "samples.csv:5: unknown round R9" in out
    assert "samples.csv:6: unknown sampling point PX" in out
    assert "samples.csv:7: person P00001 swabbed twice into tube T1 at different times (first at line 2)" in out
    assert count(Sample) == 1  # the good row landed


def test_a_pool_larger_than_the_validated_maximum_is_rejected(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p", 25).parent).exit_code == 0
    setup_round()
    r = imported(tmp_path, "s1", pooled(21, k=21))
    assert r.exit_code == 1 and "more than 20 swabs" in r.output
    assert count(Tube) == 0


def test_strict_commits_nothing_from_a_file_with_a_bad_row(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    r = imported(tmp_path, "s1", pooled(10) + [swab("T9", 77)], "--strict")
    assert r.exit_code == 1 and "no (--strict)" in r.output
    assert count(Tube) == 0 and count(Sample) == 0


def _sampled(tmp_path, n=20):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    assert imported(tmp_path, "s1", pooled(n)).exit_code == 0


def test_results_import_twice_changes_nothing(env, tmp_path):
    _sampled(tmp_path)
    rows = [result("T1"), result("T2", ct_orf1ab="41", ct_n="")]
    assert imported(tmp_path, "r1", rows).exit_code == 0
    assert stored_results() == {"T1": "negative", "T2": "negative"}
    r = imported(tmp_path, "r1", rows)
    assert r.exit_code == 0 and count(LabResult) == 2


def test_result_for_an_unknown_tube_and_reported_before_sampling(env, tmp_path):
    _sampled(tmp_path)
    rows = [result("T1"), result("NOPE"), result("T2", reported="2022-03-14T07:00", received_at="", tested_at="")]
    r = imported(tmp_path, "r1", rows)
    out = " ".join(r.output.split())
    assert r.exit_code == 1
    assert "lab_results.csv:3: result for an unknown tube NOPE" in out
    assert "lab_results.csv:4: tube T2: reported_at" in out and "is before the tube was sampled" in out
    assert stored_results() == {"T1": "negative"}


def test_bad_result_rows(env, tmp_path):
    _sampled(tmp_path)
    rows = [result("T1", "maybe"), result("T2", ct_orf1ab="abc"), result("T1", reported="2022-03-14T10:00"),
            result("T2", lab_id="LABX"), result("T2", reported="")]
    r = imported(tmp_path, "r1", rows)
    out = " ".join(r.output.split())
    assert "lab_results.csv:2: result maybe is not one of negative, positive, suspected, weak_positive, invalid" in out
    assert "lab_results.csv:3: ct_orf1ab abc is not a Ct value" in out
    assert "lab_results.csv:4: reported_at is before tested_at" in out
    assert "lab_results.csv:5: unknown lab LABX" in out
    assert "lab_results.csv:6: reported_at is empty" in out
    assert count(LabResult) == 0


def test_missing_required_column_rejects_the_file(env, tmp_path):
    _sampled(tmp_path)
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "lab_results.csv").write_text("tube_id,result\nT1,negative\n", encoding="utf-8")
    r = fk("import", folder)
    assert r.exit_code == 1 and "missing required column(s): reported_at" in r.output


def test_a_tube_with_two_different_results_is_a_conflict_never_overwritten(env, tmp_path):
    _sampled(tmp_path)
    assert imported(tmp_path, "r1", [result("T1")]).exit_code == 0
    r = imported(tmp_path, "r2", [result("T1", "positive"), result("T2"), result("T2", "invalid")])
    out = " ".join(r.output.split())
    assert r.exit_code == 1
    assert "lab_results.csv:2: tube T1 already has result negative, this row says positive" in out
    assert "tube T2 has different results in this file (lines 3, 4)" in out
    assert stored_results() == {"T1": "negative"}
    with unit_of_work() as s:
        conflicts = {(c.tube.tube_id, c.stored_result, c.new_result) for c in s.scalars(select(ResultConflict))}
    assert conflicts == {("T1", "negative", "positive"), ("T2", None, "negative"), ("T2", None, "invalid")}
    imported(tmp_path, "r2", [result("T1", "positive"), result("T2"), result("T2", "invalid")])
    assert count(ResultConflict) == 3  # flagged once, however often the file comes in


def test_same_result_twice_in_a_file_is_kept_once(env, tmp_path):
    _sampled(tmp_path)
    r = imported(tmp_path, "r1", [result("T1"), result("T1")])
    assert r.exit_code == 0 and count(LabResult) == 1


def test_parquet_results_with_timestamps(env, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    _sampled(tmp_path)
    folder = tmp_path / "rp"
    folder.mkdir()
    ts = pa.array([1647230400000000], pa.timestamp("us", tz="UTC"))  # 2022-03-14 04:00 UTC = 12:00 local
    pq.write_table(pa.table({"tube_id": ["T1"], "result": ["negative"], "ct_orf1ab": pa.array([None], pa.float64()),
                             "reported_at": ts}), folder / "lab_results.parquet")
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert stored_results() == {"T1": "negative"}
