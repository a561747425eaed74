"""Transmission chains: a later case found as an earlier case's risk person is linked to it."""

from __future__ import annotations

import json

import pytest
from clihelp import fk, set_clock
from test_flow import city

from fangkong.contacts import chains, service
from fangkong.kit.clikit import unit_of_work


def test_second_case_links_to_the_first(rollback_env, tmp_path, monkeypatch):
    set_clock(monkeypatch, "2022-03-11T21:00+08:00")
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    first = fk("case", "declare", "P00001", "--sampled-at", "2022-03-11T08:00", "--isolated-at",
               "2022-03-11T20:00").stdout.strip()
    assert fk("trace", first, "--format", "json").exit_code == 0
    set_clock(monkeypatch, "2022-03-12T21:00+08:00")
    second = fk("case", "declare", "P00003", "--sampled-at", "2022-03-12T08:00").stdout.strip()
    third = fk("case", "declare", "P00007", "--sampled-at", "2022-03-12T08:00").stdout.strip()
    assert json.loads(fk("trace", second, "--format", "json").stdout)["risk_persons"]
    with unit_of_work() as s:
        g = chains.chains(s)
        edges = {(e.source, e.target, e.category) for e in g.edges}
        assert (first, second, "close") in edges
        assert (first, third, "companion") in edges
        assert g.clusters[0] == sorted([first, second, third])
        one = chains.cluster_of(s, second)
        assert {n["case_id"] for n in one.nodes} == {first, second, third}


@pytest.mark.slow
@pytest.mark.parametrize(("per_batch", "part_rows"), [(5, service._PART_ROWS), (1, service._PART_ROWS), (2, 1)])
def test_all_new_traces_a_day_together_like_one_by_one(env, tmp_path, monkeypatch, per_batch, part_rows):
    """per_batch 1: each case assembled and stored in its own batch, the phones' holders looked up once for all;
    part_rows 1: each batch assembled and stored in parts."""
    monkeypatch.setattr(service, "_ASSEMBLE_CASES", per_batch)
    monkeypatch.setattr(service, "_PART_ROWS", part_rows)
    set_clock(monkeypatch, "2022-03-11T21:00+08:00")
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    ids = [fk("case", "declare", p, "--sampled-at", "2022-03-11T08:00", "--isolated-at",
              "2022-03-11T20:00").stdout.strip() for p in ("P00001", "P00005", "P00006")]
    alone = {i: json.loads(fk("trace", i, "--format", "json").stdout) for i in ids}
    r = fk("trace", "--all-new", "--day", "2022-03-11", "--format", "json")
    assert r.exit_code == 0, r.output
    together = {d["case_id"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert together == alone
    assert any(p["category"] == "companion" for d in alone.values() for p in d["risk_persons"])
    assert fk("trace", ids[0], "--all-new").exit_code == 1
