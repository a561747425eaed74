"""The place_names table (docs/formats.md): each jurisdiction code's name as people call it (社区, 街道, 区), kept
as one CSV in the store's lake folder (fangkong.protocol.places.NAMES_FILE) that the pages read. A later file
renames a code; the previous name is not kept."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from fangkong.lake.files import LINE, ImportResult, RowError, TableFile
from fangkong.protocol.places import NAMES_FILE, check_name_row

__all__ = ["FIELDS", "import_place_names", "stored_names"]

FIELDS = ("code", "name", "name_en")


def stored_names(lake: Path) -> dict[str, tuple[str, str]]:
    """code → (name, name_en as given, possibly empty) of the imported table."""
    path = Path(lake) / NAMES_FILE
    out: dict[str, tuple[str, str]] = {}
    if path.is_file():
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                out[row["code"]] = (row["name"], row.get("name_en") or "")
    return out


def import_place_names(lake: Path, tf: TableFile, *, strict: bool = False) -> ImportResult:
    """Check each row (code of 2/4/6/9/12 digits, a name), then merge the good ones into the stored table (written
    whole to a temporary file and renamed over it: a reader sees the old table or the new one)."""
    result = ImportResult(table="place_names", file=tf.path.name, rows=tf.num_rows, errors=[],
                          warnings=list(tf.warnings))
    rows = tf.table.to_pylist()
    good: dict[str, tuple[str, str]] = {}
    for r in rows:
        reason = check_name_row(r.get("code"), r.get("name"), r.get("name_en"))
        if reason:
            result.errors.append(RowError(tf.path.name, r[LINE], reason))
            continue
        good[r["code"].strip()] = (r["name"].strip(), (r.get("name_en") or "").strip())
    if strict and result.errors:
        result.committed = False
        return result
    stored = stored_names(lake)
    changed = {k: v for k, v in good.items() if stored.get(k) != v}
    result.inserted, result.unchanged = len(changed), len(good) - len(changed)
    if changed:
        stored.update(changed)
        Path(lake).mkdir(parents=True, exist_ok=True)
        tmp = Path(lake) / f".{NAMES_FILE}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(FIELDS)
            w.writerows([k, *v] for k, v in sorted(stored.items()))
        os.replace(tmp, Path(lake) / NAMES_FILE)
    return result
