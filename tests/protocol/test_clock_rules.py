"""The clock and the team rules: deadlines parsed and applied, team make-up, which free team takes a case."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.deadlines import (
    DEFAULT_DEADLINES,
    SAME_DAY,
    deadline_table,
    due_at,
    format_deadline,
    parse_deadline,
)
from fangkong.protocol.teams import TeamLoad, check_members, pick_team

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text,expected", [("2h", timedelta(hours=2)), ("90m", timedelta(minutes=90)),
                                           ("1h30m", timedelta(minutes=90)), ("1d", timedelta(days=1)),
                                           ("1.5", timedelta(minutes=90)), (3, timedelta(hours=3)),
                                           ("0m", timedelta(0)), ("same_day", SAME_DAY)])
def test_parse_deadline(text, expected):
    assert parse_deadline(text) == expected


@pytest.mark.parametrize("text", ["", "2x", "h", "2h 30", "-1h", "31d", True, 10_000, "1h2h3"])
def test_bad_deadline_is_refused(text):
    with pytest.raises(ValueError):
        parse_deadline(text)


@given(st.integers(min_value=0, max_value=30 * 24 * 60))
def test_format_then_parse_is_identity(minutes):
    rule = timedelta(minutes=minutes)
    assert parse_deadline(format_deadline(rule)) == rule


def test_defaults_follow_domain_section_3():
    table = deadline_table()
    assert table["case_placed"] == timedelta(hours=1) and table["team_assigned"] == timedelta(0)
    assert table["contacts_placed"] == timedelta(hours=3) and table["contact_centralized"] == timedelta(hours=8)
    assert table["verified"] == SAME_DAY and set(DEFAULT_DEADLINES) < set(table)


def test_overrides_replace_defaults_and_unknown_steps_fail():
    assert deadline_table({"contacts_placed": "2h"})["contacts_placed"] == timedelta(hours=2)
    with pytest.raises(ValueError, match="unknown deadline step 'nap'"):
        deadline_table({"nap": "1h"})


def test_same_day_ends_at_local_midnight():
    start = datetime(2022, 3, 14, 23, 30, tzinfo=TZ)
    assert due_at(SAME_DAY, start, TZ) == datetime(2022, 3, 15, tzinfo=TZ)
    assert due_at(timedelta(hours=8), start, TZ) == start + timedelta(hours=8)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(TZ)))
def test_same_day_is_after_start_and_on_the_next_midnight(start):
    due = due_at(SAME_DAY, start, TZ)
    assert start < due <= start + timedelta(days=1)
    assert due.astimezone(TZ).time().hour == 0 and due.astimezone(TZ).date() == start.date() + timedelta(days=1)


def test_team_make_up():
    assert check_members(["cdc", "medical", "police"]) is None
    assert check_members(["cdc", "cdc", "police", "medical"]) is None
    assert "2 CDC/medical" in check_members(["cdc", "police", "police"])
    assert "1 police" in check_members(["cdc", "medical"])
    assert "unknown role 'driver'" in check_members(["cdc", "medical", "police", "driver"])


def test_pick_least_loaded_then_most_local():
    teams = [TeamLoad("A", "140105", 1, 2), TeamLoad("B", "140105", 0, 2), TeamLoad("C", "1401", 0, 2),
             TeamLoad("D", "140106", 0, 2)]
    assert pick_team(teams, "140105001001") == "B"
    assert pick_team([TeamLoad("A", "140105", 2, 2)], "140105001001") is None
    assert pick_team(teams, "140107001001") == "C"
    assert pick_team(teams, None) is None


_team = st.builds(TeamLoad, key=st.text("ABCDEF", min_size=1, max_size=3),
                  jurisdiction=st.sampled_from(["14", "1401", "140105", "140106", "140105001"]),
                  load=st.integers(0, 4), max_cases=st.integers(1, 4))


@given(st.lists(_team, max_size=8), st.sampled_from(["140105001001", "140106002003", "150101001001"]))
def test_picked_team_covers_is_free_and_least_loaded(teams, community):
    key = pick_team(teams, community)
    free = [t for t in teams if community.startswith(t.jurisdiction) and t.load < t.max_cases]
    if not free:
        assert key is None
        return
    chosen = [t for t in free if t.key == key]
    assert chosen and min(t.load for t in chosen) == min(t.load for t in free)
