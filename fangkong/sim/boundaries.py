"""The synthetic city's jurisdiction boundaries as GeoJSON (docs/formats.md, boundaries.geojson).

The city is laid on a lattice of square cells (250 m at the layout's density); the cells within ~1 km of a venue
or a community centre are the city. Each cell belongs to the community whose centre is nearest (a Voronoi
diagram drawn in cells); subdistricts and districts are the union of their communities' cells, so the levels
nest exactly. The generator scatters a community's venues around its centre with spreads that overlap the
neighbours' (fangkong.sim.venues), so a venue can lie in a neighbouring community's polygon; most lie in their
own district's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fangkong.protocol.boundaries import raster_rings
from fangkong.protocol.places import place_name
from fangkong.sim.names import DISTRICTS
from fangkong.sim.population import KM_LAT, KM_LON, Areas
from fangkong.sim.venues import Venues

__all__ = ["CELL_KM", "write_boundaries"]

CELL_KM = 0.25
_REACH_KM = 1.0
CITY = "1401"


def _labels(areas: Areas, venues: Venues) -> tuple[np.ndarray, float, float, float, float]:
    """Community index per lattice cell (-1 outside the city), with the lattice's origin and step in degrees."""
    dy, dx = CELL_KM * areas.scale * KM_LAT, CELL_KM * areas.scale * KM_LON
    lat = np.concatenate([venues.lat, areas.comm_lat])
    lon = np.concatenate([venues.lon, areas.comm_lon])
    steps = int(np.ceil(_REACH_KM / CELL_KM))
    pad = steps + 2
    lat0, lon0 = lat.min() - pad * dy, lon.min() - pad * dx
    rows = np.floor((lat - lat0) / dy).astype(np.int64)
    cols = np.floor((lon - lon0) / dx).astype(np.int64)
    city = np.zeros((rows.max() + pad + 1, cols.max() + pad + 1), dtype=bool)
    city[rows, cols] = True
    for _ in range(steps):  # the city: within ~1 km of a venue or a community centre
        city = city | np.roll(city, 1, 0) | np.roll(city, -1, 0) | np.roll(city, 1, 1) | np.roll(city, -1, 1)
    ys, xs = np.nonzero(city)
    # each cell to the nearest community centre (the lattice is square in km, so cell units measure distance)
    cy, cx = (areas.comm_lat - lat0) / dy - 0.5, (areas.comm_lon - lon0) / dx - 0.5
    grid = np.full(city.shape, -1, dtype=np.int32)
    for lo in range(0, len(ys), 4096):
        y, x = ys[lo:lo + 4096, None], xs[lo:lo + 4096, None]
        grid[ys[lo:lo + 4096], xs[lo:lo + 4096]] = np.argmin((y - cy) ** 2 + (x - cx) ** 2, axis=1)
    n = len(areas.comm_lat)
    centres = set(zip(rows[-n:].tolist(), cols[-n:].tolist(), strict=True))
    for c in np.setdiff1d(np.arange(n), grid[grid >= 0]):  # two centres in one cell: the other gets one beside it
        row, col = int(rows[-n + c]), int(cols[-n + c])
        free = next((row + dr, col + dc) for r in range(1, 5) for dr in range(-r, r + 1) for dc in range(-r, r + 1)
                    if (row + dr, col + dc) not in centres and city[row + dr, col + dc])
        grid[free] = c
        centres.add(free)
    return grid, lat0, lon0, dy, dx


def _feature(code: str, level: str, cells: set[tuple[int, int]], lat0: float, lon0: float, dy: float,
             dx: float, names: dict[str, str]) -> dict:
    polygons = [[[[round(lon0 + x * dx, 6), round(lat0 + y * dy, 6)] for x, y in ring] for ring in poly]
                for poly in raster_rings(cells)]
    return {"type": "Feature", "properties": {"code": code, "name": names.get(code) or place_name(code), "level": level},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons}}


def write_boundaries(path: Path, areas: Areas, venues: Venues, names: dict[str, str] | None = None) -> Path:
    """boundaries.geojson: the city, its districts, subdistricts and communities (one feature each), named by
    `names` (code → name; else spelled from the code)."""
    names = names or {}
    grid, lat0, lon0, dy, dx = _labels(areas, venues)
    ys, xs = np.nonzero(grid >= 0)
    comm = grid[ys, xs]
    sub = areas.comm_sub[comm]
    district = areas.sub_district[sub]
    sub_codes = {int(s): str(areas.comm_code[c])[:9] for c, s in zip(comm.tolist(), sub.tolist(), strict=True)}
    cells = list(zip(xs.tolist(), ys.tolist(), strict=True))

    def group(keys: np.ndarray) -> dict[int, set[tuple[int, int]]]:
        out: dict[int, set[tuple[int, int]]] = {}
        for k, cell in zip(keys.tolist(), cells, strict=True):
            out.setdefault(k, set()).add(cell)
        return out

    frame = (lat0, lon0, dy, dx, names)
    features = [_feature(CITY, "city", set(cells), *frame)]
    features += [_feature(DISTRICTS[d][0], "district", c, *frame) for d, c in sorted(group(district).items())]
    features += [_feature(sub_codes[s], "subdistrict", c, *frame) for s, c in sorted(group(sub).items())]
    features += [_feature(str(areas.comm_code[k]), "community", c, *frame) for k, c in sorted(group(comm).items())]
    with path.open("w", encoding="utf-8") as f:  # one feature a line: an import error's line names the feature
        f.write('{"type": "FeatureCollection", "features": [\n')
        f.write(",\n".join(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) for feat in features))
        f.write("\n]}\n")
    return path
