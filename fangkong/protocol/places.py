"""Names of jurisdictions (issue 25: communities shown by name, not by 12-digit codes).

A code is read by its levels (GB/T 2260 and the statistical division codes: 2 province, 4 city, 6 district,
9 subdistrict (街道), 12 community (社区/村)). A deployment names its own in FANGKONG_PLACE_NAMES (a CSV of
`code,name[,name_en]`, e.g. the civil-affairs bureau's list); a code it does not name is spelled from its
district's name and its numbers ("小店区 03街道 001社区"), never shown bare.

A data feed names them too: `fangkong import DIR` takes a `place_names` table (docs/formats.md; the synthetic city
writes one) and keeps it as NAMES_FILE in the store's lake folder. FANGKONG_PLACE_NAMES wins over it."""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path

__all__ = ["DISTRICT_NAMES", "NAMES_FILE", "check_name_row", "load_names", "names_from", "place_name"]

#: the imported place_names table, kept in the lake folder (fangkong.people.places writes it)
NAMES_FILE = "place_names.csv"

#: the districts of the synthetic city (太原, fangkong.sim.names.DISTRICTS), public administrative names
DISTRICT_NAMES: dict[str, tuple[str, str]] = {
    "140105": ("小店区", "Xiaodian"), "140106": ("迎泽区", "Yingze"), "140107": ("杏花岭区", "Xinghualing"),
    "140108": ("尖草坪区", "Jiancaoping"), "140109": ("万柏林区", "Wanbailin"), "140110": ("晋源区", "Jinyuan"),
    "1401": ("太原市", "Taiyuan"), "14": ("山西省", "Shanxi"),
}


def check_name_row(code: str | None, name: str | None, name_en: str | None = None) -> str | None:
    """Why a row of a place_names table is refused (None: it is good): a code of 2, 4, 6, 9 or 12 digits, a name
    of at most 64 characters."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        return f"code {code!r}: not a jurisdiction code of 2, 4, 6, 9 or 12 digits"
    if not name:
        return "name is empty"
    if len(name) > 64 or len((name_en or "").strip()) > 64:
        return "name longer than 64 characters"
    return None


def _read(path: str, names: dict[str, tuple[str, str]]) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 2 and row[0].strip().isdigit() and row[1].strip():
                zh = row[1].strip()
                names[row[0].strip()] = (zh, (row[2].strip() if len(row) > 2 and row[2].strip() else zh))


@lru_cache(maxsize=8)
def _load(*files: tuple[str, int]) -> dict[str, tuple[str, str]]:
    names = dict(DISTRICT_NAMES)
    for path, _mtime in files:
        _read(path, names)
    return names


def _stamped(*paths: str | Path | None) -> list[tuple[str, int]]:
    out = []
    for p in paths:
        if p:
            try:
                out.append((str(p), Path(p).stat().st_mtime_ns))
            except OSError:
                pass
    return out


def load_names(path: str | Path | None) -> dict[str, tuple[str, str]]:
    """code → (Chinese name, English name) from the deployment's CSV, over the built-in districts."""
    return _load(*_stamped(path))


def names_from(lake: Path | None) -> dict[str, tuple[str, str]]:
    """The names in force: the built-in districts, then those imported (NAMES_FILE in the lake folder), then
    FANGKONG_PLACE_NAMES; read again when a file changes."""
    return _load(*_stamped(Path(lake) / NAMES_FILE if lake else None, os.environ.get("FANGKONG_PLACE_NAMES")))


def place_name(code: str | None, lang: str = "zh", names: dict[str, tuple[str, str]] | None = None) -> str:
    """A jurisdiction code as people call it; what is not a code (a team's or a site's name) is returned as is."""
    if not code:
        return ""
    code = str(code).strip()
    if not code.isdigit():
        return code
    names = names if names is not None else names_from(None)
    i = 1 if lang == "en" else 0
    if code in names:
        return names[code][i]
    district = names.get(code[:6], (None, None))[i] if len(code) > 6 else None
    if district is None:
        return code
    sub = code[6:9]
    if len(code) <= 9:
        return f"{district} {sub}街道" if lang != "en" else f"{district} subdistrict {sub}"
    sub_name = names.get(code[:9], (None, None))[i]
    comm = code[9:]
    if sub_name:
        return f"{sub_name} {comm}社区" if lang != "en" else f"{sub_name} community {comm}"
    return f"{district} {sub}街道 {comm}社区" if lang != "en" else f"{district} subdistrict {sub} community {comm}"
