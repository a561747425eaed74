"""Columns of the lake's tables: what an incoming file may carry and what the lake stores."""

from __future__ import annotations

import pyarrow as pa

__all__ = ["INCOMING", "SORTED_COLUMNS", "STORED", "TABLES"]

TABLES = ("venue_visits", "cell_dwells")

#: table → (required columns, known columns) of an incoming file (FORMATS.md)
INCOMING: dict[str, tuple[set[str], set[str]]] = {
    "venue_visits": ({"person_id", "venue_id", "enter_at"}, {"person_id", "venue_id", "enter_at", "leave_at"}),
    "cell_dwells": ({"phone", "start_at", "end_at"}, {"phone", "grid_id", "lat", "lon", "start_at", "end_at"}),
}

_TS = pa.timestamp("us")  # UTC, naive, whole seconds
STORED: dict[str, pa.Schema] = {
    "venue_visits": pa.schema([("person_id", pa.string()), ("venue_id", pa.string()),
                               ("enter_at", _TS), ("leave_at", _TS)]),
    "cell_dwells": pa.schema([("phone", pa.string()), ("grid_id", pa.string()), ("lat", pa.float64()),
                              ("lon", pa.float64()), ("start_at", _TS), ("end_at", _TS)]),
}

#: each table's columns, person, place and time first (files are sorted by place and time: ingest.sorted_rows)
SORTED_COLUMNS: dict[str, list[str]] = {
    "venue_visits": ["person_id", "venue_id", "enter_at", "leave_at"],
    "cell_dwells": ["phone", "grid_id", "start_at", "end_at", "lat", "lon"],
}
