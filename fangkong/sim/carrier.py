"""Carrier dwell records that follow the people's venue visits: home, travel, venue cells."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fangkong.protocol.grid import DEG_LAT, grid_id
from fangkong.sim.movement import DayVisits
from fangkong.sim.population import KM_LAT, KM_LON, Population
from fangkong.sim.venues import Venues

__all__ = ["DayDwells", "day_dwells", "grid_cells", "towers"]

_TOWER_LAT = 0.003    # cell sites on a ~330 m lattice: what a carrier record locates
_TOWER_LON = 0.0038
_HOP = 20 * 60        # shorter trips leave no record of the cells passed on the way
_DIRECT = 90 * 60     # a longer gap between two visits is spent at home


@dataclass
class DayDwells:
    person: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    row: np.ndarray
    col: np.ndarray
    start: np.ndarray   # seconds after local midnight
    end: np.ndarray


def towers(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cell site serving a point."""
    return (np.round(np.round(lat / _TOWER_LAT) * _TOWER_LAT, 6),
            np.round(np.round(lon / _TOWER_LON) * _TOWER_LON, 6))


def grid_cells(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of `fangkong.protocol.grid.grid_id`, vectorised; points whose column lies within
    rounding noise of a cell edge are redone with the scalar formula so both always agree."""
    row = np.floor(lat / DEG_LAT)
    centre = (row + 0.5) * DEG_LAT
    x = lon * np.cos(np.radians(centre)) / DEG_LAT
    row, col = row.astype(np.int64), np.floor(x).astype(np.int64)
    for i in np.flatnonzero(np.abs(x - np.rint(x)) < 1e-6):
        r, c = grid_id(float(lat[i]), float(lon[i])).split(":")
        row[i], col[i] = int(r), int(c)
    return row, col


def _midway(rng, lat_a, lon_a, lat_b, lon_b):
    """A point on the way between two places, off the straight line by a few hundred metres."""
    n = len(lat_a)
    return ((lat_a + lat_b) / 2 + rng.normal(0, 0.3, n) * KM_LAT,
            (lon_a + lon_b) / 2 + rng.normal(0, 0.3, n) * KM_LON)


class _Records:
    def __init__(self):
        self.columns: list[list[np.ndarray]] = [[], [], [], [], []]

    def add(self, person, lat, lon, start, end) -> None:
        for column, values in zip(self.columns, (person, lat, lon, start, end), strict=True):
            column.append(np.asarray(values))

    def arrays(self) -> list[np.ndarray]:
        return [np.concatenate(c) for c in self.columns]


def _trip(rng, rec: _Records, person, a: tuple, b: tuple, start, end, short_at: tuple) -> None:
    """Travel from place `a` to place `b`; a short trip leaves no cell record of its own, so the
    phone is counted at `short_at` (one of the two ends) meanwhile."""
    lat, lon = _midway(rng, *a, *b)
    short = end - start < _HOP
    rec.add(person, np.where(short, short_at[0], lat), np.where(short, short_at[1], lon), start, end)


def _between(rng, rec: _Records, v: DayVisits, venue: tuple, home: tuple) -> None:
    """Travel, and time at home when the gap is long, between consecutive visits of a person."""
    same = np.flatnonzero(v.person[1:] == v.person[:-1]) + 1
    gap = v.enter[same] - v.leave[same - 1]
    direct, long = same[gap <= _DIRECT], same[gap > _DIRECT]
    before = (venue[0][direct - 1], venue[1][direct - 1])
    _trip(rng, rec, v.person[direct], before, (venue[0][direct], venue[1][direct]),
          v.leave[direct - 1], v.enter[direct], before)
    p, at_home = long - 1, (home[0][long], home[1][long])
    out = v.leave[p] + rng.integers(10 * 60, 35 * 60, len(long))
    back = v.enter[long] - rng.integers(10 * 60, 35 * 60, len(long))
    _trip(rng, rec, v.person[long], (venue[0][p], venue[1][p]), at_home, v.leave[p], out, at_home)
    rec.add(v.person[long], *at_home, out, back)
    _trip(rng, rec, v.person[long], at_home, (venue[0][long], venue[1][long]), back, v.enter[long], at_home)


def _records(rng, v: DayVisits, pop: Population, venues: Venues, idle: np.ndarray,
             day_seconds: int) -> _Records:
    """Home until leaving for the first visit, the visits and the ways between, home again; people
    who went nowhere stay home all day."""
    rec = _Records()
    venue, home = (venues.lat[v.venue], venues.lon[v.venue]), pop.home(v.person)
    rec.add(v.person, *venue, v.enter, v.leave)
    f = np.flatnonzero(np.r_[True, v.person[1:] != v.person[:-1]] if len(v) else [])
    f_home, f_venue = (home[0][f], home[1][f]), (venue[0][f], venue[1][f])
    leave_home = v.enter[f] - np.minimum(rng.integers(10 * 60, 35 * 60, len(f)), v.enter[f] - 60)
    rec.add(v.person[f], *f_home, np.zeros(len(f), np.int64), leave_home)
    _trip(rng, rec, v.person[f], f_home, f_venue, leave_home, v.enter[f], f_venue)
    _between(rng, rec, v, venue, home)
    e = np.flatnonzero(np.r_[v.person[1:] != v.person[:-1], True] if len(v) else [])
    e_home, e_venue = (home[0][e], home[1][e]), (venue[0][e], venue[1][e])
    arrive = np.minimum(v.leave[e] + rng.integers(10 * 60, 35 * 60, len(e)), day_seconds)
    _trip(rng, rec, v.person[e], e_venue, e_home, v.leave[e], arrive, e_venue)
    rec.add(v.person[e], *e_home, arrive, np.full(len(e), day_seconds))
    rec.add(idle, *pop.home(idle), np.zeros(len(idle), np.int64), np.full(len(idle), day_seconds))
    return rec


def _merge(d: DayDwells) -> DayDwells:
    """One record per stay in a cell: consecutive records of a phone in the same cell join up."""
    keep = d.end > d.start
    d = DayDwells(*(a[keep] for a in vars(d).values()))
    order = np.lexsort((d.start, d.person))
    d = DayDwells(*(a[order] for a in vars(d).values()))
    new = np.r_[True, (d.person[1:] != d.person[:-1]) | (d.row[1:] != d.row[:-1])
                | (d.col[1:] != d.col[:-1])]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(new)] - 1
    return DayDwells(d.person[starts], d.lat[starts], d.lon[starts], d.row[starts], d.col[starts],
                     d.start[starts], d.end[ends])


def day_dwells(rng: np.random.Generator, visits: DayVisits, pop: Population, venues: Venues,
               people: np.ndarray, day_seconds: int) -> DayDwells:
    """Dwells of the phones among `people` on one day, given that day's visits (any order)."""
    has_phone = pop.phone[people] > 0
    phoned = visits.take(np.flatnonzero(pop.phone[visits.person] > 0))
    phoned = phoned.take(np.lexsort((phoned.enter, phoned.person)))
    idle = np.setdiff1d(people[has_phone], phoned.person)
    person, lat, lon, start, end = _records(rng, phoned, pop, venues, idle, day_seconds).arrays()
    lat, lon = towers(lat, lon)
    row, col = grid_cells(lat, lon)
    return _merge(DayDwells(person, lat, lon, row, col, start, end))

