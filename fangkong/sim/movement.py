"""One day of venue-code scans for a block of people, generated routine by routine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fangkong.sim.population import Areas, Population
from fangkong.sim.schedule import NO_LEAVE, SCHEDULES, STAY, Slot, schedule_of
from fangkong.sim.venues import KIND, KINDS, Venues

__all__ = ["DayVisits", "day_visits"]

_LATEST_LEAVE = (23 * 60 + 30) * 60
_NO_LEAVE = np.array([NO_LEAVE.get(k, 0.5) for k in KINDS])


@dataclass
class DayVisits:
    """Visits of one day, times in seconds after local midnight; `leave` is the true leaving time
    (carrier data follows it) and `scanned_out` says whether the venue recorded it."""

    person: np.ndarray
    venue: np.ndarray
    enter: np.ndarray
    leave: np.ndarray
    scanned_out: np.ndarray

    def __len__(self) -> int:
        return len(self.person)

    def take(self, order: np.ndarray) -> DayVisits:
        return DayVisits(self.person[order], self.venue[order], self.enter[order], self.leave[order],
                         self.scanned_out[order])


@dataclass
class _Context:
    rng: np.random.Generator
    pop: Population
    venues: Venues
    areas: Areas
    who: np.ndarray  # global person indices following one routine


class _Part:
    """One slot's visits as full-length columns over the routine's people, `active` marking real ones."""

    def __init__(self, active, venue, enter, leave):
        self.active, self.venue, self.enter, self.leave = active, venue, enter, leave


def _clock(rng: np.random.Generator, window: tuple[int, int], n: int) -> np.ndarray:
    return window[0] * 60 + rng.integers(0, (window[1] - window[0]) * 60 + 1, size=n)


def _kinds(rng: np.random.Generator, slot: Slot, n: int) -> np.ndarray:
    codes = np.array([KIND[k] for k in slot.kinds])
    if len(codes) == 1:
        return np.full(n, codes[0])
    return codes[rng.choice(len(codes), size=n, p=slot.weights)]


def _area(ctx: _Context, level: str, community: np.ndarray) -> np.ndarray:
    sub = ctx.areas.comm_sub[community]
    if level == "sub":
        return sub
    return ctx.areas.sub_district[sub] if level == "district" else np.zeros_like(sub)


def _pick(ctx: _Context, slot: Slot, kind: np.ndarray) -> np.ndarray:
    """The venue of each visit; -1 when the person has none (no office, no school)."""
    pop, who = ctx.pop, ctx.who
    if slot.near == "own":
        return np.where(kind == KIND["school"], pop.school[who], pop.office[who])
    community, taste = pop.community[who], pop.taste[who]
    if slot.near == "work":  # lunch and the way home start from the office, with colleagues
        office = pop.office[who]
        community = np.where(office >= 0, ctx.venues.community[np.maximum(office, 0)], community)
        taste = np.where(office >= 0, _team(office), taste)
    venue = np.full(len(who), -1, dtype=np.int64)
    for code in np.unique(kind):
        mine = kind == code
        area = _area(ctx, ctx.venues.level_of(int(code)), community[mine])
        venue[mine] = ctx.venues.pick(int(code), area, taste[mine], ctx.rng)
    return venue


def _team(office: np.ndarray) -> np.ndarray:
    """A habit shared by everyone in an office (uint32-sized, like a person's taste)."""
    return (office.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(1 << 32)


def _stay(rng: np.random.Generator, slot: Slot, kind: np.ndarray) -> np.ndarray:
    if slot.stay is not None:
        lo, hi = np.full(len(kind), slot.stay[0]), np.full(len(kind), slot.stay[1])
    else:
        lo = np.array([STAY.get(k, (30, 60))[0] for k in KINDS])[kind]
        hi = np.array([STAY.get(k, (30, 60))[1] for k in KINDS])[kind]
    return lo * 60 + (rng.random(len(kind)) * (hi - lo) * 60).astype(np.int64)


def _visit(ctx: _Context, slot: Slot, cursor: np.ndarray) -> _Part:
    """A visit after the person's previous one: travel first, then the slot's window."""
    rng, n = ctx.rng, len(ctx.who)
    active = rng.random(n) < slot.p
    kind = _kinds(rng, slot, n)
    venue = _pick(ctx, slot, kind)
    enter = np.maximum(_clock(rng, slot.enter, n), cursor + rng.integers(5 * 60, 25 * 60, size=n))
    if slot.leave is not None:
        leave = np.maximum(_clock(rng, slot.leave, n), enter + 3600)
    else:
        leave = enter + _stay(rng, slot, kind)
    active &= (venue >= 0) & (leave <= _LATEST_LEAVE)
    cursor[active] = leave[active]
    return _Part(active, venue, enter, leave)


def _excursion(ctx: _Context, slot: Slot, anchor: _Part) -> list[_Part]:
    """Lunch out of the office: the day at work becomes a morning and an afternoon visit."""
    rng, n = ctx.rng, len(ctx.who)
    kind = _kinds(rng, slot, n)
    venue = _pick(ctx, slot, kind)
    # most colleagues go out together at their office's usual time
    span = (slot.enter[1] - slot.enter[0]) * 60
    team = slot.enter[0] * 60 + (_team(anchor.venue) % np.uint64(span)).astype(np.int64)
    together = team + rng.integers(0, 5 * 60, size=n)
    enter = np.where(rng.random(n) < 0.7, np.minimum(together, slot.enter[1] * 60), _clock(rng, slot.enter, n))
    leave = enter + _stay(rng, slot, kind)
    away = enter - rng.integers(3 * 60, 12 * 60, size=n)
    back = leave + rng.integers(3 * 60, 12 * 60, size=n)
    active = ((rng.random(n) < slot.p) & anchor.active & (venue >= 0)
              & (away >= anchor.enter + 3600) & (back <= anchor.leave - 3600))
    afternoon = _Part(active, anchor.venue.copy(), back, anchor.leave.copy())
    anchor.leave = np.where(active, away, anchor.leave)
    return [_Part(active, venue, enter, leave), afternoon]


def _routine(ctx: _Context, slots: tuple[Slot, ...]) -> list[_Part]:
    cursor = np.zeros(len(ctx.who), dtype=np.int64)
    parts: list[_Part] = []
    anchor = None
    for slot in slots:
        if slot.excursion:
            if anchor is not None:
                parts += _excursion(ctx, slot, anchor)
            continue
        parts.append(_visit(ctx, slot, cursor))
        if slot.leave is not None:
            anchor = parts[-1]
    return parts


def day_visits(rng: np.random.Generator, pop: Population, venues: Venues, areas: Areas,
               people: np.ndarray, weekend: bool) -> DayVisits:
    """Every scan of `people` (global indices) on one day, in no particular order."""
    schedule = schedule_of(rng, pop.role[people], weekend)
    columns: list[list[np.ndarray]] = [[], [], [], []]
    for code, slots in enumerate(SCHEDULES):
        who = people[schedule == code]
        if not len(who):
            continue
        for part in _routine(_Context(rng, pop, venues, areas, who), slots):
            for column, values in zip(columns, (who, part.venue, part.enter, part.leave), strict=True):
                column.append(values[part.active])
    person, venue, enter, leave = (np.concatenate(c) if c else np.zeros(0, np.int64) for c in columns)
    scanned_out = rng.random(len(person)) >= _NO_LEAVE[venues.kind[venue]]
    return DayVisits(person.astype(np.int64), venue.astype(np.int64), enter, leave, scanned_out)
