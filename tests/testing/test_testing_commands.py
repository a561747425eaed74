"""`fangkong testing …` as a user types it: planner, points, labs, rounds, progress, turnaround, environment."""

from __future__ import annotations

import pytest
from builders.testing import persons_file, pooled, result, results_file, samples_file, setup_round
from clihelp import fk
from sqlalchemy import select

from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work

pytestmark = pytest.mark.both_stores


def flat(r) -> str:
    return " ".join(r.output.split())


def test_plan_known_values_without_a_store():
    r = fk("testing", "plan", "--persons", 10_000_000, "--prevalence", 0.001, "--points", 4000,
           "--labs", "own:143000,contract:80000", "--pool-size", 10, "--lang", "en")
    assert r.exit_code == 0, r.output
    out = flat(r)
    assert "1,099,551" in out and "1,000,000" in out          # expected tests, first-stage tubes
    assert "4.93" in out                                        # lab-days at 223 000 tubes a day
    assert "NOT met" in out and "lab-days" in out              # over the 24 h target: warned
    r = fk("testing", "plan", "--persons", 20_000, "--prevalence", 0.01, "--points", 8, "--labs", "48000")
    assert r.exit_code == 0 and "11 → 0.196 tests/person" in flat(r) and "met" in flat(r)


@pytest.mark.parametrize("p", ["0", "1", "-0.5", "1.5"])
def test_plan_prevalence_outside_zero_one(p):
    r = fk("testing", "plan", "--persons", 100, "--prevalence", p, "--points", 1, "--labs", "10")
    assert r.exit_code == 1 and "--prevalence must lie strictly between 0 and 1" in flat(r)


def test_plan_bad_labs():
    r = fk("testing", "plan", "--persons", 100, "--prevalence", 0.01, "--points", 1, "--labs", "own:lots")
    assert r.exit_code == 1 and "is not LAB:CAPACITY" in flat(r)


def test_round_with_no_sampling_points_is_refused(env):
    r = fk("testing", "round", "create", "R1", "--start", "2022-03-14")
    assert r.exit_code == 1 and "round R1 has no sampling points" in flat(r)
    r = fk("testing", "round", "create", "R1", "--start", "2022-03-14", "--point", "PX")
    assert r.exit_code == 1 and "unknown sampling point(s) PX" in flat(r)


def test_round_lifecycle_on_the_command_line(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    assert fk("testing", "point", "add", "PT1", "--community", "140105001001", "--tables", 4).exit_code == 0
    assert fk("testing", "lab", "add", "LAB1", "--capacity", 48000).exit_code == 0
    assert fk("testing", "lab", "add", "LAB1", "--capacity", 1).exit_code == 1   # never silently changed
    r = fk("testing", "round", "create", "R1", "--start", "2022-03-14", "--point", "PT1", "--pool-size", 10,
           "--name", "第一轮全员核酸")
    assert r.exit_code == 0, r.output
    with unit_of_work() as s:  # who added them is the command's operator, read from its session
        by = dict(s.execute(select(AuditEntry.action, AuditEntry.actor)
                            .where(AuditEntry.action.startswith("testing."))).all())
    assert set(by) == {"testing.point_add", "testing.lab_add", "testing.round_create"}
    assert all(actor.startswith("cli") for actor in by.values()), by
    assert fk("testing", "round", "create", "R1", "--start", "2022-03-14", "--point", "PT1").exit_code == 1
    assert fk("testing", "round", "create", "R2", "--start", "2022-03-14", "--point", "PT1",
              "--pool-size", 7).exit_code == 1
    folder = tmp_path / "day1"
    samples_file(folder, pooled(15))
    results_file(folder, [result("T1", "positive")])
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert "10 held in place; 10 re-tests asked" in flat(r)
    r = fk("testing", "round", "progress", "R1", "--missing", 10)
    out = flat(r)
    assert r.exit_code == 0 and "15 / 20 sampled, 5 not yet" in out and "P00016" in out
    r = fk("testing", "turnaround", "--round", "R1")
    assert r.exit_code == 0 and "LAB1" in r.output and "total" in r.output
    r = fk("testing", "retests", "--reason", "pool_positive", "--lang", "en")
    assert r.exit_code == 0 and "P00001" in r.output and "T1" in r.output
    r = fk("testing", "plan", "--round", "R1", "--prevalence", 0.01)
    assert r.exit_code == 0 and "20" in r.output


def test_environmental_samples_reach_the_bulletin(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    for i, kind in enumerate(["case_home", "hotel_room", "venue"], 1):
        r = fk("testing", "env", "add", f"E{i}", "--place-kind", kind, "--sampled-at", "2022-03-14T09:00")
        assert r.exit_code == 0, r.output
    assert fk("testing", "env", "add", "E1", "--place-kind", "venue", "--sampled-at", "2022-03-14T09:00").exit_code == 1
    assert fk("testing", "env", "add", "E9", "--place-kind", "moon", "--sampled-at", "2022-03-14T09:00").exit_code == 1
    folder = tmp_path / "env"
    results_file(folder, [result("E1", "negative"), result("E2", "weak_positive")])
    assert fk("import", folder).exit_code == 0
    r = fk("reports", "bulletin", "--date", "2022-03-14")
    assert "累计采集环境样本3份（当日3份），其中阴性1份、弱阳性1份、阳性0份，1份结果待出。" in r.output
    r = fk("testing", "env", "list")
    assert "weak_positive" in r.output and "pending" in r.output


def test_conflict_listed_and_resolved(env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    folder = tmp_path / "a"
    samples_file(folder, pooled(10))
    results_file(folder, [result("T1")])
    assert fk("import", folder).exit_code == 0
    results_file(folder, [result("T1", "positive")])
    assert fk("import", folder).exit_code == 1
    r = fk("testing", "conflicts")
    assert "T1" in r.output and "negative" in r.output and "positive" in r.output
    r = fk("testing", "resolve", "1", "--result", "negative", "--reviewer", "王检测")
    assert r.exit_code == 0, r.output
    assert "T1" not in fk("testing", "conflicts").output
    assert fk("testing", "resolve", "1", "--result", "negative").exit_code == 1
