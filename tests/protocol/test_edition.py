"""Every number of DOMAIN.md §4–§5, per edition."""

import pytest

from fangkong.protocol.edition import available_editions, load_edition


def test_editions_available():
    assert {"8", "9", "20"} <= set(available_editions())
    with pytest.raises(ValueError, match="unknown protocol edition"):
        load_edition("7")


@pytest.mark.parametrize("name", ["8", "9"])
def test_contact_rules(name):
    e = load_edition(name)
    assert e.window_days_before == 2
    assert e.venue_overlap_min == 15
    assert e.grid_overlap_min == 10
    assert e.companion_cell_hours == 30
    assert e.identify_secondary


def test_serial_screening_window_is_ninth_edition():
    assert load_edition("9").serial_screening_from_last_negative
    assert not load_edition("8").serial_screening_from_last_negative


@pytest.mark.parametrize("name", ["8", "9", "20"])
def test_default_dwell_per_venue_kind(name):
    e = load_edition(name)
    expected = {"school": 480, "office": 480, "hotel": 720, "shop": 30, "restaurant": 60, "transport": 60,
                "hospital": 120, "testing_site": 10}
    for kind, minutes in expected.items():
        assert e.dwell_for(kind) == minutes
    assert e.dwell_for("residential") == 60
    assert e.dwell_for(None) == 60


def test_ninth_edition_measures():
    m = load_edition("9").measures
    assert (m["close"].kind, m["close"].days, m["close"].test_days) == ("centralized_isolation", 7, (1, 2, 3, 5, 7))
    assert (m["close"].then_kind, m["close"].then_days, m["close"].then_test_days) == ("home_monitoring", 3, (3,))
    assert (m["secondary"].kind, m["secondary"].days, m["secondary"].test_days) == ("home_isolation", 7, (1, 4, 7))
    assert m["secondary"].upstream_tests_required == 2
    assert (m["arrival_high"].kind, m["arrival_high"].days, m["arrival_high"].test_days) == \
        ("centralized_isolation", 7, (1, 2, 3, 5, 7))
    assert (m["arrival_medium"].kind, m["arrival_medium"].days, m["arrival_medium"].test_days) == \
        ("home_isolation", 7, (1, 4, 7))
    assert len(m["arrival_low"].test_days) == 2 and m["arrival_low"].days == 3


def test_eighth_edition_measures():
    m = load_edition("8").measures
    assert (m["close"].kind, m["close"].days, m["close"].test_days) == ("centralized_isolation", 14, (1, 4, 7, 14))
    assert (m["close"].then_kind, m["close"].then_days) == ("home_monitoring", 7)
    assert (m["secondary"].kind, m["secondary"].days) == ("centralized_isolation", 7)
    assert (m["companion"].kind, m["companion"].days) == ("home_isolation", 7)
    assert m["sealed_resident"].days == 14 and m["sealed_resident"].test_days == tuple(range(1, 15))


def test_twenty_measures():
    e = load_edition("20")
    assert (e.measures["close"].days, e.measures["close"].test_days) == (5, (1, 2, 3, 5))
    assert (e.measures["close"].then_days, e.measures["close"].then_test_days) == (3, (1, 3))
    assert not e.identify_secondary


def test_zone_lifting_numbers():
    z9 = load_edition("9").zones
    assert z9["high_to_medium_days"] == 7 and z9["high_to_medium_round"]
    assert z9["medium_to_low_after_high_days"] == 3
    assert z9["medium_to_low_days"] == 7 and z9["medium_to_low_round"]
    z8 = load_edition("8").zones
    assert z8["sealed_lift_days"] == 14 and z8["lift_round_within_days"] == 2


def test_code_colours():
    e = load_edition("9")
    assert {"case", "suspected", "close"} <= set(e.red)
    assert {"secondary", "companion", "overdue_test"} <= set(e.yellow)
