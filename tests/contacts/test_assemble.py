"""contacts.assemble: the set-based rules give what the per-row rules they replace gave."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.contacts import assemble

ZONES = [ZoneInfo(z) for z in ("Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata", "Europe/London")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4_102_444_800), min_size=1, max_size=50),
       st.sampled_from(ZONES))
def test_iso_times_match_datetime_isoformat(values, tz):
    got = assemble.iso_times(pa.array(values, pa.int64()), tz).to_pylist()
    assert got == [datetime.fromtimestamp(v, tz).isoformat() for v in values]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-2**33, max_value=2**33), min_size=1, max_size=50), st.sampled_from(ZONES))
def test_iso_times_match_datetime_isoformat_over_centuries(values, tz):
    got = assemble.iso_times(pa.array(values, pa.int64()), tz).to_pylist()
    assert got == [datetime.fromtimestamp(v, tz).isoformat() for v in values]


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London"])
def test_iso_times_on_the_days_the_clocks_change(zone):
    """Every second around each switch of 2022 and 2063 (a day with two offsets is formatted value by value),
    beside times of plain days."""
    tz = ZoneInfo(zone)
    values = [0, 1_650_000_000]
    for year in (2022, 2063):
        t = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
        offset = tz.utcoffset(datetime(year, 1, 1))
        for hour in range(0, 366 * 24):
            u = t + hour * 3600
            now = datetime.fromtimestamp(u, tz).utcoffset()
            if now != offset:
                values += list(range(u - 7200, u + 7200, 599))
                offset = now
    got = assemble.iso_times(pa.array(values, pa.int64()), tz).to_pylist()
    assert got == [datetime.fromtimestamp(v, tz).isoformat() for v in values]


def _epoch(*args) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


SEEDS = pa.table({"key": ["C1"], "case_fk": [1], "case_person_fk": [10], "case_person_id": ["P10"],
                  "case_phone": ["13900000010"]}, schema=assemble.SEEDS)
CHANGE = _epoch(2022, 3, 10)


def _owners():
    rows = [  # phone A: owned by P1 until the change, by P2 after; phone B: P3's contact phone and P4's (P3 first)
        ("A", -(2 ** 62), CHANGE, 0, 1, "P1", "A", "H1"), ("A", CHANGE, 2 ** 62, 0, 2, "P2", "A", "H2"),
        ("B", -(2 ** 62), 2 ** 62, 1, 4, "P4", "B", "H4"), ("B", -(2 ** 62), 2 ** 62, 1, 3, "P3", "B", "H3"),
        ("C", -(2 ** 62), 2 ** 62, 1, 10, "P10", "C", "H10"),  # the case's own person under another phone
    ]
    names = assemble.OWNERS.names
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}).cast(assemble.OWNERS)


def test_holders_name_each_phone_by_its_holder_at_the_time():
    found = pa.table({"key": ["C1"] * 6, "person_id": ["A", "A", "B", "D", "13900000010", "C"],
                      "via": ["13900000010"] * 6, "place": ["g1"] * 6,
                      "s": [CHANGE - 60, CHANGE, 100, 200, 300, 400], "e": [CHANGE, CHANGE + 900, 1000, 1100, 1200,
                                                                                1300]})
    got = assemble.holders(found, SEEDS, _owners(), rank=2).sort_by("s").to_pylist()
    assert [(r["who"], r["person_fk"], r["phone"]) for r in got] == [
        ("p:P3", 3, "B"),               # a contact phone: the earliest registered person
        ("t:D", None, "D"),             # nobody registered: the phone itself
        ("p:P1", 1, "A"),               # before the change of owner
        ("p:P2", 2, "A"),               # from the change on
    ]  # the case's own phone and the case's own person (under phone C) are no companions
    assert {r["via"] for r in got} == {"P10"} and {r["kind"] for r in got} == {"grid"}


def test_risk_rows_keep_the_highest_category_and_its_evidence_once():
    ev = assemble.evidence_table([
        ("C1", "p:P1", 0, 1, "P1", "A", "H1", "venue", "P10", "V1", 100, 2000),
        ("C1", "p:P1", 2, 1, "P1", "A", "H1", "grid", "P10", "g1", 50, 5000),     # lower category: dropped
        ("C1", "p:P1", 0, 1, "P1", "A", "H1", "venue", "P10", "V1", 100, 2000),   # the same evidence again
        ("C1", "p:P1", 0, 1, "P1", "A", "H1", "household", "P10", "H1", 0, 9000),
        ("C1", "t:D", 2, None, None, "D", None, "grid", "P10", "g2", 10, 20),
        ("C1", "p:P10", 0, 10, "P10", "C", "H10", "venue", "P10", "V1", 0, 10),    # the case itself
    ])
    overrides = pa.table({"case_fk": pa.array([1], pa.int64()), "who": ["t:D"], "category_rank": pa.array([3], pa.int8()),
                          "reason": ["同一人"]})
    rows = assemble.risk_rows([ev], SEEDS, overrides, ZoneInfo("Asia/Shanghai")).to_pylist()
    assert [(r["who"], r["found_rank"], r["rank"], r["override_reason"]) for r in rows] == [
        ("p:P1", 0, 0, None), ("t:D", 2, 3, "同一人")]
    import json
    p1 = json.loads(rows[0]["evidence"])
    assert [e["kind"] for e in p1] == ["household", "venue"]  # sorted by time, each piece once
    assert p1[1] == {"kind": "venue", "via": "P10", "place": "V1", "start": "1970-01-01T08:01:40+08:00",
                     "end": "1970-01-01T08:33:20+08:00"}
    assert (rows[0]["first_s"], rows[0]["last_s"]) == (0, 9000)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["C1", "C2"]), st.sampled_from(["p:P1", "p:P2", "p:P3", "t:D", "t:E"]),
                          st.integers(0, 3), st.integers(0, 50)), max_size=40),
       st.integers(1, 5))
def test_by_person_puts_each_persons_evidence_in_one_part(pieces, n):
    """The parts stored one after the other: each (case, person) in exactly one part, no piece lost or added."""
    ev = assemble.evidence_table([(k, who, r, None, None, who[2:], None, "grid", "P10", "g1", s, s + 600)
                                  for k, who, r, s in pieces])
    parts = assemble.by_person([ev], n)
    assert len(parts) == n
    home: dict[tuple, int] = {}
    for i, part in enumerate(parts):
        for k, who in zip(part["key"].to_pylist(), part["who"].to_pylist(), strict=True):
            assert home.setdefault((k, who), i) == i
    assert sorted(map(str, (r for p in parts for r in p.to_pylist()))) == sorted(map(str, ev.to_pylist()))
