"""A second source system over a generated city: deliberate duplicates and a phone that changes owner.

Written beside the city (never into it), so the generator's own files stay as they are: a venue-code system
that registered some residents under its own keys (VC-…) with scans under those keys, and a carrier's
real-name record of a phone that moved to a new owner on a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["SecondSource", "second_source"]

_TEXT = pacsv.ConvertOptions(column_types={c: pa.string() for c in (
    "person_id", "name", "id_number", "phone", "household_id", "community", "address", "birth_date", "sex")})


@dataclass
class SecondSource:
    folder: Path
    same_id: list[str]        # city person_ids registered again with their ID number (linked by ID)
    same_details: list[str]   # … without ID number but with name, phone and birth date (linked by score)
    grey: list[str]           # … with only name and birth date in common (a review item)
    phone: str                # the phone that changed owner
    phone_from: str           # its first owner's person_id
    phone_to: str             # its owner from `phone_moved_on`
    phone_moved_on: date


def second_source(city: Path, out: Path, *, index_person_id: str, start: date, seed: int = 7) -> SecondSource:
    """persons.csv + venue_visits.csv (source `venue_codes`) and person_phones.csv in `out`."""
    rng = np.random.default_rng(seed + 9)
    persons = pacsv.read_csv(city / "persons.csv", convert_options=_TEXT)
    idx = persons.column("person_id").to_pylist().index(index_person_id)
    home = persons.column("household_id")[idx].as_py()
    family = [p for p, h in zip(persons.column("person_id").to_pylist(), persons.column("household_id").to_pylist(),
                                strict=True) if h == home and p != index_person_id]
    others = [i for i in rng.permutation(persons.num_rows)[:50].tolist() if i != idx]
    pick = [persons.column("person_id").to_pylist().index(p) for p in family[:2]]
    pick += [i for i in others if i not in pick][: 3 - len(pick)]
    rows = persons.take(pa.array(pick)).to_pylist()
    rows[0] = {**rows[0], "person_id": "VC-" + rows[0]["person_id"]}
    rows[1] = {**rows[1], "person_id": "VC-" + rows[1]["person_id"], "id_number": None,
               "address": "山西省太原市" + (rows[1]["address"] or "")}
    rows[2] = {**rows[2], "person_id": "VC-" + rows[2]["person_id"], "id_number": None, "phone": None,
               "address": "外地暂住"}
    out.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(pa.Table.from_pylist(rows, persons.schema), out / "persons.csv")
    # the venue-code system logged the two linked persons' scans under its own keys
    keys = {r["person_id"][3:]: r["person_id"] for r in rows[:2]}
    visits = pq.read_table(city / "venue_visits.parquet", filters=[("person_id", "in", list(keys))])
    visits = visits.set_column(0, "person_id", pa.array([keys[p] for p in visits.column("person_id").to_pylist()]))
    pacsv.write_csv(visits, out / "venue_visits.csv")
    # a phone moves to a new owner on the third simulated day (its dwells after that day are the new owner's)
    with_phone = np.nonzero(pc.fill_null(pc.greater(pc.utf8_length(persons.column("phone")), 0), False)
                            .to_numpy(zero_copy_only=False))[0]
    a, b = (int(i) for i in rng.choice([i for i in with_phone if i != idx], size=2, replace=False))
    phone, moved = persons.column("phone")[a].as_py(), start + timedelta(days=2)
    who = persons.column("person_id")
    pacsv.write_csv(pa.table({"person_id": [who[a].as_py(), who[b].as_py()], "phone": [phone, phone],
                              "valid_from": [None, moved.isoformat()], "valid_to": [moved.isoformat(), None]},
                             schema=pa.schema([(c, pa.string()) for c in ("person_id", "phone", "valid_from",
                                                                          "valid_to")])),
                    out / "person_phones.csv")
    src = [r["person_id"][3:] for r in rows]
    return SecondSource(folder=out, same_id=src[:1], same_details=src[1:2], grey=src[2:], phone=phone,
                        phone_from=who[a].as_py(), phone_to=who[b].as_py(), phone_moved_on=moved)
