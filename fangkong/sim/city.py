"""Synthetic city generator: persons, venues, venue scans and carrier dwells in the FORMATS.md files."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fangkong.protocol.idnumber import make
from fangkong.protocol.places import DISTRICT_NAMES
from fangkong.sim.boundaries import write_boundaries
from fangkong.sim.carrier import day_dwells
from fangkong.sim.movement import day_visits
from fangkong.sim.names import DISTRICTS, full_names, join, jurisdiction_names, numbered, streets
from fangkong.sim.population import ADULT, WORKER, Areas, Population, make_areas, make_population
from fangkong.sim.venues import KINDS, Venues, make_venues

__all__ = ["DWELL_SCHEMA", "VISIT_SCHEMA", "CitySummary", "generate_city"]

Progress = Callable[[str, int, int], None]
#: people simulated together; fixed (not machine-dependent) so that a seed always gives the same city
CHUNK = 100_000
_TS = pa.timestamp("us", tz="UTC")
VISIT_SCHEMA = pa.schema([("person_id", pa.string()), ("venue_id", pa.string()),
                          ("enter_at", _TS), ("leave_at", _TS)])
DWELL_SCHEMA = pa.schema([("phone", pa.string()), ("grid_id", pa.string()), ("lat", pa.float64()),
                          ("lon", pa.float64()), ("start_at", _TS), ("end_at", _TS)])
PERSON_COLUMNS = ("person_id", "name", "id_number", "phone", "household_id", "community", "address",
                  "birth_date", "sex")
VENUE_COLUMNS = ("venue_id", "name", "kind", "lat", "lon", "community")
# birthplaces of people who moved to the city: Shanxi counties and neighbouring provinces' capitals
_OTHER_REGIONS = np.array(["140121", "140181", "140202", "140402", "140502", "140702", "141102",
                           "130102", "410102", "610102", "150102", "370102", "110105"])


@dataclass(frozen=True)
class CitySummary:
    persons: int
    households: int
    venues: int
    visits: int
    dwells: int
    start: date
    days: int
    index_person_id: str          # the person the demo outbreak starts from
    index_sampled_at: datetime    # tz-aware, on the last simulated day, 08:00-10:00
    files: dict[str, Path]        # table name -> file written


@dataclass
class _City:
    areas: Areas
    pop: Population
    venues: Venues
    person_ids: pa.Array
    venue_ids: pa.Array
    phones: pa.Array


def _ids(prefix: str, n: int, width: int = 7) -> pa.Array:
    return join(prefix, numbered(np.arange(1, n + 1), max(width, len(str(n)))))


def _write_csv(path: Path, columns: tuple[str, ...], tables) -> Path:
    """Plain CSV: values never hold commas or quotes, so nothing is quoted."""
    with path.open("wb") as sink:
        sink.write((",".join(columns) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        writer = None
        for table in tables:
            writer = writer or pacsv.CSVWriter(sink, table.schema, write_options=options)
            writer.write_table(table)
        if writer:
            writer.close()
    return path


def _compound_addresses(rng: np.random.Generator, city: _City) -> pa.Array:
    """Street, number and name of each compound, e.g. 太原市小店区长风街88号龙城花园."""
    pop, n = city.pop, len(city.pop.compound_lat)
    district = np.array([f"太原市{d[1]}" for d in DISTRICTS])[city.areas.district_of(pop.compound_community)]
    number = numbered(rng.integers(1, 300, size=n))
    return join(pa.array(district), pa.array(streets(rng, n)), number, "号", pa.array(city.venues.names[:n]))


def _addresses(compound: pa.Array, pop: Population, hh: np.ndarray) -> pa.Array:
    unit = pop.hh_unit[hh]
    return join(compound.take(pa.array(pop.hh_compound[hh])), numbered(unit // 60 + 1), "号楼",
                numbered(unit // 20 % 3 + 1), "单元", numbered(unit % 20 // 2 + 1),
                numbered(unit % 2 + 1, 2), "室")


def _id_numbers(rng: np.random.Generator, city: _City, who: slice) -> list[str]:
    """Resident IDs: most people were born in their district, odd sequence for men."""
    pop = city.pop
    n = len(pop.household[who])
    home = np.array([d[0] for d in DISTRICTS])[city.areas.district_of(pop.community[who])]
    region = np.where(rng.random(n) < 0.85, home, _OTHER_REGIONS[rng.integers(len(_OTHER_REGIONS), size=n)])
    sequence = 2 * rng.integers(0, 500, size=n) + pop.male[who]
    births = pop.birth[who].astype(object)
    return [make(r, b, int(s)) for r, b, s in zip(region.tolist(), births, sequence, strict=True)]


def _person_tables(seed: int, city: _City, report: Progress):
    pop = city.pop
    compound = _compound_addresses(np.random.default_rng([seed, 3]), city)
    household_ids = _ids("H", len(pop.hh_size))
    for lo in range(0, pop.size, CHUNK):
        rng = np.random.default_rng([seed, 4, lo // CHUNK])
        who = slice(lo, min(lo + CHUNK, pop.size))
        hh = pop.household[who]
        yield pa.table({
            "person_id": city.person_ids[who], "name": full_names(rng, pop.surname[who], pop.male[who]),
            "id_number": pa.array(_id_numbers(rng, city, who)), "phone": city.phones[who],
            "household_id": household_ids.take(pa.array(hh)),
            "community": pa.array(city.areas.comm_code[pop.community[who]]),
            "address": _addresses(compound, pop, hh),
            "birth_date": pa.array(np.datetime_as_string(pop.birth[who])),
            "sex": pa.array(np.where(pop.male[who], "M", "F")),
        })
        report("persons", who.stop, pop.size)


def _venue_table(city: _City) -> pa.Table:
    v = city.venues
    return pa.table({"venue_id": city.venue_ids, "name": pa.array(v.names),
                     "kind": pa.array(np.array(KINDS)[v.kind]), "lat": v.lat, "lon": v.lon,
                     "community": pa.array(city.areas.comm_code[v.community])})


def _micros(base_us: int, seconds: np.ndarray) -> pa.Array:
    return pa.array(base_us + seconds.astype(np.int64) * 1_000_000, type=_TS)


def _visit_table(city: _City, visits, base_us: int) -> pa.Table:
    order = np.lexsort((visits.person, visits.enter))
    v = visits.take(order)
    leave = pa.array(base_us + v.leave * 1_000_000, type=_TS, mask=~v.scanned_out)
    return pa.Table.from_arrays([city.person_ids.take(pa.array(v.person)),
                                 city.venue_ids.take(pa.array(v.venue)), _micros(base_us, v.enter), leave],
                                schema=VISIT_SCHEMA)


def _dwell_table(city: _City, d, base_us: int) -> pa.Table:
    grid = join(numbered(d.row), ":", numbered(d.col))
    return pa.Table.from_arrays([city.phones.take(pa.array(d.person)), grid, pa.array(d.lat),
                                 pa.array(d.lon), _micros(base_us, d.start), _micros(base_us, d.end)],
                                schema=DWELL_SCHEMA)


def _midnight_us(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(), zone).timestamp()) * 1_000_000


def _simulate(out: Path, seed: int, city: _City, start: date, days: int, zone: ZoneInfo,
              report: Progress) -> tuple[int, int, np.ndarray]:
    """Stream visits and dwells one day (and one block of people) at a time."""
    pop = city.pop
    recent = np.zeros(pop.size, dtype=bool)
    counts = [0, 0]
    with (pq.ParquetWriter(out / "venue_visits.parquet", VISIT_SCHEMA, compression="zstd") as vw,
          pq.ParquetWriter(out / "cell_dwells.parquet", DWELL_SCHEMA, compression="zstd") as dw):
        for day in range(days):
            today = start + timedelta(days=day)
            base = _midnight_us(today, zone)
            day_seconds = (_midnight_us(today + timedelta(days=1), zone) - base) // 1_000_000
            salt = int(np.random.default_rng([seed, 7, day]).integers(1 << 62))
            for lo in range(0, pop.size, CHUNK):
                rng = np.random.default_rng([seed, 5, day, lo // CHUNK])
                people = np.arange(lo, min(lo + CHUNK, pop.size))
                visits = day_visits(rng, pop, city.venues, city.areas, people, today.weekday() >= 5, salt)
                if day >= days - 3:
                    recent[visits.person] = True
                dwells = day_dwells(rng, visits, pop, city.venues, people, day_seconds)
                vw.write_table(_visit_table(city, visits, base))
                dw.write_table(_dwell_table(city, dwells, base))
                counts[0] += len(visits)
                counts[1] += len(dwells.person)
            report("visits", day + 1, days)
            report("dwells", day + 1, days)
    return counts[0], counts[1], recent


def _index_case(seed: int, pop: Population, recent: np.ndarray, last_day: date,
                zone: ZoneInfo) -> tuple[int, datetime]:
    """A working-age adult with a phone and family who was out and about in the last three days
    (in a city of a handful of people, whoever comes closest)."""
    adult = ((pop.role == WORKER) | (pop.role == ADULT)) & (pop.age >= 18) & (pop.age < 60)
    wanted = adult & (pop.phone > 0) & (pop.hh_size[pop.household] >= 2) & recent
    for fits in (wanted, adult & recent, recent, np.ones(pop.size, bool)):
        candidates = np.flatnonzero(fits)
        if len(candidates):
            break
    rng = np.random.default_rng([seed, 6])
    minute = int(rng.integers(8 * 60, 10 * 60))
    sampled = datetime.combine(last_day, time(minute // 60, minute % 60), zone)
    return int(candidates[rng.integers(len(candidates))]), sampled


def _place_name_rows(seed: int, areas: Areas) -> list[tuple[str, str, str]]:
    """The city, its districts, subdistricts and communities by name (code, Chinese, English), drawn from their own
    random stream (the city itself stays the same for a seed)."""
    comm = [str(c) for c in areas.comm_code]
    subs = sorted({c[:9] for c in comm})
    sub_names, comm_names = jurisdiction_names(np.random.default_rng([seed, 9]), len(subs), len(comm))
    return [("1401", "太原市", "Taiyuan"), *((code, name, DISTRICT_NAMES[code][1]) for code, name, *_ in DISTRICTS),
            *((c, *n) for c, n in zip(subs, sub_names, strict=True)),
            *((c, *n) for c, n in zip(comm, comm_names, strict=True))]


def _write_place_names(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """place_names.csv (docs/formats.md)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(("code", "name", "name_en"))
        w.writerows(rows)
    return path


def _build(seed: int, persons: int, start: date) -> _City:
    rng = np.random.default_rng([seed, 1])
    areas = make_areas(rng, persons)
    pop = make_population(rng, persons, areas, start)
    venues = make_venues(np.random.default_rng([seed, 2]), pop, areas)
    phones = pc.if_else(pa.array(pop.phone > 0), numbered(pop.phone), pa.scalar(None, pa.string()))
    return _City(areas, pop, venues, _ids("P", persons), _ids("V", venues.size), phones)


def generate_city(out: Path, *, persons: int = 100_000, days: int = 14, seed: int = 7,
                  start: date = date(2022, 3, 1), tz: str = "Asia/Shanghai",
                  progress: Progress | None = None) -> CitySummary:
    """Write place_names.csv, persons.csv, venues.csv, venue_visits.parquet, cell_dwells.parquet and
    boundaries.geojson (the jurisdictions' polygons, named as in place_names.csv) into `out`.

    The same seed gives the same files; memory grows with the population, not with `days`.
    """
    if persons < 1 or days < 1:
        raise ValueError("need at least one person and one day")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, done, total: None)
    zone = ZoneInfo(tz)
    city = _build(seed, persons, start)
    report("venues", city.venues.size, city.venues.size)
    names = _place_name_rows(seed, city.areas)
    files = {"place_names": _write_place_names(out / "place_names.csv", names),
             "persons": _write_csv(out / "persons.csv", PERSON_COLUMNS, _person_tables(seed, city, report)),
             "venues": _write_csv(out / "venues.csv", VENUE_COLUMNS, [_venue_table(city)]),
             "boundaries": write_boundaries(out / "boundaries.geojson", city.areas, city.venues,
                                            {code: name for code, name, _ in names})}
    visits, dwells, recent = _simulate(out, seed, city, start, days, zone, report)
    files |= {"venue_visits": out / "venue_visits.parquet", "cell_dwells": out / "cell_dwells.parquet"}
    index, sampled_at = _index_case(seed, city.pop, recent, start + timedelta(days=days - 1), zone)
    return CitySummary(
        persons=persons, households=len(city.pop.hh_size), venues=city.venues.size, visits=visits,
        dwells=dwells, start=start, days=days, index_person_id=city.person_ids[index].as_py(),
        index_sampled_at=sampled_at, files=files,
    )
