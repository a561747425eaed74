"""Daily routines of the synthetic city: which venues people scan, when, and for how long."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fangkong.sim.population import ADULT, ELDER, INFANT, STUDENT, WORKER

__all__ = ["NO_LEAVE", "SCHEDULES", "STAY", "Slot", "schedule_of"]


@dataclass(frozen=True)
class Slot:
    """One possible venue visit in a day; times are minutes after local midnight."""

    kinds: tuple[str, ...]
    p: float                                # share of the people on this routine who make the visit
    enter: tuple[int, int]                  # earliest and latest scan, unless still busy before
    stay: tuple[int, int] | None = None     # None: the kind's usual stay (STAY)
    leave: tuple[int, int] | None = None    # a clock window instead of a stay: a day at work/school
    near: str = "home"                      # home | work (near the office) | own (their office/school)
    weights: tuple[float, ...] | None = None
    excursion: bool = False                 # taken out of the day at work, which it splits in two
    family: bool = False                    # households mostly go together


#: minutes people stay, by kind, when a slot does not say
STAY = {"restaurant": (20, 70), "shop": (5, 35), "other": (20, 90), "transport": (3, 15),
        "hospital": (30, 180), "hotel": (60, 300), "testing_site": (4, 25)}
#: share of scans without a leaving scan, by kind: offices and schools rarely scan people out
NO_LEAVE = {"school": 0.85, "office": 0.6, "restaurant": 0.5, "shop": 0.5, "other": 0.5,
            "transport": 0.1, "hospital": 0.4, "hotel": 0.4, "testing_site": 0.5}

_WORKDAY = (
    Slot(("testing_site",), 0.12, (400, 470)),
    Slot(("transport",), 0.6, (420, 500)),
    Slot(("office",), 1.0, (480, 570), leave=(1020, 1140), near="own"),
    Slot(("restaurant", "shop"), 0.35, (680, 770), stay=(15, 50), near="work", excursion=True,
         weights=(0.8, 0.2)),
    Slot(("transport",), 0.6, (1030, 1150), near="work"),
    Slot(("restaurant", "shop", "other"), 0.65, (1080, 1260), weights=(0.3, 0.5, 0.2)),
    Slot(("testing_site",), 0.05, (1150, 1260)),
)
_SCHOOLDAY = (
    Slot(("school",), 0.97, (430, 480), leave=(960, 1050), near="own"),
    Slot(("shop", "other"), 0.35, (1050, 1200), weights=(0.5, 0.5)),
    Slot(("restaurant",), 0.15, (1080, 1170)),
)
_FREEDAY = (
    Slot(("other",), 0.15, (390, 540)),
    Slot(("testing_site",), 0.15, (420, 660), family=True),
    Slot(("shop",), 0.6, (450, 660), family=True),
    Slot(("hospital",), 0.02, (480, 660)),
    Slot(("restaurant",), 0.3, (650, 810), family=True),
    Slot(("transport",), 0.4, (780, 900), family=True),
    Slot(("other", "shop", "hotel"), 0.55, (840, 1080), weights=(0.6, 0.37, 0.03), family=True),
    Slot(("restaurant",), 0.3, (1020, 1200), family=True),
    Slot(("shop",), 0.35, (1170, 1290), family=True),
)
_INFANTDAY = (
    Slot(("hospital",), 0.01, (480, 660)),
    Slot(("shop",), 0.2, (600, 1020)),
)
SCHEDULES = (_WORKDAY, _SCHOOLDAY, _FREEDAY, _INFANTDAY)
WORK, SCHOOL, FREE, INFANT_DAY = range(4)


def schedule_of(rng: np.random.Generator, role: np.ndarray, weekend: bool) -> np.ndarray:
    """Index into SCHEDULES per person: some workers work weekends, some take a weekday off;
    on weekends children go out with the family."""
    works = rng.random(len(role)) < (0.15 if weekend else 0.96)
    return np.select(
        [role == WORKER, role == STUDENT, role == INFANT, (role == ADULT) | (role == ELDER)],
        [np.where(works, WORK, FREE), FREE if weekend else SCHOOL, FREE if weekend else INFANT_DAY, FREE],
        FREE,
    ).astype(np.int8)
