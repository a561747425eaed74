"""Tracing uses the resolved identity: a person under two source keys is one risk person; phones follow owners."""

from __future__ import annotations

import json

from builders.city import person, venue, write_city, write_csv
from clihelp import fk
from test_flow import city


def second_source(folder):
    """A venue-code system's own keys for P00001 (the case), P00002 and P00003, with scans under them."""
    persons = [{**person(i), "person_id": f"VC-{i}", "phone": ""} for i in (1, 2, 3)] + [person(8)]
    v = lambda p, vid, s, e="": {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}  # noqa: E731
    visits = [v("VC-2", "V1", "2022-03-10T12:10", "2022-03-10T12:40"),   # P00002 again, at the case's venue
              v("VC-3", "V2", "2022-03-11T09:00", "2022-03-11T10:00"),   # P00003's visit, logged twice
              v("VC-1", "V3", "2022-03-10T19:00", "2022-03-10T20:00"),   # the case, under its other key
              v("P00008", "V3", "2022-03-10T19:10", "2022-03-10T19:50")]
    return write_city(folder, persons, [venue("V3")], visits)


def test_two_keys_one_risk_person_and_the_case_under_its_other_key(rollback_env, tmp_path):
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = fk("import", second_source(tmp_path / "vc"), "--source", "venue_codes")
    assert r.exit_code == 0, r.output
    # P00007's phone belonged to P00005 from noon on the day of the shared cell
    write_csv(tmp_path / "ph" / "person_phones.csv", [
        {"person_id": "P00007", "phone": "13800000007", "valid_from": "", "valid_to": "2022-03-10T12:00"},
        {"person_id": "P00005", "phone": "13800000007", "valid_from": "2022-03-10T12:00", "valid_to": ""}])
    assert fk("import", tmp_path / "ph").exit_code == 0
    r = fk("case", "declare", "VC-1", "--sampled-at", "2022-03-11T08:00", "--isolated-at", "2022-03-11T20:00")
    assert r.exit_code == 0, r.output
    r = fk("trace", r.stdout.strip(), "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    ids = [x["person_id"] for x in doc["risk_persons"]]
    assert len(ids) == len(set(ids)) and "P00001" not in ids
    cats = {x["person_id"]: x["category"] for x in doc["risk_persons"]}
    assert cats == {"P00002": "close", "P00003": "close", "P00008": "close", "P00004": "secondary",
                    "P00006": "secondary", "P00005": "companion"}
    p2 = next(x for x in doc["risk_persons"] if x["person_id"] == "P00002")
    assert [(e["kind"], e["via"], e["place"]) for e in p2["evidence"]] == [
        ("household", "P00001", "H1"), ("venue", "P00001", "V1")]
    p8 = next(x for x in doc["risk_persons"] if x["person_id"] == "P00008")
    assert p8["evidence"][0]["via"] == "VC-1" and p8["evidence"][0]["place"] == "V3"
