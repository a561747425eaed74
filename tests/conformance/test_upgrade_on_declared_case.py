"""Rule (edition 9, PROTOCOL-NOTES §2; DOMAIN.md §5): a secondary contact becomes a close contact as soon as the
close contact he was found through is found positive, whether by one of his scheduled tests or by being reported
or declared a case directly, with no positive test of his on record (issue 23: the upgrade waited for the secondary
contact's own release-due, five days later, and was dated then). The upgrade is dated at the report.

tests/test_flow.py's city: P00001 is traced on 03-11 at 21:00. P00003 is a close contact; P00004 (at V1 on 03-10)
and P00006 (at V2 on 03-11) are secondary contacts through him, each under 7 days of home isolation."""

from __future__ import annotations

from conformance.scenario import at, code, obligations, ok
from sqlalchemy import select
from test_flow import city

from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.people.models import Person


def _rows(person_id: str) -> list[tuple[str, str, str | None, str | None]]:
    """(category, start, end, end reason) of the person's measure rows, in local time."""
    with unit_of_work() as s:
        q = (select(Measure.category, Measure.start_at, Measure.ended_at, Measure.end_reason)
             .join(Person, Person.id == Measure.person_fk).where(Person.person_id == person_id).order_by(Measure.id))
        local = lambda t: t and t.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")  # noqa: E731
        return [(c, local(s0), local(e), r) for c, s0, e, r in s.execute(q)]


def _traced(tmp_path, monkeypatch) -> None:
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("import", city(tmp_path / "city"))
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))


def test_a_close_contact_declared_a_case_directly_upgrades_his_secondary_contacts_at_once(env, tmp_path, monkeypatch):
    _traced(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-13T10:00+08:00")
    assert code("P00004")["colour"] == "yellow"
    ok("case", "declare", "P00003", "--sampled-at", "2022-03-13T08:00")  # no test result of his on record
    for pid in ("P00004", "P00006"):
        assert obligations(pid) == [("close", "centralized_isolation", None)]
        assert _rows(pid) == [("secondary", "03-11 21:00", "03-13 10:00", "upgraded"),
                              ("close", "03-13 10:00", None, None)]
        assert code(pid)["colour"] == "red" and "close" in code(pid)["reasons"]
    # the next days' sweeps change nothing of it: no second upgrade, not dated again
    at(monkeypatch, "2022-03-18T01:00+08:00")
    ok("measures", "release-due")
    assert _rows("P00004")[-1] == ("close", "03-13 10:00", None, None)


def test_a_suspected_case_reported_without_a_test_upgrades_them_too(env, tmp_path, monkeypatch):
    _traced(tmp_path, monkeypatch)
    at(monkeypatch, "2022-03-12T15:30+08:00")
    ok("case", "positive", "P00003", "--sampled-at", "2022-03-12T08:00")  # a first positive found elsewhere (可疑阳性)
    assert _rows("P00004") == [("secondary", "03-11 21:00", "03-12 15:30", "upgraded"),
                               ("close", "03-12 15:30", None, None)]


def test_a_secondary_contact_placed_through_a_close_contact_already_reported_is_a_close_contact_at_once(
        env, tmp_path, monkeypatch):
    """P00003's first positive is reported (a suspected case, still a contact) before P00001's trace finds him: the
    trace places P00004 through him, and P00004 is a close contact from that placement on (he stayed a yellow
    secondary contact until P00003's own trace, after the re-check)."""
    at(monkeypatch, "2022-03-11T20:30+08:00")
    ok("import", city(tmp_path / "city"))
    ok("case", "positive", "P00003", "--sampled-at", "2022-03-11T08:00")
    at(monkeypatch, "2022-03-11T21:00+08:00")
    ok("trace", ok("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                   "2022-03-11T20:00"))
    assert _rows("P00004") == [("secondary", "03-11 21:00", "03-11 21:00", "upgraded"),
                               ("close", "03-11 21:00", None, None)]
    assert code("P00004")["colour"] == "red"
