"""Venues of the synthetic city: where they are, who belongs to which school or office, and how
people pick the shops and restaurants they visit."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fangkong.sim.names import compound_names, place_names, venue_names
from fangkong.sim.population import CENTRE, KM_LAT, KM_LON, STUDENT, WORKER, Areas, Population

__all__ = ["KIND", "KINDS", "Venues", "make_venues"]

KINDS = ("school", "hotel", "restaurant", "shop", "office", "hospital", "transport", "testing_site",
         "residential", "other")
KIND = {k: i for i, k in enumerate(KINDS)}
#: residents per venue for the kinds people choose near home or work; tuned so that a case finds
#: tens of close contacts (DOMAIN.md §4, seed 003)
_RESIDENTS_PER = {"restaurant": 35, "shop": 50, "other": 50, "transport": 150, "hospital": 1500,
                  "hotel": 1000, "testing_site": 300}
#: how far people go for each kind: their subdistrict, their district or anywhere in the city
_LEVEL = {"restaurant": "sub", "shop": "sub", "other": "sub", "transport": "sub",
          "testing_site": "sub", "hospital": "district", "hotel": "city"}
_CLASS_SIZE = 35
_STAGE_NAMES = ("幼儿园", "小学", "中学")
_GRADES = {3: "小班", 4: "中班", 5: "大班", 6: "一年级", 7: "二年级", 8: "三年级", 9: "四年级", 10: "五年级",
           11: "六年级", 12: "初一", 13: "初二", 14: "初三", 15: "高一", 16: "高二", 17: "高三"}


@dataclass
class Venues:
    kind: np.ndarray
    community: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    names: list[str]
    _index: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.kind)

    def index(self, areas: Areas) -> None:
        """Group each locally chosen kind by the area level people search it in."""
        sub = areas.comm_sub[self.community]
        level = {"sub": sub, "district": areas.sub_district[sub], "city": np.zeros_like(sub)}
        for name, lvl in _LEVEL.items():
            mine = np.flatnonzero(self.kind == KIND[name])
            area = level[lvl][mine]
            order = np.argsort(area, kind="stable")
            offsets = np.searchsorted(area[order], np.arange(len(areas.comm_sub) + 1))
            self._index[KIND[name]] = (mine[order], offsets)

    def level_of(self, kind: int) -> str:
        return _LEVEL[KINDS[kind]]

    def pick(self, kind: int, area: np.ndarray, taste: np.ndarray, rng: np.random.Generator,
             habit: float | np.ndarray = 0.6) -> np.ndarray:
        """A venue of `kind` in each person's area: usually one of their habitual ones."""
        venues, offsets = self._index[kind]
        lo = offsets[area]
        count = offsets[area + 1] - lo
        empty = count == 0  # an area without such a venue: people go anywhere in the city
        lo, count = np.where(empty, 0, lo), np.where(empty, len(venues), count)
        salt = np.uint64(0x9E3779B1 + 2 * kind + 1)
        favourite = ((taste * salt) >> np.uint64(16)) % count.astype(np.uint64)
        random = rng.integers(0, count)
        return venues[lo + np.where(rng.random(len(area)) < habit, favourite.astype(np.int64), random)]


class _Builder:
    def __init__(self, areas: Areas):
        self.areas = areas
        self.parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, list[str] | None]] = []
        self.count = 0

    def add(self, kind: int, community, lat, lon, names: list[str] | None = None) -> int:
        """Append venues; returns the index of the first one."""
        first = self.count
        self.parts.append((kind, community, lat, lon, names))
        self.count += len(community)
        return first

    def place(self, rng, kind: int, n: int, weight: np.ndarray, spread_km: float = 0.5) -> int:
        community = rng.choice(len(weight), size=n, p=weight / weight.sum())
        return self.add(kind, community, *self._jitter(rng, community, spread_km))

    def _jitter(self, rng, community, spread_km):
        km = self.areas.scale
        lat = self.areas.comm_lat[community] + rng.normal(0, spread_km, len(community)) * km * KM_LAT
        lon = self.areas.comm_lon[community] + rng.normal(0, spread_km, len(community)) * km * KM_LON
        return lat, lon

    def build(self, rng) -> Venues:
        kind = np.concatenate([np.full(len(p[1]), p[0], dtype=np.int8) for p in self.parts])
        fixed = {}
        offset = 0
        for _, community, _, _, names in self.parts:
            if names is not None:
                fixed.update({offset + i: name for i, name in enumerate(names)})
            offset += len(community)
        names = venue_names(rng, [KINDS[k] for k in kind], fixed)
        return Venues(kind, np.concatenate([p[1] for p in self.parts]).astype(np.int32),
                      np.round(np.concatenate([p[2] for p in self.parts]), 6),
                      np.round(np.concatenate([p[3] for p in self.parts]), 6), names)


def _centrality(areas: Areas) -> np.ndarray:
    km = np.hypot((areas.comm_lat - CENTRE[0]) / KM_LAT, (areas.comm_lon - CENTRE[1]) / KM_LON)
    return areas.comm_weight * np.exp(-km / (5.0 * areas.scale))


def _schools(rng, pop: Population, areas: Areas, build: _Builder) -> None:
    """A kindergarten, primary and secondary school per subdistrict with one venue code per class
    (教室场所码) of at most _CLASS_SIZE pupils, all of an age in a subdistrict learning together."""
    pop.school = np.full(pop.size, -1, dtype=np.int32)
    n_sub = len(areas.sub_district)
    comm_first = np.searchsorted(areas.comm_sub, np.arange(n_sub + 1))
    school_comm = comm_first[:-1, None] + (rng.random((n_sub, 3)) * np.diff(comm_first)[:, None]).astype(int)
    school_name = np.array(place_names(rng, n_sub * 3)).reshape(n_sub, 3)
    pupils = np.flatnonzero(pop.role == STUDENT)
    key = areas.comm_sub[pop.community[pupils]].astype(np.int64) * 18 + pop.age[pupils]
    n_units = np.ceil(np.bincount(key, minlength=n_sub * 18) / _CLASS_SIZE).astype(np.int64)
    unit_key = np.repeat(np.arange(n_sub * 18), n_units)
    unit_first = np.concatenate([[0], np.cumsum(n_units)])
    sub, age = unit_key // 18, unit_key % 18
    stage = np.searchsorted([6, 12], age, side="right")
    community = school_comm[sub, stage]
    lat = areas.comm_lat[community] + (rng.normal(0, 0.4, n_sub * 3).reshape(n_sub, 3)[sub, stage]
                                       + rng.normal(0, 0.03, len(sub))) * areas.scale * KM_LAT
    lon = areas.comm_lon[community] + (rng.normal(0, 0.4, n_sub * 3).reshape(n_sub, 3)[sub, stage]
                                       + rng.normal(0, 0.03, len(sub))) * areas.scale * KM_LON
    nth = np.arange(len(unit_key)) - unit_first[unit_key]
    names = [f"{school_name[s, t]}{_STAGE_NAMES[t]}{_GRADES[a]}{k + 1}班"
             for s, t, a, k in zip(sub, stage, age, nth, strict=True)]
    first = build.add(KIND["school"], community, lat, lon, names)
    pop.school[pupils] = first + unit_first[key] + (rng.random(len(pupils)) * n_units[key]).astype(int)


def _offices(rng, pop: Population, areas: Areas, build: _Builder) -> None:
    """Workplaces of 2 to 200 (median 7) staff, nearer the centre; commutes go anywhere in the city.
    A venue code covers one firm or floor, so a worker meets about ten colleagues there."""
    workers = np.flatnonzero(pop.role == WORKER)
    sizes = np.clip(np.rint(rng.lognormal(2.0, 0.6, size=len(workers) // 3 + 10)), 2, 200).astype(int)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), len(workers))) + 1]
    first = build.place(rng, KIND["office"], len(sizes), _centrality(areas), spread_km=0.8)
    seat = np.repeat(np.arange(len(sizes)), sizes)[: len(workers)]
    pop.office = np.full(pop.size, -1, dtype=np.int32)
    pop.office[workers[rng.permutation(len(workers))]] = first + seat


def make_venues(rng: np.random.Generator, pop: Population, areas: Areas) -> Venues:
    build = _Builder(areas)
    n_comp = len(pop.compound_lat)
    build.add(KIND["residential"], pop.compound_community, pop.compound_lat, pop.compound_lon,
              compound_names(rng, n_comp))
    _schools(rng, pop, areas, build)
    _offices(rng, pop, areas, build)
    near_work = _centrality(areas) / _centrality(areas).sum() + areas.comm_weight
    for name, per in _RESIDENTS_PER.items():
        weight = near_work if name in ("restaurant", "hotel") else areas.comm_weight
        build.place(rng, KIND[name], max(2, round(pop.size / per)), weight)
    venues = build.build(rng)
    venues.index(areas)
    return venues
