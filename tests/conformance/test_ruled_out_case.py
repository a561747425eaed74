"""Issue 23, "as of" edges: a case later ruled out (a first positive whose re-check, 复核, is negative). The bulletin
issued before the ruling stays as issued; the codes are re-evaluated (the person's `suspected` reason goes, his
other obligations stay); the secondary contacts upgraded at the report stay upgraded (docs/rules.md, "Upgrade at
the report": a choice, as for a positive scheduled test).

tests/test_flow.py's city: P00001 is traced on 03-11 at 21:00; P00003 is a close contact, P00004 a secondary
contact through him."""

from __future__ import annotations

from clihelp import fk
from conformance.scenario import at, code, obligations, ok
from test_flow import city


def test_a_case_ruled_out_leaves_the_issued_bulletin_and_re_evaluates_the_codes(env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    at(monkeypatch, "2022-03-12T10:00+08:00")
    case_no = ok("case", "positive", "P00003", "--sampled-at", "2022-03-12T08:00")
    assert code("P00003")["reasons"] == ["close", "suspected"]
    assert obligations("P00004") == [("close", "centralized_isolation", None)]   # upgraded at the report
    at(monkeypatch, "2022-03-13T00:30+08:00")
    first = fk("reports", "bulletin", "--date", "2022-03-12")
    assert first.exit_code == 0 and "issued version 1" in first.stderr, first.output
    at(monkeypatch, "2022-03-13T10:00+08:00")
    ok("case", "recheck", case_no, "--result", "negative")
    assert code("P00003") == {"colour": "red", "reasons": ["close"], "changes_at": code("P00003")["changes_at"]}
    assert obligations("P00003") == [("close", "centralized_isolation", None)]   # his contact obligation stays
    assert obligations("P00004") == [("close", "centralized_isolation", None)]   # the upgrade stands
    again = fk("reports", "bulletin", "--date", "2022-03-12")
    assert again.exit_code == 0 and again.stdout == first.stdout and "issued version 1" in again.stderr
