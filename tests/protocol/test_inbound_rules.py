"""Inbound travellers (境外输入): the editions' measure, 8th-edition 双采双检 at release as schedule data, and the
bulletin's imported / local split (protocol.measures, protocol.origin): unit and property tests."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.edition import load_edition
from fangkong.protocol.measures import measure_for
from fangkong.protocol.origin import is_imported, split

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize("edition, days, then_kind, then_days, doubled", [
    ("8", 14, "home_monitoring", 7, True), ("9", 7, "home_monitoring", 3, False), ("20", 5, "home_isolation", 3, False)])
def test_inbound_measure_by_edition(edition, days, then_kind, then_days, doubled):
    """PROTOCOL-NOTES §2: 14 + 7 (8th), 7 + 3 (9th), 5 + 3 (20 measures), centralized first; from entry."""
    p = measure_for(load_edition(edition), "inbound", last_exposure_at=at(2022, 3, 11, 15), found_at=at(2022, 3, 11, 18),
                    tz=TZ)
    assert p.kind == "centralized_isolation" and p.then_kind == then_kind
    day0 = at(2022, 3, 12)
    assert p.phase_end_at == day0 + timedelta(days=days) and p.end_at == day0 + timedelta(days=days + then_days)
    release_day = (at(2022, 3, 11) + timedelta(days=days)).date()
    assert Counter(p.test_dates)[release_day] == (2 if doubled else 1)
    assert len(p.test_dates) - len(set(p.test_dates)) == (1 if doubled else 0)


def test_double_sampling_is_the_eighth_editions_close_contacts_and_inbound_only():
    for name in ("8", "9", "20"):
        e = load_edition(name)
        assert {c for c, r in e.measures.items() if r.release_samples > 1} == ({"close", "inbound"} if name == "8"
                                                                               else set())


@given(st.integers(0, 40), st.integers(0, 23), st.sampled_from(["8", "9", "20"]), st.sampled_from(["close", "inbound"]))
def test_release_day_has_its_samples_whenever_the_person_is_found(found_after, hour, edition, category):
    """However late the person is found (缺几天补几天), while the measure runs the release test day of the first
    phase carries `release_samples` tests, and none falls before the day found."""
    e = load_edition(edition)
    rule = e.measures[category]
    exposed = at(2022, 3, 10, 12)
    found = exposed + timedelta(days=found_after, hours=hour)
    p = measure_for(e, category, last_exposure_at=exposed, found_at=found, tz=TZ)
    if p.end_at <= found:
        assert p.test_dates == ()
        return
    found_day = found.date()
    assert all(d >= found_day for d in p.test_dates)
    release_day = max((exposed + timedelta(days=max(rule.test_days))).date(), found_day)
    assert Counter(p.test_dates)[release_day] >= rule.release_samples
    assert len(p.test_dates) - len(set(p.test_dates)) <= rule.release_samples - 1


def test_imported_when_declared_or_sampled_under_the_inbound_obligation():
    assert is_imported(declared_imported=True, categories_at_sampling=[])
    assert is_imported(declared_imported=False, categories_at_sampling=["close", "inbound"])
    assert not is_imported(declared_imported=False, categories_at_sampling=["close", "arrival_high"])


CASES = st.lists(st.tuples(st.sampled_from(["confirmed", "asymptomatic"]), st.booleans(), st.booleans()), max_size=30)


@given(CASES)
def test_the_split_reconciles(cases):
    """Imported + local = all new cases by status; 社会面 + 隔离管控中发现 = local; an imported case is neither."""
    s = split(cases)
    assert s.imported + s.local == len(cases)
    assert s.imported_confirmed + s.local_confirmed == sum(1 for st_, _, _ in cases if st_ == "confirmed")
    assert s.imported == sum(1 for _, imp, _ in cases if imp)
    assert s.local_community + s.local_under_control == s.local
    assert s.local_community == sum(1 for _, imp, ctrl in cases if not imp and not ctrl)
