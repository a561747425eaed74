"""Zone rules: which places are sealed or controlled, and when a zone is lowered or lifted, per edition."""

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.edition import load_edition
from fangkong.protocol.grid import DEG_LAT, cell_centre, grid_id
from fangkong.protocol.zones import (
    ResidentDuty,
    RoundResult,
    ZoneState,
    clean_day,
    county_name,
    county_of,
    drawing,
    home_part,
    is_grid_cell,
    lift_check,
    plan_places,
    plan_places_for,
    resident_blockers,
    round_cover,
    surrounding_cells,
    zone_label,
)

TZ = ZoneInfo("Asia/Shanghai")
E8, E9, E20 = load_edition("8"), load_edition("9"), load_edition("20")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_home_and_long_stays_sealed_other_places_controlled():
    plan = plan_places({"HOME"}, {"OFFICE": 8 * 3600, "SHOP": 1800, "HOME": 60}, sealed_stay_s=4 * 3600)
    assert plan == {"HOME": "sealed", "OFFICE": "sealed", "SHOP": "controlled"}


def test_surrounding_cells_are_the_ring_around_each_cell():
    cells = surrounding_cells(["10:20"], 1)
    assert len(cells) == 9 and "9:19" in cells and "11:21" in cells and "10:20" in cells
    assert surrounding_cells(["10:20", "10:21"], 1) == cells | {"9:22", "10:22", "11:22"}
    assert surrounding_cells(["-1:-1"], 0) == {"-1:-1"}


def test_the_ring_surrounds_the_cell_where_columns_narrow_with_latitude():
    """At Taiyuan the column numbers of neighbouring rows are ~1.2 cells apart: "col ± 1" in each row was a
    sheared band. Every cell of the ring has its centre within one and a half cells of the cell's centre."""
    home = grid_id(37.85, 112.55)
    ring = surrounding_cells([home], 1)
    lat0, lon0 = cell_centre(home)
    width = DEG_LAT / math.cos(math.radians(lat0))
    assert len(ring) == 9 and home in ring
    for c in ring:
        lat, lon = cell_centre(c)
        assert abs(lat - lat0) < 1.5 * DEG_LAT and abs(lon - lon0) < 1.5 * width, (home, c)
    # the eight around the cell: the cells that hold the points one cell-width away in each direction
    around = {grid_id(lat0 + dy * DEG_LAT, lon0 + dx * width) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert around == ring


@given(st.floats(-60, 60), st.floats(-179, 179), st.integers(0, 2))
def test_property_every_ring_cell_is_within_ring_cells_of_the_centre(lat, lon, ring):
    home = grid_id(lat, lon)
    lat0, lon0 = cell_centre(home)
    out = surrounding_cells([home], ring)
    assert home in out and len(out) == (2 * ring + 1) ** 2
    for c in out:
        lat1, lon1 = cell_centre(c)
        width = DEG_LAT / math.cos(math.radians(lat1))
        assert abs(lat1 - lat0) <= (ring + 0.01) * DEG_LAT
        assert abs(lon1 - lon0) <= (ring + 1) * width, (home, c)


def test_ninth_high_to_medium_needs_seven_clean_days_and_a_day_seven_round():
    start = at(2022, 3, 14, 15)
    state = ZoneState("sealed", False, start)
    early = lift_check(E9, state, now=at(2022, 3, 20, 12), tz=TZ)
    assert not early.met and early.due_at == at(2022, 3, 22)
    assert early.missing[0].startswith("5 of 7 days without a new infection")
    assert "no testing round on or after day 2022-03-21" in early.missing[1]
    no_round = lift_check(E9, state, now=at(2022, 3, 22, 9), tz=TZ)
    assert no_round.missing == ("no testing round on or after day 2022-03-21",)
    ok = ZoneState("sealed", False, start, rounds=(RoundResult(date(2022, 3, 21), True),))
    check = lift_check(E9, ok, now=at(2022, 3, 22, 9), tz=TZ)
    assert check.met and check.to_level == "controlled"
    dirty = ZoneState("sealed", False, start, rounds=(RoundResult(date(2022, 3, 21), True),
                                                       RoundResult(date(2022, 3, 22), False)))
    assert lift_check(E9, dirty, now=at(2022, 3, 22, 20), tz=TZ).missing == (
        "the round of 2022-03-22 was not all negative",)
    pending = ZoneState("sealed", False, start, rounds=(RoundResult(date(2022, 3, 21), False, complete=False),))
    assert lift_check(E9, pending, now=at(2022, 3, 22, 9), tz=TZ).missing == (
        "the round of 2022-03-21 still has results outstanding",)


def test_ninth_former_high_area_lifted_after_three_more_days_without_round():
    state = ZoneState("controlled", True, at(2022, 3, 22))
    assert not lift_check(E9, state, now=at(2022, 3, 25, 23), tz=TZ).met
    check = lift_check(E9, state, now=at(2022, 3, 26), tz=TZ)
    assert check.met and check.to_level is None


def test_ninth_original_medium_area_needs_seven_days_and_a_round():
    state = ZoneState("controlled", False, at(2022, 3, 14, 10))
    assert lift_check(E9, state, now=at(2022, 3, 26), tz=TZ).missing == (
        "no testing round on or after day 2022-03-21",)
    state = ZoneState("controlled", False, at(2022, 3, 14, 10), rounds=(RoundResult(date(2022, 3, 21), True),))
    assert lift_check(E9, state, now=at(2022, 3, 22), tz=TZ).met


def test_twenty_measures_lift_high_directly_after_five_days():
    check = lift_check(E20, ZoneState("sealed", False, at(2022, 11, 14, 8)), now=at(2022, 11, 20), tz=TZ)
    assert check.met and check.to_level is None
    assert not lift_check(E20, ZoneState("sealed", False, at(2022, 11, 14, 8)), now=at(2022, 11, 19, 23),
                          tz=TZ).met


def test_eighth_three_zone_rule_needs_contacts_clear_and_a_recent_round():
    start = at(2021, 8, 1, 10)
    now = at(2021, 8, 16, 9)
    old_round = ZoneState("sealed", False, start, rounds=(RoundResult(date(2021, 8, 12), True),))
    assert lift_check(E8, old_round, now=now, tz=TZ).missing == ("no testing round within 2 days before lifting",)
    recent = (RoundResult(date(2021, 8, 15), True),)
    contacts = ZoneState("sealed", False, start, rounds=recent, contacts_clear=False)
    assert "close contact" in lift_check(E8, contacts, now=now, tz=TZ).missing[0]
    check = lift_check(E8, ZoneState("sealed", False, start, rounds=recent), now=now, tz=TZ)
    assert check.met and check.to_level is None


def test_precaution_lifts_only_when_the_stricter_zones_are_gone():
    assert not lift_check(E9, ZoneState("precaution", False, at(2022, 3, 1), open_stricter_zones=2),
                          now=at(2022, 4, 1), tz=TZ).met
    assert lift_check(E9, ZoneState("precaution", False, at(2022, 3, 1)), now=at(2022, 3, 1, 1), tz=TZ).met


_times = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2023, 1, 1), timezones=st.just(TZ))
_rounds = st.lists(st.builds(RoundResult, st.dates(date(2021, 1, 1), date(2023, 2, 1)), st.booleans()), max_size=6)
_states = st.builds(ZoneState, st.sampled_from(["sealed", "controlled"]), st.booleans(), _times,
                    _rounds.map(tuple), st.booleans())


@given(_states, st.sampled_from([E9, E20]), _times, st.integers(0, 400))
def test_property_a_met_step_stays_met_later_without_new_rounds(state, edition, now, hours):
    """9th and 二十条: once a step is met it stays met (no round newer than `now` is added)."""
    state = ZoneState(state.level, state.was_sealed, state.clock_from,
                      tuple(r for r in state.rounds if r.day <= now.astimezone(TZ).date()), state.contacts_clear)
    if lift_check(edition, state, now=now, tz=TZ).met:
        assert lift_check(edition, state, now=now + timedelta(hours=hours), tz=TZ).met


@given(_states, st.sampled_from([E8, E9, E20]), _times, st.integers(1, 30 * 24))
def test_property_never_met_before_due_and_a_new_case_never_helps(state, edition, now, hours):
    check = lift_check(edition, state, now=now, tz=TZ)
    if check.met:
        assert now >= check.due_at
        assert now.astimezone(TZ).date() > clean_day(state.clock_from, 0, TZ)
    later_case = ZoneState(state.level, state.was_sealed, state.clock_from + timedelta(hours=hours), state.rounds,
                           state.contacts_clear)
    if not check.met:
        assert not lift_check(edition, later_case, now=now, tz=TZ).met


@given(st.sets(st.text("ABC", min_size=1, max_size=2), max_size=3),
       st.dictionaries(st.text("ABC", min_size=1, max_size=2), st.integers(0, 86_400), max_size=6),
       st.integers(1, 86_400))
def test_property_every_place_gets_one_level_and_home_is_sealed(home, stays, limit):
    plan = plan_places(home, stays, sealed_stay_s=limit)
    assert set(plan) == set(home) | set(stays)
    assert all(plan[h] == "sealed" for h in home)
    assert all((plan[p] == "sealed") == (p in home or s >= limit) for p, s in stays.items())


def test_a_round_that_leaves_residents_out_is_no_round_of_the_zone():
    start = datetime(2022, 3, 12, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    part = ZoneState("sealed", False, start, rounds=(RoundResult(date(2022, 3, 19), True, tested=1, residents=20),))
    c = lift_check(load_edition("9"), part, now=start + timedelta(days=8), tz=ZoneInfo("Asia/Shanghai"))
    assert not c.met and c.missing == ("the round of 2022-03-19 tested 1 of the zone's 20 residents and accounted "
                                       "for 0: every resident must be tested or accounted for with a reason",)
    whole = ZoneState("sealed", False, start, rounds=(RoundResult(date(2022, 3, 19), True, tested=20, residents=20),))
    assert lift_check(load_edition("9"), whole, now=start + timedelta(days=8), tz=ZoneInfo("Asia/Shanghai")).met


# --- drawing by edition (issue 23, reproduction 8; PROTOCOL-NOTES §3-4) ---

def test_editions_draw_their_own_levels_home_and_low_area():
    assert drawing(E8).levels == drawing(E9).levels == ("sealed", "controlled", "precaution")
    assert drawing(E20).levels == ("sealed", "precaution")
    assert drawing(E8).home_by == drawing(E9).home_by == "compound" and drawing(E20).home_by == "building"
    assert {drawing(e).low_area for e in (E8, E9, E20)} == {"district"}
    assert zone_label(E20, "sealed") == "高风险区" and zone_label(E9, "controlled") == "管控区（中风险区）"


def test_the_20_measures_zone_no_visit_as_medium():
    stays = {"OFFICE": 8 * 3600, "SHOP": 1800}
    assert plan_places_for(E9, {"HOME"}, stays) == {"HOME": "sealed", "OFFICE": "sealed", "SHOP": "controlled"}
    assert plan_places_for(E20, {"HOME"}, stays) == {"HOME": "sealed", "OFFICE": "sealed"}


@given(st.sets(st.text("ABC", min_size=1, max_size=2), max_size=3),
       st.dictionaries(st.text("ABCD", min_size=1, max_size=2), st.integers(0, 10 * 3600), max_size=5))
def test_property_an_edition_draws_only_its_levels_and_drops_only_medium(home, stays):
    for e in (E8, E9, E20):
        plan = plan_places_for(e, home, stays)
        full = plan_places(home, stays, sealed_stay_s=drawing(e).sealed_stay_s)
        assert set(plan.values()) <= set(drawing(e).levels)
        assert plan == {p: lv for p, lv in full.items() if lv in drawing(e).levels}
        assert all(plan[h] == "sealed" for h in home)


def test_home_part_reads_the_building_or_unit_after_the_compound():
    a = "太原市迎泽区龙城花园12号楼3单元101室"
    assert home_part(a, "龙城花园", "building") == "12号楼"
    assert home_part(a, "龙城花园", "unit") == "12号楼3单元"
    assert home_part("场所R1 5栋 1单元", "场所R1", "unit") == "5栋1单元"
    assert home_part("龙城花园三幢", "龙城花园", "unit") == "三幢"  # no unit named: the building
    assert home_part("太原市迎泽区龙城花园", "龙城花园", "building") is None
    assert home_part("汾河小区5号楼", "龙城花园", "building") is None
    assert home_part(None, "龙城花园", "building") is None


@given(st.integers(1, 999), st.integers(1, 99), st.sampled_from(["号楼", "栋", "幢", "座"]),
       st.text("路街号室0123456789", max_size=6))
def test_property_the_building_read_is_the_one_written_and_no_other(b, u, word, tail):
    a = f"太原市迎泽区龙城花园{b}{word}{u}单元{tail}"
    assert home_part(a, "龙城花园", "building") == f"{b}{word}"
    assert home_part(a, "龙城花园", "unit") == f"{b}{word}{u}单元"
    other = f"太原市迎泽区龙城花园{b + 1}{word}{u}单元{tail}"
    assert home_part(other, "龙城花园", "building") != home_part(a, "龙城花园", "building")


def test_county_of_and_its_name():
    assert county_of("140105001001") == "140105" and county_of("140105") == "140105"
    assert county_of("1401") is None and county_of("140100") is None and county_of("") is None
    assert county_of(None) is None and county_of("abc105001001") is None
    assert county_name("太原市迎泽区龙城花园1号楼") == "迎泽区" and county_name("迎泽街1号") is None


def test_rings_skip_cells_that_are_not_row_col():
    assert surrounding_cells(["G035031"], 1) == set()
    assert surrounding_cells(["G035031", "10:20"], 0) == {"10:20"}
    assert not is_grid_cell("G035031") and not is_grid_cell("1:2:3") and is_grid_cell("-4:12345")


@given(st.lists(st.one_of(st.text(max_size=8), st.builds(lambda r, c: f"{r}:{c}", st.integers(-99, 99),
                                                           st.integers(-99, 99))), max_size=5), st.integers(0, 2))
def test_property_rings_never_fail_and_hold_every_row_col_cell(cells, ring):
    out = surrounding_cells(cells, ring)
    assert {c for c in cells if is_grid_cell(c)} <= out
    assert len(out) <= (2 * ring + 1) ** 2 * len(cells)


# --- lifting rounds cover the residents; residents' results hold the lifting (issue 23, reproduction 7) ---

def test_a_round_with_the_absent_accounted_for_covers_the_zone_and_names_who_is_left():
    start = at(2022, 3, 12, 9)
    short = RoundResult(date(2022, 3, 19), True, tested=17, residents=20, accounted=2, unaccounted=("P00009",))
    c = lift_check(E9, ZoneState("sealed", False, start, rounds=(short,)), now=start + timedelta(days=8), tz=TZ)
    assert c.missing == ("the round of 2022-03-19 tested 17 of the zone's 20 residents and accounted for 2: every "
                         "resident must be tested or accounted for with a reason (not tested, no reason recorded: "
                         "P00009)",)
    full = RoundResult(date(2022, 3, 19), True, tested=17, residents=20, accounted=3)
    assert lift_check(E9, ZoneState("sealed", False, start, rounds=(full,)), now=start + timedelta(days=8), tz=TZ).met


def test_round_cover_counts_tested_then_accounted_then_names_the_rest():
    assert round_cover(["a", "b", "c", "d"], ["a", "x"], {"a": "died", "b": "moved_out", "x": "in_hospital"}) == (
        1, 1, ("c", "d"))
    assert round_cover([], ["a"], {}) == (0, 0, ())


@given(st.sets(st.sampled_from("abcdefgh")), st.sets(st.sampled_from("abcdefghxy")),
       st.dictionaries(st.sampled_from("abcdefghxy"), st.sampled_from(["moved_out", "died", ""])))
def test_property_every_resident_is_exactly_one_of_tested_accounted_or_named(residents, tested, reasons):
    t, a, left = round_cover(residents, tested, reasons)
    assert t + a + len(left) == len(residents)
    assert set(left) <= residents and not set(left) & tested
    assert all(not reasons.get(p) for p in left)
    assert list(left) == sorted(left)


def test_lifting_waits_for_every_risk_person_living_in_the_zone_lowering_does_not():
    start = at(2022, 3, 12, 9)
    rounds = (RoundResult(date(2022, 3, 19), True),)
    duties = (ResidentDuty("P00004", "secondary", "C000002"), ResidentDuty("P00002", "close", "C000001", True))
    high = ZoneState("sealed", False, start, rounds=rounds, resident_duties=duties)
    assert lift_check(E9, high, now=at(2022, 3, 20, 9), tz=TZ).met  # lowered to medium: no such condition
    medium = ZoneState("controlled", True, at(2022, 3, 20, 9), resident_duties=duties)
    c = lift_check(E9, medium, now=at(2022, 3, 24, 9), tz=TZ)
    assert c.missing == ("2 risk persons living in the zone still need results: P00002 (close of C000001, overdue), "
                         "P00004 (secondary of C000002)",)
    assert lift_check(E9, ZoneState("controlled", True, at(2022, 3, 20, 9)), now=at(2022, 3, 24, 9), tz=TZ).met
    # the 20 measures lift a high area directly: the residents hold it
    c20 = lift_check(E20, ZoneState("sealed", False, start, resident_duties=duties[:1]), now=at(2022, 3, 18, 9),
                     tz=TZ)
    assert c20.missing == ("1 risk person living in the zone still needs results: P00004 (secondary of C000002)",)


@given(st.lists(st.builds(ResidentDuty, st.sampled_from(["P1", "P2", "P3"]), st.sampled_from(["close", "inbound"]),
                          st.sampled_from([None, "C000001"]), st.booleans()), max_size=6))
def test_property_resident_blockers_name_every_person_and_only_when_there_are_some(duties):
    m = resident_blockers(duties)
    assert (m is None) == (not duties)
    for d in duties:
        assert d.person_id in m
