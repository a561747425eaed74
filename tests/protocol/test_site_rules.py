"""Isolation-site rules: the reserve, room planning (one group per room, nearest site), the free-room forecast."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.sites import (
    Group,
    SiteRooms,
    distance_km,
    free_room_forecast,
    plan_rooms,
    reserve_needed,
    reserve_ratio,
)

TZ = ZoneInfo("Asia/Shanghai")


def test_reserve_twenty_rooms_per_ten_thousand():
    assert reserve_needed(10_000) == 20 and reserve_needed(10_001) == 21 and reserve_needed(0) == 0
    assert reserve_needed(626_500) == 1253  # seed 002: 15 sites, 1 253 rooms
    assert reserve_ratio(1253, 626_500) == 20.0 and reserve_ratio(5, 0) is None


def test_distance():
    assert round(distance_km(37.87, 112.55, 37.87, 112.55), 6) == 0
    assert 110 < distance_km(37.0, 112.0, 38.0, 112.0) < 112


def test_nearest_site_households_together_one_group_per_room():
    sites = [SiteRooms("FAR", "140106", 38.5, 112.5, [("f1", 1), ("f2", 1), ("f3", 1)]),
             SiteRooms("NEAR", "140105", 37.87, 112.55, [("n1", 2), ("n2", 1)])]
    plan = plan_rooms([Group("H1", 3, 37.87, 112.56), Group("p:P9", 1, 37.87, 112.56),
                       Group("p:P8", 1, 37.87, 112.56)], sites)
    assert plan["H1"] == ("NEAR", [("n1", 2), ("n2", 1)])  # the household shares the 2-bed room
    assert plan["p:P9"] == ("FAR", [("f1", 1)]) and plan["p:P8"] == ("FAR", [("f2", 1)])
    assert sites[0].rooms == [("f3", 1)]


def test_a_single_person_takes_a_whole_room_and_groups_that_fit_nowhere_are_left_out():
    sites = [SiteRooms("S", "140105", None, None, [("r1", 4)])]
    plan = plan_rooms([Group("p:A", 1, community="140105001001"), Group("H", 2, community="140105001001")], sites)
    assert plan == {"p:A": ("S", [("r1", 1)])}


def test_without_coordinates_the_most_local_site_wins():
    sites = [SiteRooms("CITY", "1401", None, None, [("c1", 1)]), SiteRooms("DIST", "140105", None, None, [("d1", 1)])]
    assert plan_rooms([Group("p:A", 1, community="140105001001")], sites)["p:A"][0] == "DIST"


_site = st.builds(lambda k, lat, rooms: SiteRooms(k, "140105", 37.8 + lat, 112.5, [(f"{k}{i}", b) for i, b in
                                                                                   enumerate(rooms)]),
                  st.text("ABC", min_size=1, max_size=2), st.floats(0, 0.5),
                  st.lists(st.integers(1, 3), max_size=6))
_group = st.builds(Group, st.text("GHIJ", min_size=1, max_size=3), st.integers(1, 4), st.floats(37.8, 38.3),
                   st.just(112.5))


@given(st.lists(_site, max_size=4, unique_by=lambda s: s.key), st.lists(_group, max_size=8, unique_by=lambda g: g.key))
def test_planned_rooms_are_never_shared_or_overfilled_and_sites_are_nearest_with_room(sites, groups):
    beds = {r: b for s in sites for r, b in s.rooms}
    before = {s.key: list(s.rooms) for s in sites}
    where = {s.key: (s.lat, s.lon) for s in sites}
    plan = plan_rooms(groups, sites)
    used = [r for _, rooms in plan.values() for r, _ in rooms]
    assert len(used) == len(set(used))  # one group per room
    for g in groups:
        if g.key not in plan:
            continue
        site, rooms = plan[g.key]
        assert sum(n for _, n in rooms) == g.size and all(n <= beds[r] for r, n in rooms)
        assert all(r in dict(before[site]) for r, _ in rooms)
        if g.size == 1:
            assert len(rooms) == 1
    # replay: each group went to the nearest site that still had room for it at its turn
    free = {k: list(v) for k, v in before.items()}
    for g in groups:
        fits = [k for k, rooms in free.items()
                if (sum(b for _, b in rooms) >= g.size if g.size > 1 else len(rooms) >= 1)]
        if g.key not in plan:
            assert not [k for k in fits if len(free[k]) >= 1 and g.size == 1]
            continue
        chosen = plan[g.key][0]
        best = min(distance_km(g.lat, g.lon, *where[k]) for k in fits)
        assert abs(distance_km(g.lat, g.lon, *where[chosen]) - best) < 1e-9
        taken = {r for r, _ in plan[g.key][1]}
        free[chosen] = [x for x in free[chosen] if x[0] not in taken]


def test_forecast_counts_rooms_freed_by_each_day():
    releases = [datetime(2022, 3, 15, 0, tzinfo=TZ), datetime(2022, 3, 15, 10, tzinfo=TZ),
                datetime(2022, 3, 18, tzinfo=TZ)]
    rows = free_room_forecast(2, releases, today=date(2022, 3, 14), days=7, tz=TZ)
    assert rows[0] == (date(2022, 3, 14), 3)  # the midnight release counts at the end of the 14th
    assert rows[1] == (date(2022, 3, 15), 4) and rows[3] == (date(2022, 3, 17), 5) and len(rows) == 7


@given(st.integers(0, 50), st.lists(st.datetimes(min_value=datetime(2022, 3, 1), max_value=datetime(2022, 4, 1),
                                                   timezones=st.just(TZ)), max_size=20))
def test_forecast_never_falls_and_ends_at_most_all_rooms(free_now, releases):
    rows = free_room_forecast(free_now, releases, today=date(2022, 3, 10), days=7, tz=TZ)
    counts = [n for _, n in rows]
    assert counts == sorted(counts) and free_now <= counts[0] and counts[-1] <= free_now + len(releases)
