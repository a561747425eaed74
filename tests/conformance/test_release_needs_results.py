"""Rule: release needs the full period and every scheduled test negative (DOMAIN.md §5); nothing whose end needs
results ends by time alone, so a code does not lapse at the nominal end. An invalid result opens a re-sample
(a test due at once and a task for the community); its result is accepted and stands for the invalid one; a
missing one is overdue and shows (issue 23, reproduction 5). Edition 9: close contact 7 + 3, tests on days
1, 2, 3, 5, 7 and monitoring day 3 (PROTOCOL-NOTES §2)."""

from __future__ import annotations

from conformance.scenario import at, code, ok, scheduled
from sqlalchemy import select
from test_flow import city

from fangkong.kit.clikit import unit_of_work
from fangkong.tasks.models import Task


def test_an_invalid_test_keeps_the_close_contact_red_until_its_re_sample_is_negative(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    schedule = scheduled("P00003")  # close contact, last exposure 03-10: day 1 is 03-11, the period ends 03-21 00:00
    assert [d for _, d, _, _ in schedule] == ["2022-03-11", "2022-03-12", "2022-03-13", "2022-03-15", "2022-03-17",
                                              "2022-03-20"]
    day1 = schedule[0][0]
    at(monkeypatch, "2022-03-12T10:00+08:00")
    ok("measures", "result", str(day1), "invalid")
    again = [t for t in scheduled("P00003") if t[3] == day1]
    assert [(d, r) for _, d, r, _ in again] == [("2022-03-12", "pending")]  # re-sampled at once, due today
    with unit_of_work() as s:
        task = s.scalar(select(Task).where(Task.kind == "resample"))
        assert (task.status, task.jurisdiction) == ("open", "140105001001")
    for test_id, _, _, _ in schedule[1:]:
        ok("measures", "result", str(test_id), "negative")
    at(monkeypatch, "2022-03-13T09:00+08:00")  # the re-sample was not taken: overdue, shown in yellow terms too
    assert code("P00003")["colour"] == "red"
    at(monkeypatch, "2022-03-21T01:00+08:00")  # past the nominal end: not green, not released
    assert code("P00003") == {"colour": "red", "reasons": ["close", "release_overdue"], "changes_at": None}
    r = ok("measures", "release-due")
    assert "blocked 1" in r or "blocked" in r
    at(monkeypatch, "2022-03-21T09:00+08:00")
    ok("measures", "result", str(again[0][0]), "negative")  # the re-sample's result is accepted
    at(monkeypatch, "2022-03-21T10:00+08:00")
    assert code("P00003")["colour"] == "green"
    with unit_of_work() as s:
        assert s.scalar(select(Task.status).where(Task.kind == "resample")) == "done"


def test_a_missing_test_keeps_a_secondary_contact_yellow_past_the_end(rollback_env, tmp_path, monkeypatch):
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    first, *rest = scheduled("P00004")  # secondary contact: 7 days home isolation, tests days 1, 4, 7
    at(monkeypatch, "2022-03-12T10:00+08:00")
    for test_id, _, _, _ in rest:
        ok("measures", "result", str(test_id), "negative")
    for test_id, _, _, _ in scheduled("P00003")[:2]:  # the first two tests of his close contact (9th edition)
        ok("measures", "result", str(test_id), "negative")
    at(monkeypatch, "2022-03-19T01:00+08:00")
    assert code("P00004") == {"colour": "yellow", "reasons": ["overdue_test", "release_overdue", "secondary"],
                              "changes_at": None}
    ok("measures", "result", str(first[0]), "negative")
    at(monkeypatch, "2022-03-19T02:00+08:00")
    assert code("P00004")["colour"] == "green"
