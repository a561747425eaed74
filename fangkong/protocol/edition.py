"""Protocol editions: the numbers of a rule set, loaded from editions/<name>.toml (data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

__all__ = ["Edition", "MeasureRule", "load_edition", "available_editions", "CATEGORIES", "MEASURE_KINDS"]

_DIR = Path(__file__).parent / "editions"

#: risk categories from highest to lowest (DOMAIN.md §4: a person keeps the highest)
CATEGORIES = ("close", "secondary", "companion", "overlap")
#: measure kinds from strictest to mildest
MEASURE_KINDS = ("centralized_isolation", "home_isolation", "home_monitoring", "health_monitoring",
                 # last: any measure of the edition replaces a pool's hold in place (临时管控)
                 "temporary_control")


@dataclass(frozen=True)
class MeasureRule:
    kind: str
    days: int
    test_days: tuple[int, ...]
    then_kind: str | None = None
    then_days: int = 0
    then_test_days: tuple[int, ...] = ()
    upstream_tests_required: int = 0
    #: samples taken together on the release test day of the first phase (edition 8's 双采双检: 2); each is
    #: its own scheduled test and every one must be negative
    release_samples: int = 1


@dataclass(frozen=True)
class Edition:
    name: str
    title: str
    published: date
    window_days_before: int
    serial_screening_from_last_negative: bool
    venue_overlap_min: int
    grid_overlap_min: int
    companion_cell_hours: float
    identify_secondary: bool
    dwell_min: dict[str, int]
    measures: dict[str, MeasureRule]
    zones: dict[str, int | bool]
    red: tuple[str, ...]
    yellow: tuple[str, ...]
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    def dwell_for(self, kind: str | None) -> int:
        """Minutes a visit to a venue of this kind lasts when the scan has no leave time."""
        return self.dwell_min.get(kind or "", self.dwell_min["default"])


def available_editions() -> list[str]:
    return sorted(p.stem for p in _DIR.glob("*.toml"))


@lru_cache
def load_edition(name: str) -> Edition:
    path = _DIR / f"{name}.toml"
    if not path.is_file():
        raise ValueError(f"unknown protocol edition {name!r}; known: {', '.join(available_editions())}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    measures = {
        who: MeasureRule(
            kind=m["kind"],
            days=m["days"],
            test_days=tuple(m.get("test_days", ())),
            then_kind=m.get("then_kind"),
            then_days=m.get("then_days", 0),
            then_test_days=tuple(m.get("then_test_days", ())),
            upstream_tests_required=m.get("upstream_tests_required", 0),
            release_samples=m.get("release_samples", 1),
        )
        for who, m in raw["measures"].items()
    }
    return Edition(
        name=raw["name"],
        title=raw["title"],
        published=raw["published"],
        window_days_before=raw["window"]["days_before"],
        serial_screening_from_last_negative=raw["window"]["serial_screening_from_last_negative"],
        venue_overlap_min=raw["contact"]["venue_overlap_min"],
        grid_overlap_min=raw["contact"]["grid_overlap_min"],
        companion_cell_hours=raw["contact"]["companion_cell_hours"],
        identify_secondary=raw["contact"]["identify_secondary"],
        dwell_min=dict(raw["dwell_min"]),
        measures=measures,
        zones=dict(raw["zones"]),
        red=tuple(raw["codes"]["red"]),
        yellow=tuple(raw["codes"]["yellow"]),
        raw=raw,
    )
