"""A brute-force tracer written straight from DOMAIN.md §4: every pair of intervals, plain Python."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fangkong.protocol.edition import Edition

TZ = ZoneInfo("Asia/Shanghai")


def _presence(visits, venues, edition):
    out = []
    for v in visits:
        s = v["enter_at"]
        e = v["leave_at"] or s + timedelta(minutes=edition.dwell_for(venues[v["venue_id"]]))
        out.append((v["person_id"], v["venue_id"], s, e))
    return out


def _iso(t: datetime) -> str:
    return t.astimezone(TZ).isoformat()


def _cell_hours(dwells, lo: datetime, hi: datetime) -> dict[tuple[str, str], float]:
    """Hours per (phone, cell) inside [lo, hi], each stay clipped to it."""
    out: dict[tuple[str, str], float] = {}
    for d in dwells:
        s, e = max(d["start_at"], lo), min(d["end_at"], hi)
        if e > s:
            key = (d["phone"], d["grid_id"])
            out[key] = out.get(key, 0.0) + (e - s).total_seconds() / 3600
    return out


def brute_trace(*, persons, venues, visits, dwells, case_pid, ws, we, until, edition: Edition,
                min_cell_hours: float = 0.0) -> dict:
    """{key: (category, {(kind, via, place, start, end), ...})}, key = person_id or 'tel:'+phone.
    min_cell_hours > 0: the companion noise filter (either phone ≥ that many hours in the cell over the 14
    days up to the window's end)."""
    pres = _presence(visits, venues, edition)
    by_id = {p["person_id"]: p for p in persons}
    case = by_id[case_pid]
    venue_min = timedelta(minutes=edition.venue_overlap_min)
    ev: dict[str, dict[str, set]] = {c: {} for c in ("close", "secondary", "companion", "overlap")}

    def add(cat, key, *e):
        ev[cat].setdefault(key, set()).add(e)

    # close: household, and venue overlap >= 15 min inside the window
    for p in persons:
        if p["person_id"] != case_pid and case["household_id"] and p["household_id"] == case["household_id"]:
            add("close", p["person_id"], "household", case_pid, p["household_id"], _iso(ws), _iso(we))
    for cp, cv, cs, ce in pres:
        if cp != case_pid:
            continue
        for op, ov, os_, oe in pres:
            if op == case_pid or ov != cv:
                continue
            s, e = max(cs, os_, ws), min(ce, oe, we)
            if e - s >= venue_min:
                add("close", op, "venue", case_pid, cv, _iso(s), _iso(e))
    close = ev["close"]
    first = {k: min(datetime.fromisoformat(x[3]) for x in v) for k, v in close.items()}
    # secondary: household of a close contact, or >= 15 min with a close contact after their first exposure
    if edition.identify_secondary:
        for x, fx in first.items():
            hx = by_id[x]["household_id"]
            for p in persons:
                pid = p["person_id"]
                if pid not in (x, case_pid) and pid not in close and hx and p["household_id"] == hx:
                    add("secondary", pid, "household", x, hx, _iso(fx), _iso(until))
            for xp, xv, xs, xe in pres:
                if xp != x:
                    continue
                for op, ov, os_, oe in pres:
                    if ov != xv or op in (x, case_pid) or op in close:
                        continue
                    s, e = max(xs, os_, fx), min(xe, oe, until)
                    if e - s >= venue_min:
                        add("secondary", op, "venue", x, xv, _iso(s), _iso(e))
    # companions: same grid cell >= 10 min inside the window
    owners = {}
    for p in sorted(persons, key=lambda p: p["_order"]):
        if p["phone"]:
            owners.setdefault(p["phone"], p["person_id"])
    grid_min = timedelta(minutes=edition.grid_overlap_min)
    hours = _cell_hours(dwells, we - timedelta(days=14), we)
    if case["phone"]:
        for d in dwells:
            if d["phone"] != case["phone"]:
                continue
            for o in dwells:
                if o["phone"] == case["phone"] or o["grid_id"] != d["grid_id"]:
                    continue
                s, e = max(d["start_at"], o["start_at"], ws), min(d["end_at"], o["end_at"], we)
                if e - s < grid_min:
                    continue
                if min_cell_hours > 0 and max(hours.get((case["phone"], d["grid_id"]), 0.0),
                                              hours.get((o["phone"], d["grid_id"]), 0.0)) < min_cell_hours:
                    continue
                owner = owners.get(o["phone"])
                key = owner if owner else "tel:" + o["phone"]
                if owner in (case_pid,) or (owner and (owner in close or owner in ev["secondary"])):
                    continue
                add("companion", key, "grid", case_pid, d["grid_id"], _iso(s), _iso(e))
    # overlaps: same venue, same calendar day, inside the window
    taken = set(close) | set(ev["secondary"]) | set(ev["companion"])

    def days(s, e):
        d0, d1 = s.astimezone(TZ).date(), e.astimezone(TZ).date()
        return {d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)}

    for cp, cv, cs, ce in pres:
        if cp != case_pid:
            continue
        a, b = max(cs, ws), min(ce, we)
        if b < a:
            continue
        for op, ov, os_, oe in pres:
            if ov != cv or op == case_pid or op in taken:
                continue
            s, e = max(os_, ws), min(oe, we)
            if e < s or not (days(a, b) & days(s, e)):
                continue
            add("overlap", op, "venue", case_pid, cv, _iso(s), _iso(e))
    out = {}
    for cat in ("close", "secondary", "companion", "overlap"):
        for key, evs in ev[cat].items():
            out.setdefault(key, (cat, evs))
    return out


def assert_same_risk_persons(got: dict, want: dict, *, evidence_once: bool = False) -> dict:
    """The trace's risk persons (person id, else tel:phone) with their category and evidence are the brute
    force's, category by category; nobody twice (nor, with evidence_once, a piece of evidence twice)."""
    have = {}
    for r in got["risk_persons"]:
        key = r["person_id"] or "tel:" + r["phone"]
        assert key not in have, "a person appears twice"
        if evidence_once:
            assert len({tuple(e.values()) for e in r["evidence"]}) == len(r["evidence"]), "evidence listed twice"
        have[key] = (r["category"], {(e["kind"], e["via"], e["place"], e["start"], e["end"]) for e in r["evidence"]})
    for cat in ("close", "secondary", "companion", "overlap"):
        assert {k: v for k, v in have.items() if v[0] == cat} == {k: v for k, v in want.items() if v[0] == cat}, cat
    return have
