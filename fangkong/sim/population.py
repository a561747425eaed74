"""The synthetic city's jurisdictions, households and people, as NumPy columns."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from fangkong.sim.names import DISTRICTS, SURNAME_WEIGHTS, phone_numbers

__all__ = [
    "ADULT",
    "CENTRE",
    "ELDER",
    "INFANT",
    "KM_LAT",
    "KM_LON",
    "STUDENT",
    "WORKER",
    "Areas",
    "Population",
    "LAYOUT_PERSONS",
    "layout_scale",
    "make_areas",
    "make_population",
]

CENTRE = (37.87, 112.55)  # Taiyuan
KM_LAT = 1 / 111.32
KM_LON = 1 / (111.32 * math.cos(math.radians(CENTRE[0])))
INFANT, STUDENT, WORKER, ADULT, ELDER = range(5)
_HOUSEHOLD_SIZE_P = (0.16, 0.27, 0.27, 0.18, 0.12)  # mean 2.83, as in the 2020 census
_COMPOUND_HOUSEHOLDS = 150
#: the population the city's layout (DISTRICTS' offsets, community and compound spreads) was drawn for; a larger
#: city is stretched to keep this density (about 3 300 persons per km², Taiyuan's urban districts), so that a
#: 10 M city is not a 1 M city's area at ten times the crowd: every 800 m carrier cell would hold ten times the
#: phones, and each case meet ten times the space-time companions of any real city
LAYOUT_PERSONS = 1_000_000


@dataclass(frozen=True)
class Areas:
    """District > subdistrict > community, with centres in degrees and population shares."""

    sub_district: np.ndarray   # per subdistrict: district index
    comm_sub: np.ndarray       # per community: subdistrict index
    comm_code: np.ndarray      # per community: 12-digit jurisdiction code
    comm_lat: np.ndarray
    comm_lon: np.ndarray
    comm_weight: np.ndarray    # share of the city's households
    scale: float = 1.0         # km of this city per km of the layout (> 1 above LAYOUT_PERSONS)

    def district_of(self, community: np.ndarray) -> np.ndarray:
        return self.sub_district[self.comm_sub[community]]


@dataclass
class Population:
    """One row per person (ordered by household) plus per-household columns prefixed `hh_`."""

    household: np.ndarray      # int32
    rank: np.ndarray           # position in the household, 0 = head
    age: np.ndarray
    birth: np.ndarray          # datetime64[D]
    male: np.ndarray
    role: np.ndarray
    surname: np.ndarray
    phone: np.ndarray          # int64, 0 = no phone
    taste: np.ndarray          # uint32 seed of a person's habitual venues
    community: np.ndarray      # home community, copied from the household for speed
    hh_size: np.ndarray
    hh_community: np.ndarray
    hh_compound: np.ndarray
    hh_unit: np.ndarray        # rank of the household inside its compound: building/unit/room
    compound_community: np.ndarray
    compound_lat: np.ndarray
    compound_lon: np.ndarray
    office: np.ndarray | None = None  # venue index or -1
    school: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.household)

    def home(self, person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of the people's homes."""
        compound = self.hh_compound[self.household[person]]
        return self.compound_lat[compound], self.compound_lon[compound]


def layout_scale(persons: int) -> float:
    """How much a city of `persons` is stretched from the layout: its area grows with its population above
    LAYOUT_PERSONS, and smaller cities keep the layout (the same seed gives the same small city as before)."""
    return math.sqrt(max(1.0, persons / LAYOUT_PERSONS))


def make_areas(rng: np.random.Generator, persons: int = LAYOUT_PERSONS) -> Areas:
    """A handful of districts, 5 to 10 subdistricts each, 5 to 10 communities per subdistrict, spread over an
    area that grows with the population above LAYOUT_PERSONS (the random draws do not depend on it)."""
    scale = layout_scale(persons)
    sub_district, sub_n, sub_centre = [], [], []
    for d, (_, _, north, east, _) in enumerate(DISTRICTS):
        k = int(rng.integers(5, 11))
        sub_district += [d] * k
        sub_n += list(rng.integers(5, 11, size=k))
        sub_centre += list(np.array([north, east]) + rng.normal(0, 2.0, size=(k, 2)))
    sub_district = np.array(sub_district, dtype=np.int32)
    comm_sub = np.repeat(np.arange(len(sub_district), dtype=np.int32), sub_n)
    km = (np.array(sub_centre)[comm_sub] + rng.normal(0, 0.8, size=(len(comm_sub), 2))) * scale
    codes = []
    for s, n in enumerate(sub_n):
        first = sub_district.tolist().index(sub_district[s])
        codes += [f"{DISTRICTS[sub_district[s]][0]}{s - first + 1:03d}{c + 1:03d}" for c in range(n)]
    share = np.array([d[4] for d in DISTRICTS])[sub_district[comm_sub]]
    weight = rng.gamma(4.0, size=len(comm_sub))
    for d in range(len(DISTRICTS)):  # communities of a district share its population share
        mine = sub_district[comm_sub] == d
        weight[mine] *= share[mine][0] / weight[mine].sum()
    return Areas(sub_district, comm_sub, np.array(codes), CENTRE[0] + km[:, 0] * KM_LAT,
                 CENTRE[1] + km[:, 1] * KM_LON, weight / weight.sum(), scale)


def _households(rng: np.random.Generator, persons: int, areas: Areas) -> tuple[np.ndarray, np.ndarray]:
    """Household sizes and communities; households sorted by community so ids cluster by area."""
    sizes = rng.choice(np.arange(1, 6), size=persons + 1, p=_HOUSEHOLD_SIZE_P)
    cut = int(np.searchsorted(np.cumsum(sizes), persons))
    sizes = sizes[: cut + 1]
    sizes[-1] -= sizes.sum() - persons
    community = np.sort(rng.choice(len(areas.comm_weight), size=len(sizes), p=areas.comm_weight))
    return sizes.astype(np.int8), community.astype(np.int32)


def _compounds(rng: np.random.Generator, community: np.ndarray, areas: Areas):
    """Residential compounds of ~150 households inside each community, with a centre each."""
    per_comm = np.bincount(community, minlength=len(areas.comm_weight))
    n_comp = np.where(per_comm > 0, np.maximum(1, np.rint(per_comm / _COMPOUND_HOUSEHOLDS)), 0)
    n_comp = n_comp.astype(np.int64)
    first = np.concatenate([[0], np.cumsum(n_comp)])
    compound = first[community] + (rng.random(len(community)) * n_comp[community]).astype(np.int64)
    comp_comm = np.repeat(np.arange(len(n_comp)), n_comp)
    lat = areas.comm_lat[comp_comm] + rng.normal(0, 0.35, len(comp_comm)) * areas.scale * KM_LAT
    lon = areas.comm_lon[comp_comm] + rng.normal(0, 0.35, len(comp_comm)) * areas.scale * KM_LON
    order = np.lexsort((np.arange(len(compound)), compound))
    unit = np.empty(len(compound), dtype=np.int64)
    unit[order] = np.arange(len(compound)) - np.searchsorted(compound[order], compound[order])
    return compound, unit, comp_comm.astype(np.int32), lat, lon


def _ages(rng: np.random.Generator, size: np.ndarray, household: np.ndarray, rank: np.ndarray):
    """Head and spouse of about the same age, then by the head's age: young children or a
    grandparent, teenagers or a grown-up child, grandchildren or a grown-up child. Also says who
    carries the family's surname."""
    n_hh, n = len(size), len(household)
    single = np.where(rng.random(n_hh) < 0.6, rng.integers(20, 45, n_hh), rng.integers(55, 93, n_hh))
    couple = np.where(size == 2, rng.integers(24, 86, n_hh), rng.integers(24, 71, n_hh))
    head = np.where(size == 1, single, couple)[household]
    spouse = np.maximum(20, head + np.rint(rng.normal(0, 3, n)).astype(np.int64))
    stage = np.searchsorted([40, 55], head, side="right")
    oldest = np.clip(head - 21, 1, 18)
    child = rng.integers(np.clip(head - 40, 0, oldest - 1), oldest)
    minor = np.where(stage == 2, rng.integers(0, 16, n), child)
    grown = np.maximum(18, head - rng.integers(20, 32, n))
    adult = np.where(stage == 0, np.minimum(95, head + rng.integers(22, 32, n)), grown)
    is_minor = rng.random(n) < np.array([0.8, 0.5, 0.4])[stage]
    age = np.where(rank == 0, head, np.where(rank == 1, spouse, np.where(is_minor, minor, adult)))
    kin = (rank == 0) | ((rank >= 2) & (is_minor | (stage > 0)))
    return age.astype(np.int16), kin


def _roles(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    employed = rng.random(len(age)) < 0.8
    return np.select([age < 3, age < 18, (age < 60) & employed, age < 60],
                     [INFANT, STUDENT, WORKER, ADULT], ELDER).astype(np.int8)


def make_population(rng: np.random.Generator, persons: int, areas: Areas, start: date) -> Population:
    size, community = _households(rng, persons, areas)
    household = np.repeat(np.arange(len(size), dtype=np.int32), size)
    rank = (np.arange(persons) - np.repeat(np.cumsum(size) - size, size)).astype(np.int8)
    age, kin = _ages(rng, size.astype(np.int64), household, rank)
    head_male = rng.random(len(size)) < 0.5
    male = np.where(rank == 0, head_male[household],
                    np.where(rank == 1, ~head_male[household], rng.random(persons) < 0.51))
    family = rng.choice(len(SURNAME_WEIGHTS), size=len(size), p=SURNAME_WEIGHTS)
    own = rng.choice(len(SURNAME_WEIGHTS), size=persons, p=SURNAME_WEIGHTS)
    surname = np.where(kin, family[household], own).astype(np.int16)
    days_old = (age * 365.25 + rng.random(persons) * 364).astype(np.int64)
    birth = np.datetime64(start, "D") - days_old.astype("timedelta64[D]")
    # small children and some of the very old carry no phone of their own
    no_phone = (age < 2) | ((age >= 85) & (rng.random(persons) < 0.3))
    phone = np.where(no_phone, 0, phone_numbers(rng, persons))
    compound, unit, comp_comm, lat, lon = _compounds(rng, community, areas)
    return Population(
        household=household, rank=rank, age=age, birth=birth, male=male, role=_roles(rng, age),
        surname=surname, phone=phone, taste=rng.integers(1 << 32, size=persons, dtype=np.uint64),
        community=community[household],
        hh_size=size, hh_community=community, hh_compound=compound, hh_unit=unit,
        compound_community=comp_comm, compound_lat=lat, compound_lon=lon,
    )
