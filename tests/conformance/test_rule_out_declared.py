"""Issue 23: a *declared* case ruled out after its declaration (`fangkong case rule-out`: a false positive found by a
later re-check, or the wrong person). As of the ruling: the case's own obligation and hospital stay end; the
contact obligations that came only from its trace end as `source_ruled_out`; what they and the upgrades owed to it
had taken over is in force again within its period; the person's own contact obligation too; the chain edge goes;
the bulletin issued before stays as issued, and its next re-issue is a correction (docs/rules.md, "A case ruled out
after declaration").

tests/test_flow.py's city: P00001 (C000001) is traced on 03-11 at 21:00; P00003 is his close contact, P00004 and
P00006 secondary contacts through P00003. P00003 is then declared (C000002) and traced on 03-12."""

from __future__ import annotations

from clihelp import fk
from conformance.scenario import at, code, obligations, ok
from test_flow import city

from fangkong.contacts import chains
from fangkong.kit.clikit import unit_of_work


def _edges() -> set[tuple[str, str]]:
    with unit_of_work() as s:
        return {(e.source, e.target) for e in chains.chains(s).edges}


def test_a_declared_case_ruled_out_unwinds_what_followed_from_it(env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    assert obligations("P00006") == [("secondary", "home_isolation", None)]
    # day 2: P00003, a close contact, is declared and traced; his secondary contacts are upgraded at once
    at(monkeypatch, "2022-03-12T10:00+08:00")
    c2 = ok("case", "declare", "P00003", "--sampled-at", "2022-03-12T08:00", "--isolated-at", "2022-03-12T09:00")
    ok("trace", c2)
    assert code("P00003")["reasons"] == ["case"]
    assert obligations("P00003", active_only=False) == [("close", "centralized_isolation", "became_case")]
    for pid in ("P00004", "P00006"):
        assert code(pid)["colour"] == "red"
        assert obligations(pid) == [("close", "centralized_isolation", None)]
    assert ("C000001", c2) in _edges()
    at(monkeypatch, "2022-03-13T00:30+08:00")
    first = fk("reports", "bulletin", "--date", "2022-03-12")
    assert first.exit_code == 0 and "issued version 1" in first.stderr, first.output
    assert "累计报告本土感染者2例" in first.stdout
    # day 3: the case is ruled out (a contaminated sample)
    at(monkeypatch, "2022-03-13T10:00+08:00")
    r = fk("case", "rule-out", c2, "--reason", "re-check negative: a contaminated sample")
    assert r.exit_code == 0, r.output
    assert "obligations of 2 person(s) ended" in r.stderr and "3 in force again" in r.stderr
    # his own close obligation (his exposure to C000001 was real) is in force again, to its own end
    assert code("P00003") == {"colour": "red", "reasons": ["close"], "changes_at": "2022-03-21T00:00:00+08:00"}
    assert obligations("P00003") == [("close", "centralized_isolation", None)]
    # the upgrades owed to him end; the secondary obligations they had taken over are in force again
    for pid, until in (("P00004", "2022-03-18"), ("P00006", "2022-03-19")):
        assert obligations(pid, active_only=False) == [("secondary", "home_isolation", "upgraded"),
                                                       ("close", "centralized_isolation", "source_ruled_out"),
                                                       ("secondary", "home_isolation", None)]
        assert code(pid) == {"colour": "yellow", "reasons": ["secondary"], "changes_at": f"{until}T00:00:00+08:00"}
    assert ("C000001", c2) not in _edges()
    # the bulletin issued before the ruling stays as issued; its re-issue is a correction, marked as such
    again = fk("reports", "bulletin", "--date", "2022-03-12")
    assert again.exit_code == 0 and again.stdout == first.stdout and "issued version 1" in again.stderr
    corr = fk("reports", "bulletin", "--date", "2022-03-12", "--reissue", "--reason", f"{c2} ruled out")
    assert corr.exit_code == 0 and "(correction:" in corr.stderr, corr.output
    assert "更正" in corr.stdout and "累计报告本土感染者1例" in corr.stdout and "本市无新增本土感染者" in corr.stdout
    # day 4: nothing lapses early, nothing comes back
    at(monkeypatch, "2022-03-14T10:00+08:00")
    assert code("P00003")["reasons"] == ["close"] and code("P00004")["reasons"] == ["secondary"]
    # a second ruling is refused: it is no declared case any more
    assert fk("case", "rule-out", c2, "--reason", "again").exit_code != 0


def test_only_a_declared_case_is_ruled_out_and_with_a_reason(env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    suspected = ok("case", "positive", "P00001", "--sampled-at", "2022-03-11T08:00")
    assert fk("case", "rule-out", suspected, "--reason", "x").exit_code != 0   # its re-check rules it out
    declared = ok("case", "declare", "P00002", "--sampled-at", "2022-03-11T08:00")
    assert fk("case", "rule-out", declared, "--reason", " ").exit_code != 0
