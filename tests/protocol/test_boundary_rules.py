"""GeoJSON boundaries: feature checks, feature lines, and cell sets traced into polygon rings."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.boundaries import (
    BoundaryError,
    feature_lines,
    parse_collection,
    raster_rings,
    shape_of,
)

SQUARE = [[112.5, 37.8], [112.6, 37.8], [112.6, 37.9], [112.5, 37.9], [112.5, 37.8]]


def feature(code="140105", name="小店区", geometry=None, key="code"):
    return {"type": "Feature", "properties": {key: code, "name": name},
            "geometry": geometry or {"type": "Polygon", "coordinates": [SQUARE]}}


def test_a_polygon_becomes_a_multipolygon_with_its_level_and_box():
    s = shape_of(feature())
    assert (s.code, s.level, s.name) == ("140105", "district", "小店区")
    assert s.geometry == {"type": "MultiPolygon", "coordinates": [[SQUARE]]}
    assert s.bbox == (112.5, 37.8, 112.6, 37.9)
    # DataV/GeoAtlas files name the code adcode, as a number; a 12-digit code with zeros is its level's prefix
    assert shape_of(feature(code=140100, key="adcode")).code == "1401"
    assert shape_of(feature(code="140105001000")).level == "subdistrict"


@pytest.mark.parametrize(("bad", "reason"), [
    ({"type": "Point"}, "not a GeoJSON Feature"),
    (feature(code=None), "properties.code"),
    (feature(code="14x"), "not an administrative code"),
    (feature(name=""), "properties.name"),
    (feature(geometry={"type": "Point", "coordinates": [1, 2]}), "Polygon or MultiPolygon"),
    (feature(geometry={"type": "Polygon", "coordinates": [SQUARE[:3]]}), "at least 4 positions"),
    (feature(geometry={"type": "Polygon", "coordinates": [SQUARE[:4] + [[112.5, 37.85]]]}), "not closed"),
    (feature(geometry={"type": "Polygon", "coordinates": [[[200, 37], [201, 37], [201, 38], [200, 37]]]}),
     "not a WGS 84"),
    (feature(geometry={"type": "Polygon", "coordinates": [[["a", 1], [1, 1], [1, 2], ["a", 1]]]}), "numbers"),
])
def test_bad_features_say_why(bad, reason):
    with pytest.raises(BoundaryError, match=reason):
        shape_of(bad)


def test_feature_lines_and_json_errors_name_their_line():
    text = '{"type": "FeatureCollection",\n "name": {"a": [1, 2]},\n "features": [\n' + \
        json.dumps(feature()) + ',\n\n' + json.dumps(feature("140106")) + "\n]}\n"
    assert len(parse_collection(text)) == 2
    assert feature_lines(text) == [4, 6]
    assert feature_lines('{"features": []}') == []
    with pytest.raises(BoundaryError, match="line 3 column"):
        parse_collection('{"type": "FeatureCollection",\n "features": [\n {,]}')
    with pytest.raises(BoundaryError, match="FeatureCollection"):
        parse_collection('[1, 2]')


def _area(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def _inside(x, y, rings):
    hit = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                hit = not hit
    return hit


@given(st.sets(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=40))
def test_rings_enclose_exactly_the_cells(cells):
    polygons = raster_rings(cells)
    rings = [r for p in polygons for r in p]
    assert all(r[0] == r[-1] and len(r) >= 5 for r in rings)
    assert all(_area(p[0]) > 0 and all(_area(h) < 0 for h in p[1:]) for p in polygons)  # outer CCW, holes CW
    assert sum(_area(r) for r in rings) == len(cells)
    for x in range(-1, 9):
        for y in range(-1, 9):
            assert _inside(x + 0.5, y + 0.5, rings) == ((x, y) in cells)


def test_a_ring_of_cells_has_a_hole_and_diagonal_cells_stay_apart():
    ring = {(x, y) for x in range(3) for y in range(3)} - {(1, 1)}
    assert raster_rings(ring) == [[[(0, 0), (3, 0), (3, 3), (0, 3), (0, 0)], [(1, 1), (1, 2), (2, 2), (2, 1), (1, 1)]]]
    assert len(raster_rings({(0, 0), (1, 1)})) == 2
