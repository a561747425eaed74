"""What results set in motion: a positive pool → holds and single re-tests → suspected → re-check → declared;
grey zone, weak positive and invalid tubes; scheduled tests of people under a measure; conflicts decided."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from builders.testing import RULE, persons_file, pooled, result, results_file, samples_file, setup_round, swab
from clihelp import fk
from sqlalchemy import select

from fangkong.cases import service as case_service
from fangkong.cases.models import Case
from fangkong.codes.models import HealthCode
from fangkong.contacts.models import RiskPerson
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure, TestTask
from fangkong.people.models import Person
from fangkong.testing import service
from fangkong.testing.models import RetestTask

TZ = ZoneInfo("Asia/Shanghai")


def load(tmp_path, name: str, samples: list[dict] | None = None, results: list[dict] | None = None):
    folder = tmp_path / name
    if samples:
        samples_file(folder, samples)
    if results:
        results_file(folder, results)
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    return r


def holds() -> dict[str, str]:
    with unit_of_work() as s:
        return {m.person.person_id: m.status for m in s.scalars(select(Measure).where(Measure.kind == "temporary_control"))}


def tasks() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list] = {}
    with unit_of_work() as s:
        for t in s.scalars(select(RetestTask).order_by(RetestTask.id)):
            out.setdefault(t.person.person_id, []).append((t.reason, t.status))
    return out


def case_of(pid: str) -> Case | None:
    with unit_of_work() as s:
        return s.scalar(select(Case).join(Person, Person.id == Case.person_fk).where(Person.person_id == pid))


def colour(pid: str) -> str | None:
    with unit_of_work() as s:
        return s.scalar(select(HealthCode.colour).join(Person, Person.id == HealthCode.person_fk)
                        .where(Person.person_id == pid))


def test_positive_pool_to_declared_case(rollback_env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    load(tmp_path, "a", pooled(20), [result("T1", "positive", ct_orf1ab="31.5", ct_n="32"), result("T2")])
    assert holds() == {f"P{i:05d}": "active" for i in range(1, 11)}
    assert tasks()["P00003"] == [("pool_positive", "open")] and "P00011" not in tasks()
    assert colour("P00003") == "yellow" and colour("P00011") is None
    # single re-tests at home (单采): one positive, nine negative
    singles = [swab(f"S{i}", i, "2022-03-14T13:00", round_id=None) for i in range(1, 11)]
    load(tmp_path, "b", singles, [result(f"S{i}", "positive" if i == 1 else "negative", received_at="2022-03-14T13:30",
                                         tested_at="2022-03-14T14:00", reported="2022-03-14T15:00")
                                  for i in range(1, 11)])
    assert holds()["P00001"] == "active" and holds()["P00002"] == "released"
    assert tasks()["P00002"] == [("pool_positive", "done")]
    assert tasks()["P00001"] == [("pool_positive", "done"), ("recheck", "open")]
    case = case_of("P00001")
    assert case.status == "suspected"
    assert case.sampled_at == datetime(2022, 3, 14, 8, tzinfo=TZ)   # the pool's swab was the first positive
    assert colour("P00001") == "red" and colour("P00002") == "green"  # hold lifted by the negative re-test
    # the re-check (复核) of the suspected person declares the case; its window ends at the hold
    load(tmp_path, "c", [swab("RC1", 1, "2022-03-14T15:30", round_id=None)],
         [result("RC1", "positive", received_at="2022-03-14T16:00", tested_at="2022-03-14T16:30",
                 reported="2022-03-14T17:00")])
    case = case_of("P00001")
    assert case.status == "asymptomatic"
    assert case.declared_at == datetime(2022, 3, 14, 17, tzinfo=TZ)
    assert case.isolated_at == datetime(2022, 3, 14, 12, tzinfo=TZ)
    assert tasks()["P00001"][-1] == ("recheck", "done")


def test_negative_recheck_rules_the_suspected_case_out(rollback_env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    load(tmp_path, "a", [swab("S1", 1)], [result("S1", "positive")])
    assert case_of("P00001").status == "suspected" and holds() == {"P00001": "active"}
    load(tmp_path, "b", [swab("S2", 1, "2022-03-14T13:00", round_id=None)],
         [result("S2", "negative", received_at="2022-03-14T13:30", tested_at="2022-03-14T14:00",
                 reported="2022-03-14T15:00")])
    assert case_of("P00001").status == "ruled_out"
    assert holds() == {"P00001": "released"} and tasks()["P00001"] == [("recheck", "done")]


def test_grey_zone_weak_positive_and_invalid(rollback_env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    rows = [swab("S1", 1), swab("S2", 2), swab("S3", 3)] + [swab("T9", i) for i in range(4, 9)]
    load(tmp_path, "a", rows, [result("S1", "suspected"), result("S2", "weak_positive"), result("S3", "invalid"),
                               result("T9", "invalid")])
    t = tasks()
    assert t["P00001"] == [("repeat", "open")] and t["P00002"] == [("repeat", "open")]
    assert t["P00003"] == [("resample", "open")] and t["P00004"] == [("resample", "open")]
    assert set(holds()) == {"P00001", "P00002"}  # grey zone held; an invalid tube is only re-sampled
    assert case_of("P00001") is None
    with unit_of_work() as s:
        pooled_task = s.scalar(select(RetestTask).join(Person).where(Person.person_id == "P00004"))
        assert pooled_task.single is False  # a pool may be re-pooled


def test_single_tube_result_updates_a_risk_persons_scheduled_test(rollback_env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    with unit_of_work() as s:
        fk5 = s.scalar(select(Person.id).where(Person.person_id == "P00005"))
        at = datetime(2022, 3, 13, 20, tzinfo=TZ)
        m = Measure(person_fk=fk5, category="close", kind="centralized_isolation", place="site",
                    last_exposure_at=at, start_at=at, phase_end_at=datetime(2022, 3, 21, tzinfo=TZ),
                    end_at=datetime(2022, 3, 24, tzinfo=TZ), status="active", edition="9")
        m.tests = [TestTask(person_fk=fk5, due_date=date(2022, 3, 14)), TestTask(person_fk=fk5, due_date=date(2022, 3, 15))]
        s.add(m)
        # the bulletin's test line counts risk persons: P00005 is a close contact of a case declared that evening
        case = case_service.declare_case(s, "P00020", sampled_at=at - timedelta(hours=6), now=at)
        s.add(RiskPerson(case_fk=case.id, who="p:P00005", person_fk=fk5, category="close", found_category="close",
                         evidence=[], first_exposure_at=at, last_exposure_at=at, found_at=at))
    r = load(tmp_path, "a", [swab("S5", 5), swab("T1", 6), swab("T1", 7)], [result("S5"), result("T1")])
    with unit_of_work() as s:
        got = {t.due_date.day: t.result for t in s.scalars(select(TestTask).where(TestTask.person_fk == fk5))}
    assert got == {14: "negative", 15: "pending"}
    assert "1 scheduled tests recorded" in " ".join(r.output.split())
    b = fk("reports", "bulletin", "--date", "2022-03-14", "--lang", "en")
    assert "1 negative" in b.output


def test_key_group_person_in_a_pooled_tube_is_warned(rollback_env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    with unit_of_work() as s:
        fk5 = s.scalar(select(Person.id).where(Person.person_id == "P00005"))
        at = datetime(2022, 3, 13, 20, tzinfo=TZ)
        s.add(Measure(person_fk=fk5, category="secondary", kind="home_isolation", place="home", last_exposure_at=at,
                      start_at=at, phase_end_at=at, end_at=datetime(2022, 3, 21, tzinfo=TZ), status="active",
                      edition="9"))
    r = load(tmp_path, "a", pooled(10))
    assert "1 people under a measure were swabbed into pooled tubes" in " ".join(r.output.split())


def test_a_reviewer_decides_a_conflict(rollback_env, tmp_path):
    assert fk("import", persons_file(tmp_path / "p").parent).exit_code == 0
    setup_round()
    load(tmp_path, "a", pooled(10), [result("T1")])
    folder = tmp_path / "b"
    results_file(folder, [result("T1", "positive")])
    assert fk("import", folder).exit_code == 1
    with unit_of_work() as s:
        conflict = service.list_conflicts(s)[0]
        with acting_as(s, "lab-manager"):
            service.resolve_conflict(s, conflict.id, result="positive", rule=RULE, edition="9", tz=TZ,
                                     now=datetime(2022, 3, 14, 16, tzinfo=TZ))
    with unit_of_work() as s:
        assert service.list_conflicts(s) == []
        assert service.list_conflicts(s, status="resolved")[0].resolution == "positive"
    assert len(holds()) == 10 and tasks()["P00001"] == [("pool_positive", "open")]
