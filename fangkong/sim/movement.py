"""One day of venue-code scans for a block of people, generated routine by routine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fangkong.sim.population import Areas, Population
from fangkong.sim.schedule import NO_LEAVE, SCHEDULES, STAY, Slot, schedule_of
from fangkong.sim.venues import KIND, KINDS, Venues

__all__ = ["DayVisits", "day_visits"]

_LATEST_LEAVE = (23 * 60 + 30) * 60
_FAMILY, _COLLEAGUES = 0x7A57E, 0xC011EA6
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


def _unit(key: np.ndarray, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per (key, salt), equal wherever the key appears (splitmix64)."""
    z = key.astype(np.uint64) + np.uint64(salt * 0x9E3779B97F4A7C15 % (1 << 64))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return ((z ^ (z >> np.uint64(31))) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass
class _Choice:
    """What each person would do in a slot, before checking that it fits their day."""

    draw: np.ndarray    # the visit happens when draw < slot.p
    clock: np.ndarray   # wanted entry time
    kind: np.ndarray
    taste: np.ndarray
    habit: np.ndarray   # chance of going to a habitual venue rather than any nearby one


def _choose(ctx: _Context, slot: Slot) -> _Choice:
    rng, n = ctx.rng, len(ctx.who)
    codes = np.array([KIND[k] for k in slot.kinds])
    kind = codes[rng.choice(len(codes), size=n, p=slot.weights)] if len(codes) > 1 else np.full(n, codes[0])
    return _Choice(rng.random(n), _clock(rng, slot.enter, n), kind, ctx.pop.taste[ctx.who], np.full(n, 0.6))


def _together(ctx: _Context, slot: Slot, choice: _Choice, group: np.ndarray, joins: np.ndarray,
              salt: int, habits: int) -> None:
    """Families and colleagues go out together: one decision, time and venue per group."""
    span = (slot.enter[1] - slot.enter[0]) * 60
    clock = slot.enter[0] * 60 + (_unit(group, salt + 1) * span).astype(np.int64)
    clock = np.minimum(clock + ctx.rng.integers(0, 5 * 60, size=len(group)), slot.enter[1] * 60)
    choice.draw = np.where(joins, _unit(group, salt), choice.draw)
    choice.clock = np.where(joins, clock, choice.clock)
    if slot.weights is not None:
        codes = np.array([KIND[k] for k in slot.kinds])
        shared = codes[np.searchsorted(np.cumsum(slot.weights)[:-1], _unit(group, salt + 2), side="right")]
        choice.kind = np.where(joins, shared, choice.kind)
    # `habits` holds no day: most days the group goes back to its usual place
    usual = _unit(group, salt + 3) < 0.75
    taste = (np.where(usual, _unit(group, habits), _unit(group, salt + 4)) * (1 << 32)).astype(np.uint64)
    choice.taste = np.where(joins, taste, choice.taste)
    choice.habit = np.where(joins, 1.0, choice.habit)


def _area(ctx: _Context, level: str, community: np.ndarray) -> np.ndarray:
    sub = ctx.areas.comm_sub[community]
    if level == "sub":
        return sub
    return ctx.areas.sub_district[sub] if level == "district" else np.zeros_like(sub)


def _pick(ctx: _Context, slot: Slot, choice: _Choice) -> np.ndarray:
    """The venue of each visit; -1 when the person has none (no office, no school)."""
    pop, who, kind = ctx.pop, ctx.who, choice.kind
    if slot.near == "own":
        return np.where(kind == KIND["school"], pop.school[who], pop.office[who])
    community = pop.community[who]
    if slot.near == "work":  # lunch and the way home start from the office
        office = pop.office[who]
        community = np.where(office >= 0, ctx.venues.community[np.maximum(office, 0)], community)
    venue = np.full(len(who), -1, dtype=np.int64)
    for code in np.unique(kind):
        mine = kind == code
        area = _area(ctx, ctx.venues.level_of(int(code)), community[mine])
        venue[mine] = ctx.venues.pick(int(code), area, choice.taste[mine], ctx.rng, choice.habit[mine])
    return venue


def _stay(rng: np.random.Generator, slot: Slot, kind: np.ndarray) -> np.ndarray:
    if slot.stay is not None:
        lo, hi = np.full(len(kind), slot.stay[0]), np.full(len(kind), slot.stay[1])
    else:
        lo = np.array([STAY.get(k, (30, 60))[0] for k in KINDS])[kind]
        hi = np.array([STAY.get(k, (30, 60))[1] for k in KINDS])[kind]
    return lo * 60 + (rng.random(len(kind)) * (hi - lo) * 60).astype(np.int64)


def _visit(ctx: _Context, slot: Slot, cursor: np.ndarray, salt: int) -> _Part:
    """A visit after the person's previous one: travel first, then the slot's window."""
    rng, n = ctx.rng, len(ctx.who)
    choice = _choose(ctx, slot)
    if slot.family:
        joins = rng.random(n) < np.where(ctx.pop.age[ctx.who] < 18, 0.95, 0.85)
        _together(ctx, slot, choice, ctx.pop.household[ctx.who], joins, salt, _FAMILY)
    venue = _pick(ctx, slot, choice)
    enter = np.maximum(choice.clock, cursor + rng.integers(5 * 60, 25 * 60, size=n))
    if slot.leave is not None:
        leave = np.maximum(_clock(rng, slot.leave, n), enter + 3600)
    else:
        leave = enter + _stay(rng, slot, choice.kind)
    active = (choice.draw < slot.p) & (venue >= 0) & (leave <= _LATEST_LEAVE)
    cursor[active] = leave[active]
    return _Part(active, venue, enter, leave)


def _excursion(ctx: _Context, slot: Slot, anchor: _Part, salt: int) -> list[_Part]:
    """Lunch out of the office, mostly with colleagues: the day at work splits in two visits."""
    rng, n = ctx.rng, len(ctx.who)
    choice = _choose(ctx, slot)
    _together(ctx, slot, choice, ctx.pop.office[ctx.who], rng.random(n) < 0.7, salt, _COLLEAGUES)
    venue = _pick(ctx, slot, choice)
    enter = choice.clock
    leave = enter + _stay(rng, slot, choice.kind)
    away = enter - rng.integers(3 * 60, 12 * 60, size=n)
    back = leave + rng.integers(3 * 60, 12 * 60, size=n)
    active = ((choice.draw < slot.p) & anchor.active & (venue >= 0)
              & (away >= anchor.enter + 3600) & (back <= anchor.leave - 3600))
    afternoon = _Part(active, anchor.venue.copy(), back, anchor.leave.copy())
    anchor.leave = np.where(active, away, anchor.leave)
    return [_Part(active, venue, enter, leave), afternoon]


def _routine(ctx: _Context, slots: tuple[Slot, ...], salt: int) -> list[_Part]:
    cursor = np.zeros(len(ctx.who), dtype=np.int64)
    parts: list[_Part] = []
    anchor = None
    for i, slot in enumerate(slots):
        if slot.excursion:
            if anchor is not None:
                parts += _excursion(ctx, slot, anchor, salt + 8 * i)
            continue
        parts.append(_visit(ctx, slot, cursor, salt + 8 * i))
        if slot.leave is not None:
            anchor = parts[-1]
    return parts


def day_visits(rng: np.random.Generator, pop: Population, venues: Venues, areas: Areas,
               people: np.ndarray, weekend: bool, salt: int) -> DayVisits:
    """Every scan of `people` (global indices) on one day, in no particular order; `salt` is the
    day's, shared by every block of people so that households and offices split across blocks
    still act together."""
    schedule = schedule_of(rng, pop.role[people], weekend)
    columns: list[list[np.ndarray]] = [[], [], [], []]
    for code, slots in enumerate(SCHEDULES):
        who = people[schedule == code]
        if not len(who):
            continue
        for part in _routine(_Context(rng, pop, venues, areas, who), slots, salt + 1000 * code):
            for column, values in zip(columns, (who, part.venue, part.enter, part.leave), strict=True):
                column.append(values[part.active])
    person, venue, enter, leave = (np.concatenate(c) if c else np.zeros(0, np.int64) for c in columns)
    scanned_out = rng.random(len(person)) >= _NO_LEAVE[venues.kind[venue]]
    return DayVisits(person.astype(np.int64), venue.astype(np.int64), enter, leave, scanned_out)
