"""Rule (edition 9, PROTOCOL-NOTES §2; DOMAIN.md §5): a secondary contact is released on day 7 only when his own
tests and the first two tests of the close contact he was found through are negative. An invalid test of that
close contact is re-sampled, and the re-sample's result stands for it. While the close contact's first tests
keep the secondary contact's release refused, the secondary contact's code does not turn green (issue 23,
reproduction 5, the secondary-contact half).

tests/test_flow.py's city: P00001 is traced on 03-11 at 21:00. P00003 is a close contact (last exposure 03-10;
tests on 03-11, 12, 13, 15, 17 and 20). P00004 is a secondary contact through P00003 (last exposure 03-10; 7 days of
home isolation until 03-18 00:00; tests on 03-11, 14 and 17)."""

from __future__ import annotations

import json

from conformance.scenario import at, code, obligations, ok, scheduled
from test_flow import city


def _traced(tmp_path, monkeypatch) -> None:
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))


def _own_tests_negative(person_id: str) -> None:
    for test_id, _, _, _ in scheduled(person_id):
        ok("measures", "result", str(test_id), "negative")


def test_the_re_sample_of_the_close_contacts_invalid_first_test_counts_for_the_release(rollback_env, tmp_path, monkeypatch):
    _traced(tmp_path, monkeypatch)
    day1, day2, *_ = scheduled("P00003")
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("measures", "result", str(day1[0]), "invalid")
    (again,) = [t for t in scheduled("P00003") if t[3] == day1[0]]
    ok("measures", "result", str(again[0]), "negative")  # the re-sample stands for the invalid day-1 test
    ok("measures", "result", str(day2[0]), "negative")
    _own_tests_negative("P00004")
    at(monkeypatch, "2022-03-18T01:00+08:00")
    assert code("P00004")["colour"] == "green"
    ok("measures", "release-due")
    assert obligations("P00004") == []  # released: the close contact's first two tests are negative


def test_a_secondary_contact_stays_yellow_while_his_close_contacts_first_tests_refuse_his_release(
        rollback_env, tmp_path, monkeypatch):
    _traced(tmp_path, monkeypatch)
    day1, day2, *_ = scheduled("P00003")
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("measures", "result", str(day1[0]), "invalid")  # re-sampled at once; the re-sample is not taken yet
    ok("measures", "result", str(day2[0]), "negative")
    _own_tests_negative("P00004")
    at(monkeypatch, "2022-03-17T23:00+08:00")
    assert code("P00004") == {"colour": "yellow", "reasons": ["secondary"], "changes_at": "2022-03-18T00:00:00+08:00"}
    at(monkeypatch, "2022-03-18T01:00+08:00")  # his own period and tests are done; his close contact's are not
    held = {"colour": "yellow", "reasons": ["release_overdue", "secondary"], "changes_at": None}
    assert code("P00004") == held
    ok("measures", "release-due")
    assert obligations("P00004") == [("secondary", "home_isolation", None)]  # refused: still under his measure
    at(monkeypatch, "2022-03-19T09:00+08:00")
    assert code("P00004") == held
    # the bulletin of 03-18 (as of 24:00) counts him under home isolation with P00006 (his own tests missing)
    figures = json.loads(ok("reports", "bulletin", "--date", "2022-03-18", "--format", "json", "--draft"))
    assert figures["isolation_at_home"] == 2
    (again,) = [t for t in scheduled("P00003") if t[3] == day1[0]]
    ok("measures", "result", str(again[0]), "negative")
    at(monkeypatch, "2022-03-19T10:00+08:00")
    assert code("P00004")["colour"] == "green"
    ok("measures", "release-due")
    assert obligations("P00004") == []
