"""Small hand-made cities written as FORMATS.md files, for fast tests."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from fangkong.protocol.idnumber import make

PERSON_COLS = ["person_id", "name", "id_number", "phone", "household_id", "community", "address", "birth_date", "sex"]


def person(i: int, *, household: str | None = None, phone: str | None = "auto", **kw) -> dict:
    birth = date(1980 + i % 30, 1 + i % 12, 1 + i % 28)
    sex = "M" if i % 2 else "F"
    row = {"person_id": f"P{i:05d}", "name": f"人{i}", "id_number": make("140105", birth, 100 + (i % 400) * 2 + (1 if sex == "M" else 0)),
           "phone": f"138{i:08d}" if phone == "auto" else phone, "household_id": household or f"H{i:05d}",
           "community": "140105001001", "address": f"迎泽街{i}号", "birth_date": birth.isoformat(), "sex": sex}
    row.update(kw)
    return row


def venue(vid: str, kind: str = "restaurant", lat: float = 37.87, lon: float = 112.55) -> dict:
    return {"venue_id": vid, "name": f"场所{vid}", "kind": kind, "lat": lat, "lon": lon, "community": "140105001001"}


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns or (list(rows[0]) if rows else [])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in columns})
    return path


def write_city(folder: Path, persons: list[dict], venues: list[dict], visits: list[dict],
               dwells: list[dict] | None = None) -> Path:
    write_csv(folder / "persons.csv", persons, PERSON_COLS)
    write_csv(folder / "venues.csv", venues, ["venue_id", "name", "kind", "lat", "lon", "community"])
    write_csv(folder / "venue_visits.csv", visits, ["person_id", "venue_id", "enter_at", "leave_at"])
    if dwells is not None:
        write_csv(folder / "cell_dwells.csv", dwells, ["phone", "grid_id", "lat", "lon", "start_at", "end_at"])
    return folder


def load(folder: Path) -> Path:
    """Import a folder of FORMATS.md files in this process, for a test that only needs the data in the store (no
    command line to parse, no progress bars); a rejected row fails the test. Tests of the import itself type
    `clihelp.fk("import", folder)` as a user would. What lab results set in motion (a re-check declaring a case, its
    trace) is the CLI's doing and not done here: import lab results with `fk`."""
    from functools import partial

    from fangkong import importer
    from fangkong.kit.clikit import unit_of_work
    from fangkong.settings import get_settings

    results = importer.import_folder(partial(unit_of_work, actor="test"), get_settings(), folder)
    rejected = [e for r in results for e in (r.errors or [])]
    assert not rejected, rejected[:5]
    return folder
