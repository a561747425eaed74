"""Zones (DOMAIN.md §7): which places a case seals or controls, and when a zone may be lowered or lifted."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fangkong.protocol.edition import Edition
from fangkong.protocol.grid import DEG_LAT, cell_centre

__all__ = [
    "ABSENCE_REASONS",
    "LEVELS",
    "RISK_OF",
    "Drawing",
    "LiftCheck",
    "ResidentDuty",
    "RoundResult",
    "ZoneState",
    "clean_day",
    "county_of",
    "county_name",
    "drawing",
    "home_part",
    "is_grid_cell",
    "lift_check",
    "plan_places",
    "plan_places_for",
    "resident_blockers",
    "round_cover",
    "surrounding_cells",
    "zone_label",
    "zone_levels",
]

#: why a resident of a zone is not tested in a round and still counts as accounted for (issue 23); the labels
#: are in fangkong/kit/i18n.py (absence_<reason>). "case" is given by the system to a resident who is a case.
ABSENCE_REASONS = ("moved_out", "in_hospital", "isolated_elsewhere", "died", "not_found")

#: strictest first; each level is published as a risk level (9th edition merged the two vocabularies)
LEVELS = ("sealed", "controlled", "precaution")
RISK_OF = {"sealed": "high", "controlled": "medium", "precaution": "low"}


@dataclass(frozen=True)
class RoundResult:
    """One testing round over a zone's people: its day and whether every result came back negative."""

    day: date
    all_negative: bool
    #: every result is in (an incomplete round is not all negative yet, and says so)
    complete: bool = True
    #: residents the round tested, of the zone's residents (None: not known): a round that leaves residents
    #: out is no round of the zone (issue 23: 1 of 20 tested lowered a zone)
    tested: int | None = None
    residents: int | None = None
    #: residents not tested but accounted for with a reason (moved out, in hospital, a case, …)
    accounted: int = 0
    #: residents neither tested nor accounted for, by person id, when the round knows who it tested
    unaccounted: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResidentDuty:
    """A risk person living in a zone with an obligation in force that still needs results (or a pool hold)."""

    person_id: str
    #: the obligation's category: close, secondary, companion, overlap, inbound, pool_member, …
    category: str
    #: the case it comes from, when any
    source: str | None = None
    #: past its nominal end, its results still missing or not negative
    overdue: bool = False


@dataclass(frozen=True)
class ZoneState:
    level: str
    #: a controlled zone that was sealed takes the short step to lifting (9th edition full text)
    was_sealed: bool
    #: the clock: the zone's approval, its last lowering, or the last new case inside, whichever is latest
    clock_from: datetime
    rounds: tuple[RoundResult, ...] = ()
    #: 三区 rule (8th edition): the zone's last close contact is past the period and tested negative
    contacts_clear: bool = True
    #: precaution zones stay while a sealed or controlled zone of the same outbreak is open
    open_stricter_zones: int = 0
    #: risk persons living in the zone whose obligations still need results, whatever their evidence
    resident_duties: tuple[ResidentDuty, ...] = ()


@dataclass(frozen=True)
class LiftCheck:
    met: bool
    #: the level after this step: "controlled", or None when the zone is lifted
    to_level: str | None
    #: when the clean-days part is (or was) met; None when the step has no clock
    due_at: datetime | None
    #: what is still missing (empty when met)
    missing: tuple[str, ...]


def clean_day(clock_from: datetime, n: int, tz: ZoneInfo) -> date:
    """Day n of the clock: day 1 is the calendar day after the clock started (like measure periods)."""
    return clock_from.astimezone(tz).date() + timedelta(days=n)


def _end_of(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz)


def plan_places(home: Iterable[str], stays: Mapping[str, int], *, sealed_stay_s: int) -> dict[str, str]:
    """Level of each place of a case: its home and long stays are sealed, other visited places controlled.

    `stays` maps a place to the seconds the case spent there inside its window.
    """
    out = {p: "controlled" for p in stays}
    out.update({p: "sealed" for p, s in stays.items() if s >= sealed_stay_s})
    out.update({p: "sealed" for p in home})
    return out


def plan_places_for(edition: Edition, home: Iterable[str], stays: Mapping[str, int]) -> dict[str, str]:
    """plan_places with the edition's drawing: an edition with no medium level (the 20 measures) zones no
    visited place that is not sealed (they are not 管控区: there is none)."""
    d = drawing(edition)
    plan = plan_places(home, stays, sealed_stay_s=d.sealed_stay_s)
    return {p: lvl for p, lvl in plan.items() if lvl in d.levels}


_CELL = re.compile(r"^-?\d{1,7}:-?\d{1,7}$")


def is_grid_cell(ref: str) -> bool:
    """Is `ref` one of our generator's "row:col" cell ids (a feed may name its cells as it likes: G035031)?"""
    return bool(_CELL.match(ref or ""))


def surrounding_cells(cells: Iterable[str], ring: int) -> set[str]:
    """Grid cells within `ring` rows and columns of each cell ("row:col" ids), the cells included.

    A column's width follows its row's latitude (protocol.grid), so the same column number in another row is not
    the cell above or below: at 37.9°N and 112.5°E the column numbers of neighbouring rows are ~1.2 cells apart, and
    "col ± ring" in each row drew a sheared band instead of a ring. In each row the ring is counted from the column
    under the cell's centre. A cell whose id is not "row:col" (a carrier's own cell name) has no known neighbours:
    it is skipped (the caller warns, issue 27).
    """
    out = set()
    for cell in cells:
        if not is_grid_cell(cell):
            continue
        row = int(cell.split(":")[0])
        _, lon = cell_centre(cell)
        for dr in range(-ring, ring + 1):
            lat, _ = cell_centre(f"{row + dr}:0")
            col = math.floor(lon * math.cos(math.radians(lat)) / DEG_LAT)
            out.update(f"{row + dr}:{col + dc}" for dc in range(-ring, ring + 1))
    return out


@dataclass(frozen=True)
class Drawing:
    """How an edition draws zones from a case's places (edition data `[zones]`, PROTOCOL-NOTES §3-4)."""

    #: the levels the edition publishes, strictest first
    levels: tuple[str, ...]
    #: the case's home: "compound" (小区/村, 9th edition and 三区) or "building" / "unit" (楼栋 / 单元, 二十条)
    home_by: str
    #: the low area: "district" (the rest of the county/district) or "rings" (grid cells around the places)
    low_area: str
    sealed_stay_s: int
    ring: int
    labels: Mapping[str, str]


_DEFAULT_LABELS = {"sealed": "封控区（高风险区）", "controlled": "管控区（中风险区）", "precaution": "防范区（低风险区）"}


def drawing(edition: Edition) -> Drawing:
    z = edition.zones
    levels = tuple(lv for lv in LEVELS if lv in z.get("levels", LEVELS))
    home_by = str(z.get("home_by", "compound"))
    if home_by not in ("compound", "building", "unit"):
        raise ValueError(f"edition {edition.name}: [zones] home_by must be compound, building or unit")
    low = str(z.get("low_area", "rings"))
    if low not in ("district", "rings"):
        raise ValueError(f"edition {edition.name}: [zones] low_area must be district or rings")
    return Drawing(levels=levels, home_by=home_by, low_area=low, sealed_stay_s=int(z.get("sealed_stay_min", 240)) * 60,
                   ring=int(z.get("precaution_ring_cells", 1)), labels={**_DEFAULT_LABELS, **z.get("labels", {})})


def zone_levels(edition: Edition) -> tuple[str, ...]:
    return drawing(edition).levels


def zone_label(edition: Edition, level: str) -> str:
    return drawing(edition).labels[level]


#: a building (楼栋) in an address: 3号楼, 3栋, 3幢, 3座, 三号楼; and its unit (单元)
_BUILDING = re.compile(r"([0-9A-Za-z一二三四五六七八九十百零〇-]{1,8}(?:号楼|栋|幢|座))")
_UNIT = re.compile(r"\s*([0-9A-Za-z一二三四五六七八九十零〇]{1,4}单元)")


def home_part(address: str | None, compound: str, by: str) -> str | None:
    """The part of `compound` an address lives in: its building ("3号楼"), or building and unit ("3号楼1单元")
    when `by` is "unit"; None when the address does not name the compound or names no building after it.
    Spaces inside the part are dropped ("5栋 1单元" → "5栋1单元")."""
    if not address or not compound or compound not in address:
        return None
    rest = address[address.index(compound) + len(compound):].lstrip(" ,，")
    m = _BUILDING.match(rest)
    if m is None:
        return None
    part = m.group(1)
    if by == "unit" and (u := _UNIT.match(rest[m.end():])):
        part += u.group(1)
    return part


def county_of(code: str | None) -> str | None:
    """The county/district (县级) code of a jurisdiction code: its first 6 digits (GB/T 2260), or None when the
    code is not an administrative code that deep."""
    code = (code or "").strip()
    if len(code) < 6 or not code.isdigit() or code[4:6] == "00":
        return None
    return code[:6]


_COUNTY = re.compile(r"(?:省|自治区)?[^省市]{0,8}?市([^市区县旗]{1,6}?(?:区|县|旗))")


def county_name(address: str | None) -> str | None:
    """The county/district named in an address after its city ("太原市迎泽区…" → "迎泽区"), if any."""
    m = _COUNTY.search(address or "")
    return m.group(1) if m else None


def _step(edition: Edition, state: ZoneState) -> tuple[int, bool, str | None]:
    """(clean days needed, round needed, next level) for the zone's next step in this edition."""
    z = edition.zones
    if state.level == "sealed":
        after = int(z.get("medium_to_low_after_high_days", 0))
        # an edition without the medium step (二十条, 三区) lifts a sealed zone directly
        return int(z["high_to_medium_days"]), bool(z["high_to_medium_round"]), "controlled" if after else None
    if state.was_sealed and int(z.get("medium_to_low_after_high_days", 0)):
        return int(z["medium_to_low_after_high_days"]), False, None
    return int(z["medium_to_low_days"]), bool(z["medium_to_low_round"]), None


def _round_missing(edition: Edition, state: ZoneState, day_n: date, now: datetime, tz: ZoneInfo) -> str | None:
    """The round condition: 9th edition an all-negative round on day n (or later, the latest counts);
    三区 (`lift_round_within_days`) an all-negative round within that many days before lifting."""
    within = edition.zones.get("lift_round_within_days")
    today = now.astimezone(tz).date()
    since = today - timedelta(days=int(within)) if within is not None else day_n
    rounds = sorted((r for r in state.rounds if since <= r.day <= today), key=lambda r: r.day)
    if not rounds:
        where = f"within {within} days before lifting" if within is not None else f"on or after day {day_n}"
        return f"no testing round {where}"
    last = rounds[-1]
    if last.tested is not None and last.residents and last.tested + last.accounted < last.residents:
        who = ""
        if last.unaccounted:
            more = f" and {len(last.unaccounted) - 10} more" if len(last.unaccounted) > 10 else ""
            who = f" (not tested, no reason recorded: {', '.join(last.unaccounted[:10])}{more})"
        return (f"the round of {last.day} tested {last.tested} of the zone's {last.residents} residents and "
                f"accounted for {last.accounted}: every resident must be tested or accounted for with a reason{who}")
    if not last.complete:
        return f"the round of {last.day} still has results outstanding"
    if not rounds[-1].all_negative:
        return f"the round of {rounds[-1].day} was not all negative"
    return None


def lift_check(edition: Edition, state: ZoneState, *, now: datetime, tz: ZoneInfo) -> LiftCheck:
    """May the zone take its next step (sealed → controlled → lifted; precaution → lifted) now?"""
    if state.level == "precaution":
        if state.open_stricter_zones:
            left = f"{state.open_stricter_zones} sealed or controlled zones of the area are still open"
            return LiftCheck(False, None, None, (left,))
        return LiftCheck(True, None, None, ())
    days, needs_round, to_level = _step(edition, state)
    day_n = clean_day(state.clock_from, days, tz)
    due = _end_of(day_n, tz)
    missing = []
    if now < due:
        done = max(0, (now.astimezone(tz).date() - state.clock_from.astimezone(tz).date()).days - 1)
        missing.append(f"{done} of {days} days without a new infection (met at {due.isoformat()})")
    if needs_round and (m := _round_missing(edition, state, day_n, now, tz)):
        missing.append(m)
    if "sealed_lift_days" in edition.zones and to_level is None and not state.contacts_clear:
        missing.append(f"a close contact from the zone is within {edition.zones['sealed_lift_days']} days "
                       "of exposure or not yet negative")
    if to_level is None and (m := resident_blockers(state.resident_duties)):
        missing.append(m)
    return LiftCheck(not missing, to_level, due, tuple(missing))


def round_cover(residents: Iterable[str], tested: Iterable[str], accounted: Mapping[str, str]
                ) -> tuple[int, int, tuple[str, ...]]:
    """(tested, accounted for, unaccounted) of a round over a zone's residents: a resident tested counts as
    tested; one not tested counts when a reason is recorded for him; the others are unaccounted (sorted).
    People who are not residents count for nothing."""
    people = set(residents)
    done = people & set(tested)
    excused = {p for p in people - done if accounted.get(p)}
    return len(done), len(excused), tuple(sorted(people - done - excused))


def resident_blockers(duties: Iterable[ResidentDuty]) -> str | None:
    """Why a zone may not be lifted while risk persons living in it still need results (issue 23: lifting checks
    every risk person living in the zone, whatever their evidence), listing them; None when there are none."""
    rows = sorted(set(duties), key=lambda d: (d.person_id, d.category, d.source or ""))
    if not rows:
        return None
    names = [f"{d.person_id} ({d.category}{' of ' + d.source if d.source else ''}{', overdue' if d.overdue else ''})"
             for d in rows]
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    people = len({d.person_id for d in rows})
    return (f"{people} risk person{'s' if people != 1 else ''} living in the zone still "
            f"need{'s' if people == 1 else ''} results: {', '.join(names[:10])}{more}")
