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
_HOP = 20 * 60        # shorter gaps between two visits leave no travel record
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


def _between(rng, rec: _Records, v: DayVisits, vlat, vlon, hlat, hlon) -> None:
    """Travel (and time at home when the gap is long) between consecutive visits of a person."""
    same = np.flatnonzero(v.person[1:] == v.person[:-1]) + 1
    gap = v.enter[same] - v.leave[same - 1]
    # a hop of a few minutes does not show up as a cell of its own: the phone stays where it was
    hop, short, long = same[gap < _HOP], same[(gap >= _HOP) & (gap <= _DIRECT)], same[gap > _DIRECT]
    rec.add(v.person[hop], vlat[hop - 1], vlon[hop - 1], v.leave[hop - 1], v.enter[hop])
    rec.add(v.person[short], *_midway(rng, vlat[short - 1], vlon[short - 1], vlat[short], vlon[short]),
            v.leave[short - 1], v.enter[short])
    p = long - 1
    out, back = v.leave[p] + 15 * 60, v.enter[long] - 15 * 60
    rec.add(v.person[long], *_midway(rng, vlat[p], vlon[p], hlat[long], hlon[long]), v.leave[p], out)
    rec.add(v.person[long], hlat[long], hlon[long], out, back)
    rec.add(v.person[long], *_midway(rng, hlat[long], hlon[long], vlat[long], vlon[long]), back,
            v.enter[long])


def _records(rng, v: DayVisits, pop: Population, venues: Venues, idle: np.ndarray,
             day_seconds: int) -> _Records:
    rec = _Records()
    vlat, vlon = venues.lat[v.venue], venues.lon[v.venue]
    hlat, hlon = pop.home(v.person)
    first = np.r_[True, v.person[1:] != v.person[:-1]] if len(v) else np.zeros(0, bool)
    last = np.r_[v.person[1:] != v.person[:-1], True] if len(v) else np.zeros(0, bool)
    rec.add(v.person, vlat, vlon, v.enter, v.leave)
    f = np.flatnonzero(first)
    leave_home = v.enter[f] - np.minimum(rng.integers(10 * 60, 35 * 60, len(f)), v.enter[f] - 60)
    rec.add(v.person[f], hlat[f], hlon[f], np.zeros(len(f), np.int64), leave_home)
    rec.add(v.person[f], *_midway(rng, hlat[f], hlon[f], vlat[f], vlon[f]), leave_home, v.enter[f])
    _between(rng, rec, v, vlat, vlon, hlat, hlon)
    e = np.flatnonzero(last)
    home = np.minimum(v.leave[e] + rng.integers(10 * 60, 35 * 60, len(e)), day_seconds)
    rec.add(v.person[e], *_midway(rng, vlat[e], vlon[e], hlat[e], hlon[e]), v.leave[e], home)
    rec.add(v.person[e], hlat[e], hlon[e], home, np.full(len(e), day_seconds))
    rec.add(idle, *pop.home(idle), np.zeros(len(idle), np.int64),
            np.full(len(idle), day_seconds))
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

