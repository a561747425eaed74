"""The carriers' 800 m × 800 m grid: the cell of a WGS 84 point, the same formula in Python and SQL."""

from __future__ import annotations

import math

__all__ = ["CELL_M", "DEG_LAT", "cell_centre", "cell_ring", "grid_id", "grid_sql"]

CELL_M = 800.0
#: one cell's height in degrees of latitude (1° of latitude ≈ 111 320 m)
DEG_LAT = CELL_M / 111_320.0


def grid_id(lat: float, lon: float) -> str:
    """Cell id "row:col"; the column width follows the cosine of the row's centre latitude."""
    row = math.floor(lat / DEG_LAT)
    centre = (row + 0.5) * DEG_LAT
    col = math.floor(lon * math.cos(math.radians(centre)) / DEG_LAT)
    return f"{row}:{col}"


def cell_centre(cell: str) -> tuple[float, float]:
    """(lat, lon) of the centre of cell "row:col": the inverse of grid_id (for drawing cells on a map)."""
    row, col = (int(x) for x in cell.split(":"))
    lat = (row + 0.5) * DEG_LAT
    return lat, (col + 0.5) * DEG_LAT / math.cos(math.radians(lat))


def cell_ring(cell: str) -> list[list[float]]:
    """The cell "row:col" as a closed ring of [lon, lat] corners, counter-clockwise (a square on the map)."""
    row, col = (int(x) for x in cell.split(":"))
    lat0, lat1 = row * DEG_LAT, (row + 1) * DEG_LAT
    width = DEG_LAT / math.cos(math.radians((row + 0.5) * DEG_LAT))
    lon0, lon1 = col * width, (col + 1) * width
    return [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]


def grid_sql(lat: str = "lat", lon: str = "lon") -> str:
    """The same formula as a DuckDB SQL expression over columns `lat` and `lon`."""
    row = f"floor({lat} / {DEG_LAT!r})"
    col = f"floor({lon} * cos(radians(({row} + 0.5) * {DEG_LAT!r})) / {DEG_LAT!r})"
    return f"(CAST(CAST({row} AS BIGINT) AS VARCHAR) || ':' || CAST(CAST({col} AS BIGINT) AS VARCHAR))"
