"""Rule: discharge follows the edition's criteria and starts its post-discharge health monitoring, so the code of
a discharged case follows that obligation instead of staying red (issue 23, reproduction 3, discharge part).
Edition 9 (诊疗方案 第九版): two consecutive samples ≥ 24 h apart with N and ORF1ab Ct ≥ 35, then 7 days home
health monitoring; edition 8: Ct ≥ 40 (PROTOCOL-NOTES §7)."""

from __future__ import annotations

from builders.risk import import_people
from clihelp import fk
from conformance.scenario import at, code, obligations, ok


def _admitted(tmp_path, monkeypatch) -> str:
    import_people(tmp_path / "city", n=4)
    at(monkeypatch, "2022-03-14T09:00+08:00")
    ok("hospitals", "add", "H1", "--name", "第四医院", "--jurisdiction", "1401", "--beds", "10")
    case = ok("case", "declare", "P00001", "--sampled-at", "2022-03-14T06:00")
    ok("hospitals", "admit", case, "H1")
    return case


def test_discharge_needs_the_editions_samples_then_monitoring_follows(rollback_env, tmp_path, monkeypatch):
    case = _admitted(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-20T10:00+08:00")
    r = fk("hospitals", "discharge", case)
    assert r.exit_code == 1 and "discharge criteria" in r.output and "2 consecutive samples" in r.output
    r = fk("hospitals", "discharge", case, "--sample", "2022-03-18T08:00=36", "--sample", "2022-03-19T09:00=30")
    assert r.exit_code == 1 and "Ct 30 < 35" in r.output
    r = fk("hospitals", "discharge", case, "--sample", "2022-03-19T08:00=36", "--sample", "2022-03-19T20:00=38")
    assert r.exit_code == 1 and "less than 24 h apart" in r.output
    assert code("P00001")["reasons"] == ["case"]
    ok("hospitals", "discharge", case, "--sample", "2022-03-18T08:00=36", "--sample", "2022-03-19T09:00=none")
    assert obligations("P00001") == [("post_discharge", "home_monitoring", None)]
    at(monkeypatch, "2022-03-20T11:00+08:00")
    assert code("P00001") == {"colour": "yellow", "reasons": ["post_discharge"],
                              "changes_at": "2022-03-28T00:00:00+08:00"}
    at(monkeypatch, "2022-03-28T01:00+08:00")
    assert code("P00001")["colour"] == "green"


def test_the_eighth_edition_needs_ct_40(rollback_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FANGKONG_EDITION", "8")
    case = _admitted(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-20T10:00+08:00")
    r = fk("hospitals", "discharge", case, "--sample", "2022-03-18T08:00=38", "--sample", "2022-03-19T09:00=none")
    assert r.exit_code == 1 and "Ct 38 < 40" in r.output
    ok("hospitals", "discharge", case, "--sample", "2022-03-18T08:00=41", "--sample", "2022-03-19T09:00=none")
    assert obligations("P00001") == [("post_discharge", "home_isolation", None)]  # 14 days (8th edition)
