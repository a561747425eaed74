"""The two-code check's rule (protocol.twocode): the travel card of the day, and the 48 h counted from sampling."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.twocode import card_rule, proof_holds, reasons, scheduled_sample_at

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_the_card_and_its_star_by_day():
    assert card_rule(at(2022, 6, 28, 23, 59)).star and card_rule(at(2022, 6, 28, 23, 59)).card
    assert not card_rule(at(2022, 6, 29, 0, 0)).star and card_rule(at(2022, 6, 29)).card
    assert card_rule(at(2022, 12, 12, 23, 59)).card and not card_rule(at(2022, 12, 13, 0, 0)).card


def test_reasons_follow_the_rule_of_the_day():
    common = dict(colour="green", allowed=["green"], has_phone=True, starred_cities=["太原市"], proof=True, hours=48)
    assert reasons(rule=card_rule(at(2022, 6, 20)), **common) == ["risk_city:太原市"]
    assert reasons(rule=card_rule(at(2022, 7, 11)), **common) == []
    assert reasons(rule=card_rule(at(2022, 12, 20)), **dict(common, has_phone=False)) == []
    assert reasons(rule=card_rule(at(2022, 7, 11)), **dict(common, has_phone=False, colour="yellow",
                                                              proof=False)) == \
        ["code:yellow", "no_travel_card", "no_negative_test_48h"]


def test_the_proof_counts_from_the_sample_and_needs_its_result_known():
    check = at(2022, 7, 11, 10)
    assert proof_holds(at(2022, 7, 9, 10), at(2022, 7, 9, 20), check, 48)
    assert not proof_holds(at(2022, 7, 9, 9, 59), at(2022, 7, 10, 20), check, 48)   # 48 h 1 min since the swab
    assert not proof_holds(at(2022, 7, 10, 8), at(2022, 7, 11, 11), check, 48)      # result after the check
    assert scheduled_sample_at(date(2022, 7, 9), at(2022, 7, 10, 20), TZ) == at(2022, 7, 9, 0)


@given(st.integers(0, 96 * 60), st.integers(0, 48 * 60), st.integers(1, 72))
def test_property_a_proof_never_lasts_longer_than_its_hours_from_the_sample(ago_min, lab_min, hours):
    check = at(2022, 7, 11, 10)
    sampled = check - timedelta(minutes=ago_min)
    reported = sampled + timedelta(minutes=lab_min)
    ok = proof_holds(sampled, reported, check, hours)
    assert ok == (ago_min <= hours * 60 and reported <= check)
