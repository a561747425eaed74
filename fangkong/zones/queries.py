"""Lake queries of the zones domain: where a case stayed in its window, and its phone's home cell."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from fangkong.lake.queries import Lake

__all__ = ["home_cell", "stays"]


def _who(who: str, s: int, e: int) -> pa.Table:
    """The lake's seed table: (key, via, s, e); one seed here, so the key is fixed."""
    return pa.table({"key": pa.array(["z"], pa.string()), "via": pa.array([who], pa.string()),
                     "s": pa.array([s], pa.int64()), "e": pa.array([e], pa.int64())})


def stays(lake: Lake, person_id: str, ws: int, we: int, dwell: pa.Table) -> dict[str, int]:
    """Seconds the person spent at each venue inside [ws, we] (epoch seconds), from venue-code scans."""
    out: dict[str, int] = defaultdict(int)
    for r in lake.own_intervals(_who(person_id, ws, we), dwell).to_pylist():
        out[r["place"]] += r["e"] - r["s"]
    return dict(out)


def home_cell(lake: Lake, phone: str, ws: int, we: int) -> str | None:
    """The grid cell where the phone spent the most time inside [ws, we]: its home when no compound is known."""
    hours: dict[str, int] = defaultdict(int)
    for r in lake.own_intervals(_who(phone, ws, we), pa.table({}), cells=True).to_pylist():
        hours[r["place"]] += r["e"] - r["s"]
    return max(sorted(hours), key=lambda c: hours[c]) if hours else None
