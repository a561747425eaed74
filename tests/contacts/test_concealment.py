"""Concealment: data points of the window the case did not declare are listed, declared ones are not."""

from __future__ import annotations

import json

from clihelp import fk
from test_flow import city

from fangkong.cases import service as case_service
from fangkong.contacts.teams import service as teams
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work


def test_diff_lists_what_the_case_did_not_declare(rollback_env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    case_id = fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
                 "2022-03-11T20:00").stdout.strip()
    assert fk("trace", case_id, "--format", "json").exit_code == 0
    r = fk("teams", "diff", case_id, "--format", "json")
    assert r.exit_code == 0, r.output
    points = json.loads(r.stdout)
    assert {(p["source"], p["place"]) for p in points} == {("venue_scan", "V1"), ("carrier", "5269:12363")}
    with unit_of_work() as s:
        inv = teams.get_investigation(s, case_service.get_case(s, case_id))
        teams.update_investigation(s, inv, version=inv.version, now=utcnow(), declared_trajectory=[
            {"place": "场所V1", "start": "2022-03-10T11:50", "end": "2022-03-10T13:10", "note": "午饭"}])
    points = json.loads(fk("teams", "diff", case_id, "--format", "json").stdout)
    assert [(p["source"], p["place"]) for p in points] == [("carrier", "5269:12363")]
    r = fk("teams", "diff", case_id)
    assert "1 undeclared of 2 data points" in r.stdout


def test_diff_before_trace_is_a_clear_error(rollback_env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    case_id = fk("case", "declare", "P00002", "--sampled-at", "2022-03-11T08:00").stdout.strip()
    r = fk("teams", "diff", case_id)
    assert r.exit_code == 1 and "has not been traced yet" in r.output
