"""Jurisdiction boundaries as GeoJSON: what a feature must hold, where each feature starts in its file, and how
a set of raster cells becomes polygon rings (the synthetic city draws its districts, subdistricts and communities
that way). Pure: no store, no I/O.

A boundary file is one FeatureCollection (RFC 7946, WGS 84 longitude/latitude). Each feature is one jurisdiction:
`properties.code` (or `adcode`, as in the public DataV/GeoAtlas files) is its administrative code, `name` its name,
the geometry a Polygon or MultiPolygon. The level follows from the code (fangkong.protocol.roles.LEVELS).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from fangkong.protocol.roles import normalise_code

__all__ = ["LEVEL_NAMES", "BoundaryShape", "BoundaryError", "feature_lines", "parse_collection", "raster_rings",
           "shape_of"]

#: code length → level name (province 2, city 4, district 6, subdistrict 9, community 12)
LEVEL_NAMES = {2: "province", 4: "city", 6: "district", 9: "subdistrict", 12: "community"}
#: a feature's rings together may hold this many positions (a community is a few hundred; a district a few thousand)
MAX_POSITIONS = 200_000


class BoundaryError(ValueError):
    """A feature or file that cannot be imported; the message says why (no line: the caller adds it)."""


@dataclass(frozen=True)
class BoundaryShape:
    code: str
    level: str
    name: str
    geometry: dict           # {"type": "MultiPolygon", "coordinates": [...]}, always a MultiPolygon
    bbox: tuple[float, float, float, float]   # min lon, min lat, max lon, max lat


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def feature_lines(text: str) -> list[int]:
    """The line on which each element of the top-level `features` array starts (1-based), in order; [] when the
    text has no such array. The text must already parse as JSON (this walks it with the same decoder)."""
    decoder = json.JSONDecoder()
    i = _skip(text, 0)
    if not text.startswith("{", i):
        return []
    i = _skip(text, i + 1)
    while i < len(text) and text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        if key == "features" and text.startswith("[", i):
            lines, i = [], _skip(text, i + 1)
            while i < len(text) and text[i] != "]":
                lines.append(_line_of(text, i))
                _, i = decoder.raw_decode(text, i)
                i = _skip(text, i)
                if text.startswith(",", i):
                    i = _skip(text, i + 1)
            return lines
        _, i = decoder.raw_decode(text, i)
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
    return []


def parse_collection(text: str) -> list:
    """The features of a FeatureCollection text; BoundaryError (with the line and column of a JSON error)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryError(f"line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BoundaryError('not a GeoJSON FeatureCollection ({"type": "FeatureCollection", "features": [...]})')
    features = doc.get("features")
    if not isinstance(features, list):
        raise BoundaryError("the FeatureCollection has no `features` array")
    return features


def _position(p, where: str) -> tuple[float, float]:
    if not isinstance(p, list) or len(p) < 2 or not all(isinstance(x, int | float) and not isinstance(x, bool)
                                                       for x in p[:2]):
        raise BoundaryError(f"{where}: a position must be [longitude, latitude] numbers, got {json.dumps(p)[:40]}")
    lon, lat = float(p[0]), float(p[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryError(f"{where}: position [{p[0]}, {p[1]}] is not a WGS 84 longitude/latitude")
    return lon, lat


def _ring(ring, where: str) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BoundaryError(f"{where}: a linear ring needs at least 4 positions")
    out = [list(_position(p, where)) for p in ring]
    if out[0] != out[-1]:
        raise BoundaryError(f"{where}: the ring is not closed (its last position must repeat the first)")
    return out


def _polygons(geometry) -> list[list[list[list[float]]]]:
    if not isinstance(geometry, dict):
        raise BoundaryError("the feature has no geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise BoundaryError(f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    if not isinstance(coords, list) or not coords:
        raise BoundaryError(f"the {kind} has no coordinates")
    polygons = [coords] if kind == "Polygon" else coords
    out = []
    for n, poly in enumerate(polygons, 1):
        if not isinstance(poly, list) or not poly:
            raise BoundaryError(f"polygon {n} has no rings")
        out.append([_ring(r, f"polygon {n} ring {k}") for k, r in enumerate(poly, 1)])
    return out


def shape_of(feature) -> BoundaryShape:
    """One feature as a boundary, or BoundaryError saying what is wrong with it."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BoundaryError('not a GeoJSON Feature ({"type": "Feature", ...})')
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise BoundaryError("properties must be an object")
    raw = props.get("code", props.get("adcode"))
    if raw is None or isinstance(raw, bool) or str(raw).strip() == "":
        raise BoundaryError("properties.code (the jurisdiction code, or adcode) is missing")
    try:
        code = normalise_code(str(raw))
    except ValueError:
        raise BoundaryError(f"properties.code {str(raw)[:20]!r} is not an administrative code (up to 12 digits)") \
            from None
    name = props.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise BoundaryError("properties.name must be a non-empty text of at most 100 characters")
    polygons = _polygons(feature.get("geometry"))
    positions = [p for poly in polygons for ring in poly for p in ring]
    if len(positions) > MAX_POSITIONS:
        raise BoundaryError(f"{len(positions)} positions: at most {MAX_POSITIONS} per feature (simplify it)")
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return BoundaryShape(code=code, level=LEVEL_NAMES[len(code)], name=name.strip(),
                         geometry={"type": "MultiPolygon", "coordinates": polygons},
                         bbox=(min(lons), min(lats), max(lons), max(lats)))


def _area(ring: list[tuple[int, int]]) -> int:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))


def _inside(point: tuple[float, float], ring: list[tuple[int, int]]) -> bool:
    x, y = point
    hit = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def raster_rings(cells: set[tuple[int, int]]) -> list[list[list[tuple[int, int]]]]:
    """The outline of a set of unit cells (column x, row y) as polygons of lattice points: each polygon an outer
    ring (counter-clockwise) and its holes (clockwise), each ring closed. Straight runs are one edge."""
    out_edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for x, y in cells:  # each cell side not shared with a cell of the set, the set on its left
        for (dx, dy), a, b in (((0, -1), (x, y), (x + 1, y)), ((1, 0), (x + 1, y), (x + 1, y + 1)),
                               ((0, 1), (x + 1, y + 1), (x, y + 1)), ((-1, 0), (x, y + 1), (x, y))):
            if (x + dx, y + dy) not in cells:
                out_edges.setdefault(a, []).append(b)
    rings = []
    while out_edges:
        start = min(out_edges)
        ring, at, heading = [start], start, None
        while True:
            nexts = out_edges[at]
            # at a corner shared by two diagonal cells, turn left: the rings stay simple
            if len(nexts) > 1 and heading is not None:
                nexts.sort(key=lambda b: _turn(heading, (b[0] - at[0], b[1] - at[1])))
            b = nexts.pop(0)
            if not nexts:
                del out_edges[at]
            heading = (b[0] - at[0], b[1] - at[1])
            at = b
            ring.append(b)
            if b == start:
                break
        rings.append(_straight(ring))
    outers = [r for r in rings if _area(r) > 0]
    polygons = [[r] for r in sorted(outers, key=lambda r: (-_area(r), r[0]))]
    for hole in (r for r in rings if _area(r) < 0):
        corner = min(hole)  # its lowest left-most corner: the cell up and right of it lies in the hole
        probe = (corner[0] + 0.5, corner[1] + 0.5)
        owner = next((p for p in reversed(polygons) if _inside(probe, p[0])), None)
        (owner if owner is not None else polygons[0]).append(hole)
    return polygons


def _turn(heading: tuple[int, int], step: tuple[int, int]) -> int:
    """0 for a left turn, 1 straight on, 2 right: the order to prefer at a shared corner."""
    cross = heading[0] * step[1] - heading[1] * step[0]
    return 0 if cross > 0 else (1 if cross == 0 else 2)


def _straight(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop the points in the middle of straight runs (the ring stays closed)."""
    pts = ring[:-1]
    keep = [p for i, p in enumerate(pts)
            if (pts[i - 1][0] - p[0]) * (pts[(i + 1) % len(pts)][1] - p[1])
            != (pts[i - 1][1] - p[1]) * (pts[(i + 1) % len(pts)][0] - p[0])]
    return keep + [keep[0]]
