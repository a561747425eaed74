"""The spine from the command line: declare → trace → measures → codes → bulletin, and its bad inputs."""

from __future__ import annotations

import json

import pytest
from builders.city import person, venue, write_city
from clihelp import fk, set_clock
from sqlalchemy import func, select

from fangkong.cases.models import Case
from fangkong.codes.models import HealthCode
from fangkong.contacts.models import RiskPerson
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure, TestTask

pytestmark = pytest.mark.both_stores


def city(folder):
    persons = [person(i, household="H1" if i in (1, 2) else None) for i in range(1, 8)]
    v = lambda p, vid, s, e="": {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}  # noqa: E731
    visits = [v("P00001", "V1", "2022-03-10T12:00", "2022-03-10T13:00"), v("P00003", "V1", "2022-03-10T12:30"),
              v("P00004", "V1", "2022-03-10T12:50"), v("P00005", "V1", "2022-03-10T18:00"),
              v("P00003", "V2", "2022-03-11T09:00", "2022-03-11T10:00"),
              v("P00006", "V2", "2022-03-11T09:30", "2022-03-11T10:00")]
    dwells = [{"phone": "13800000001", "lat": 37.87, "lon": 112.55, "start_at": "2022-03-10T14:00",
               "end_at": "2022-03-10T15:00"},
              {"phone": "13800000007", "lat": 37.8701, "lon": 112.5501, "start_at": "2022-03-10T14:30",
               "end_at": "2022-03-10T16:00"}]
    return write_city(folder, persons, [venue("V1"), venue("V2", "shop")], visits, dwells)


def declare_and_trace(tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at", "2022-03-11T20:00")
    assert r.exit_code == 0, r.output
    case_id = r.stdout.strip()
    r = fk("trace", case_id, "--format", "json")
    assert r.exit_code == 0, r.output
    return case_id, json.loads(r.stdout)


def test_declare_trace_json_matches_formats(env, tmp_path):
    case_id, doc = declare_and_trace(tmp_path)
    assert case_id == "C000001"
    assert doc["case_id"] == case_id and doc["edition"] == "9"
    assert doc["window"] == {"start": "2022-03-09T00:00:00+08:00", "end": "2022-03-11T20:00:00+08:00"}
    cats = {r["person_id"]: r["category"] for r in doc["risk_persons"]}
    assert cats == {"P00002": "close", "P00003": "close", "P00004": "secondary", "P00006": "secondary",
                    "P00007": "companion", "P00005": "overlap"}
    p3 = next(r for r in doc["risk_persons"] if r["person_id"] == "P00003")
    assert p3["evidence"] == [{"kind": "venue", "via": "P00001", "place": "V1",
                               "start": "2022-03-10T12:30:00+08:00", "end": "2022-03-10T13:00:00+08:00"}]
    with unit_of_work() as s:
        assert s.scalar(select(func.count(RiskPerson.id))) == 6


def test_trace_again_replaces_not_duplicates(env, tmp_path):
    case_id, _ = declare_and_trace(tmp_path)
    assert fk("trace", case_id, "--format", "json").exit_code == 0
    with unit_of_work() as s:
        assert s.scalar(select(func.count(RiskPerson.id))) == 6


def test_trace_table_output(env, tmp_path):
    case_id, _ = declare_and_trace(tmp_path)
    r = fk("trace", case_id)
    assert r.exit_code == 0 and "密切接触者" in r.stdout and case_id in r.stdout  # the title: case and window
    assert "6 not placed (period over since the last exposure)" in " ".join(r.stdout.split())  # 2022 data today


def test_a_trace_without_its_evidence_in_memory_counts_the_same(env, tmp_path):
    """keep_evidence=False (the CLI's table): the same counts and stored rows, and no evidence to build from."""
    import pytest

    from fangkong import flows
    from fangkong.cases import service as case_service
    from fangkong.settings import get_settings

    case_id, doc = declare_and_trace(tmp_path)
    with unit_of_work() as s:
        stored = sorted(s.execute(select(RiskPerson.who, RiskPerson.category, RiskPerson.evidence)).all())
        case = case_service.get_case(s, case_id)
        light = flows.respond_many(s, get_settings(), [case], now=case.declared_at, keep_evidence=False)[0].trace
        assert light.counts() == {"close": 2, "secondary": 2, "companion": 1, "overlap": 1}
        assert sorted(s.execute(select(RiskPerson.who, RiskPerson.category, RiskPerson.evidence)).all()) == stored
    with pytest.raises(ValueError, match="keep_evidence"):
        light.as_json()


def test_unknown_person_and_unknown_case(env, tmp_path):
    r = fk("case", "declare", "NOBODY", "--sampled-at", "2022-03-11T08:00")
    assert r.exit_code == 1 and "unknown person 'NOBODY'" in r.output
    with unit_of_work() as s:
        assert s.scalar(select(func.count(Case.id))) == 0
    r = fk("trace", "C999999")
    assert r.exit_code == 1 and "unknown case 'C999999'" in r.output


def test_bad_time_is_a_usage_error(env):
    r = fk("case", "declare", "P00001", "--sampled-at", "soon")
    assert r.exit_code == 2 and "not an ISO 8601 time" in r.output


def test_declaring_twice_is_a_conflict(env, tmp_path):
    declare_and_trace(tmp_path)
    r = fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00")
    assert r.exit_code == 1 and "already case C000001" in r.output


def test_measures_codes_and_bulletin_reconcile(env, tmp_path, monkeypatch):
    # trace "now" is the clock: at the real date the 2022 periods are long over, so nobody would be placed
    set_clock(monkeypatch, "2022-03-11T21:00+08:00")
    declare_and_trace(tmp_path)
    with unit_of_work() as s:
        kinds = dict(s.execute(select(Measure.person_fk, Measure.kind)).all())
        assert sorted(kinds.values()) == ["centralized_isolation", "centralized_isolation", "health_monitoring",
                                          "health_monitoring", "home_isolation", "home_isolation"]
        colours = {h.person_fk: h.colour for h in s.scalars(select(HealthCode))}
        assert sorted(colours.values()) == ["red", "red", "red", "yellow", "yellow", "yellow"]
        tasks = s.scalar(select(func.count(TestTask.id)))
        assert tasks > 0
    r = fk("measures", "list")
    assert r.exit_code == 0 and "集中隔离医学观察" in r.stdout
    r = fk("reports", "bulletin", "--date", "2022-03-11", "--format", "json")
    b = json.loads(r.stdout)
    assert b["traced_by_category"] == {"close": 2, "secondary": 2, "companion": 1, "overlap": 1}
    assert b["traced_total"] == 6
    assert b["isolation_in_site"] == 2 and b["isolation_at_home"] == 2 and b["monitoring"] == 2
    assert b["tests_pending"] + b["tests_negative"] + b["tests_positive"] == 6
    assert b["total_cases"] == 1 and b["days_since_community_case"] == 0
    r = fk("reports", "bulletin", "--date", "2022-03-11")
    assert "追踪管控风险人员6人" in r.stdout and "密接者2人" in r.stdout
    r = fk("reports", "bulletin", "--date", "2022-03-11", "--lang", "en")
    assert "Risk persons traced and under measures: 6" in r.stdout
    r = fk("codes", "show", "P00003", "--format", "json")
    assert r.exit_code == 0


def test_suspected_positive_recheck_then_trace(env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = fk("case", "positive", "P00001", "--sampled-at", "2022-03-11T08:00")
    case_id = r.stdout.strip()
    r = fk("trace", case_id)
    assert r.exit_code == 1 and "only a declared case is traced" in r.output
    assert fk("case", "recheck", case_id, "--result", "positive", "--isolated-at", "2022-03-11T20:00").exit_code == 0
    r = fk("trace", case_id, "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)["risk_persons"]) == 6
    r = fk("case", "recheck", case_id, "--result", "negative")
    assert r.exit_code == 1 and "not awaiting a re-check" in r.output


def test_negative_recheck_rules_out(env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    case_id = fk("case", "positive", "P00002", "--sampled-at", "2022-03-11T08:00").stdout.strip()
    assert fk("case", "recheck", case_id, "--result", "negative").exit_code == 0
    with unit_of_work() as s:
        assert s.scalar(select(Case.status)) == "ruled_out"


def test_commands_migrate_a_new_store(tmp_path, monkeypatch):
    from fangkong.db.core import get_engine
    from fangkong.settings import get_settings

    monkeypatch.setenv("FANGKONG_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'f.db'}")
    monkeypatch.setenv("FANGKONG_LAKE", str(tmp_path / "lake"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        assert fk("import", city(tmp_path / "city")).exit_code == 0
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
