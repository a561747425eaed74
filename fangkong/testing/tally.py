"""A testing round's figures kept as they change, so the progress page reads them instead of counting the round.

Counting a million-person round (samples ⋈ persons ⋈ results, distinct people and tubes) takes seconds; the page
must answer in well under 0.3 s on its first visit, on any worker. So every write that changes a round's figures
counts again, in its own transaction, the rows it touched:

- round_tally: per sampling point and per community of the sampled person, the figures of
  progress.sample_figures restricted to that point or community (so distinct people and tubes stay exact: a
  person swabbed twice, a pool of ten, a re-test). A samples import recounts the (round, point, community) its
  new swabs fall in; a decided conflict those of the tube's swabs; a merge or its undo those of the persons'
  swabs (at commit, db/changes.py). A results import (the frequent, large write) adds instead what its new
  results add to each row: a look-up per swab of that person's earlier results in the row (`results_arrived`).
- round_turnaround: progress.turnaround of the round, counted again when a result of the round arrives.
- the expected people come from people/counts.py (persons per community, kept by the register's writers).

`progress(session, rnd)` equals progress.round_progress (the definition, still counted over every sample) at
every moment: tests/testing/test_tally.py checks it over random sequences of swabs, pools, results, re-tests,
conflicts and merges on both stores. `recount_all` (the `testing.recount` job, `fangkong testing recount`)
counts everything again and says how many rows it had to repair.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from fangkong.db.core import utcnow
from fangkong.db.scope import scope_of
from fangkong.db.scoping import counting
from fangkong.people import counts as people_counts
from fangkong.people.models import Person
from fangkong.testing.models import RoundTally, RoundTurnaround, Sample, TestingRound
from fangkong.testing.progress import (
    FIGURES,
    REACTIVE,
    key_group_people,
    round_progress,
    sample_figures,
    turnaround,
)

__all__ = ["recount", "recount_turnaround", "recount_rows", "recount_tubes", "results_arrived", "recount_persons",
           "recount_all", "progress", "round_turnaround"]

#: above this many points or communities of one round, one grouped pass over the round is cheaper
_ALL_ABOVE = 40


def _whole(fn):
    """A writer of kept rows counts over the whole store, whoever writes (db/scoping.py counting)."""
    @functools.wraps(fn)
    def wrapped(session: Session, *args, **kw):
        with counting(session):
            return fn(session, *args, **kw)
    return wrapped


def _cond(col, keys: set[str]):
    named = sorted(k for k in keys if k)
    cond = col.in_(named)
    if "" in keys:
        cond = cond | col.is_(None) | (col == "")
    return cond


def _counted(session: Session, round_fk: int) -> list[tuple]:
    return sorted(session.execute(select(RoundTally.dim, RoundTally.key, *(getattr(RoundTally, f) for f in FIGURES))
                                  .where(RoundTally.round_fk == round_fk)).all())


def _lock(session: Session, round_fks: Iterable[int]) -> None:
    """Two writers of one round's rows one after the other (PostgreSQL: the round's row locked until commit, so
    the second counts with the first's rows committed; SQLite has one writer anyway)."""
    fks = sorted(set(round_fks))
    if fks and session.get_bind().dialect.name == "postgresql":
        session.execute(select(TestingRound.id).where(TestingRound.id.in_(fks)).order_by(TestingRound.id)
                        .with_for_update())


@_whole
def recount(session: Session, round_fk: int, *, points: Iterable[str | None] | None = None,
            communities: Iterable[str | None] | None = None) -> None:
    """Count again one round's rows of these points and communities (None: every one; empty: none)."""
    session.flush()
    _lock(session, [round_fk])
    for dim, keys, col in (("p", points, Sample.point_id), ("c", communities, Person.community)):
        keys = None if keys is None else {k or "" for k in keys}
        if keys is not None and not keys:
            continue
        if keys is not None and len(keys) > _ALL_ABOVE:
            keys = None
        gone = delete(RoundTally).where(RoundTally.round_fk == round_fk, RoundTally.dim == dim)
        where = ()
        if keys is not None:
            gone = gone.where(RoundTally.key.in_(sorted(keys)))
            where = (_cond(col, keys),)
        figures = sample_figures(session, round_fk, func.coalesce(col, ""), where=where,
                                 person_first=dim == "c" and keys is not None)
        session.execute(gone)
        rows = [{"round_fk": round_fk, "dim": dim, "key": k or "", **v} for k, v in figures.items()]
        if rows:
            session.execute(insert(RoundTally), rows)


@_whole
def recount_turnaround(session: Session, round_fk: int, *, now: datetime | None = None) -> None:
    """Count again one round's turnaround per lab and stage."""
    session.flush()
    _lock(session, [round_fk])
    round_id = session.scalar(select(TestingRound.round_id).where(TestingRound.id == round_fk))
    if round_id is None:
        return
    figures = turnaround(session, round_id=round_id)
    session.execute(delete(RoundTurnaround).where(RoundTurnaround.round_fk == round_fk))
    session.execute(insert(RoundTurnaround), [{"round_fk": round_fk, "figures": figures,
                                               "counted_at": now or utcnow()}])


@_whole
def recount_rows(session: Session, rows: Iterable[tuple]) -> None:
    """Count again the (round_fk, point_id, community) the given swabs fall in (rounds of None are no round's)."""
    per_round: dict[int, tuple[set, set]] = {}
    for round_fk, point, community in rows:
        if round_fk is not None:
            points, comms = per_round.setdefault(round_fk, (set(), set()))
            points.add(point)
            comms.add(community)
    _lock(session, per_round)
    for round_fk, (points, comms) in sorted(per_round.items()):
        recount(session, round_fk, points=points, communities=comms)


def _swabs_of_tubes(tubes_sql: str) -> str:
    return f"""SELECT DISTINCT s.round_fk, s.point_id, p.community FROM sample s JOIN person p ON p.id = s.person_fk
               WHERE s.tube_fk IN ({tubes_sql}) AND s.round_fk IS NOT NULL"""


_REACTIVE_SQL = "(" + ", ".join(f"'{r}'" for r in REACTIVE) + ")"
# what results arriving for tubes that had none add to each (round, point) or (round, community) row: the people
# with a result (those with no earlier result in that row), the reactive tubes, the reactive people (likewise)
_ARRIVED = """
WITH new AS ({tubes}),
ns AS (SELECT s.round_fk, coalesce(s.point_id, '') AS point, coalesce(p.community, '') AS comm, s.person_fk,
              s.tube_fk, CASE WHEN lr.result IN {reactive} THEN 1 ELSE 0 END AS reactive
       FROM sample s JOIN person p ON p.id = s.person_fk JOIN lab_result lr ON lr.tube_fk = s.tube_fk
       WHERE s.tube_fk IN (SELECT tube_fk FROM new) AND s.round_fk IS NOT NULL)
SELECT ns.round_fk, ns.{key},
  count(DISTINCT CASE WHEN NOT EXISTS (
    SELECT 1 FROM sample o JOIN lab_result l ON l.tube_fk = o.tube_fk
    WHERE o.person_fk = ns.person_fk AND o.round_fk + 0 = ns.round_fk {same}
      AND o.tube_fk NOT IN (SELECT tube_fk FROM new)) THEN ns.person_fk END),
  count(DISTINCT CASE WHEN ns.reactive = 1 THEN ns.tube_fk END),
  count(DISTINCT CASE WHEN ns.reactive = 1 AND NOT EXISTS (
    SELECT 1 FROM sample o JOIN lab_result l ON l.tube_fk = o.tube_fk
    WHERE o.person_fk = ns.person_fk AND o.round_fk + 0 = ns.round_fk {same} AND l.result IN {reactive}
      AND o.tube_fk NOT IN (SELECT tube_fk FROM new)) THEN ns.person_fk END)
FROM ns GROUP BY ns.round_fk, ns.{key}
"""
#: above this many new results, counting the touched rows again is cheaper than a look-up per swab
_ADD_UP_TO = 50_000


@_whole
def results_arrived(session: Session, tubes_sql: str, *, now: datetime | None = None, **params) -> None:
    """Results were stored for the tubes `tubes_sql` selects (one column tube_fk), none of which had one: each
    touched row gets what they add (a look-up per swab, not a count of the row), the rounds' turnaround is
    counted again. Many results at once: recount_tubes."""
    session.flush()
    n = session.scalar(text(f"SELECT count(*) FROM ({tubes_sql}) x"), params) or 0
    if n > _ADD_UP_TO:
        recount_tubes(session, tubes_sql, now=now, **params)
        return
    rounds = session.scalars(text(f"SELECT DISTINCT round_fk FROM tube WHERE id IN ({tubes_sql}) "
                                  "AND round_fk IS NOT NULL"), params).all()
    swab_rounds = session.scalars(text(f"SELECT DISTINCT round_fk FROM sample WHERE tube_fk IN ({tubes_sql}) "
                                       "AND round_fk IS NOT NULL"), params).all()
    _lock(session, [*rounds, *swab_rounds])   # before reading what was there: a concurrent import's results too
    missing: list[tuple] = []
    for dim, key, same in (("p", "point", "AND coalesce(o.point_id, '') = ns.point"), ("c", "comm", "")):
        sql = _ARRIVED.format(tubes=tubes_sql, key=key, same=same, reactive=_REACTIVE_SQL)
        for round_fk, k, results_in, reactive_tubes, reactive_people in session.execute(text(sql), params).all():
            done = session.execute(
                update(RoundTally).where(RoundTally.round_fk == round_fk, RoundTally.dim == dim, RoundTally.key == k)
                .values(results_in=RoundTally.results_in + results_in,
                        reactive_tubes=RoundTally.reactive_tubes + reactive_tubes,
                        reactive_people=RoundTally.reactive_people + reactive_people))
            if not done.rowcount:   # no row for swabs that are there: counted afresh (drift, an older store)
                missing.append((round_fk, k if dim == "p" else None, k if dim == "c" else None))
    for round_fk, point, comm in missing:
        recount(session, round_fk, points=[point] if point is not None else [],
                communities=[comm] if comm is not None else [])
    for round_fk in sorted(rounds):
        recount_turnaround(session, round_fk, now=now)


@_whole
def recount_tubes(session: Session, tubes_sql: str, *, now: datetime | None = None, **params) -> None:
    """A result arrived or changed for the tubes `tubes_sql` selects (one column of tube.id): their swabs' rows and
    their rounds' turnaround are counted again."""
    session.flush()
    recount_rows(session, session.execute(text(_swabs_of_tubes(tubes_sql)), params).all())
    rounds = session.scalars(text(f"SELECT DISTINCT round_fk FROM tube WHERE id IN ({tubes_sql}) "
                                  "AND round_fk IS NOT NULL"), params).all()
    for round_fk in sorted(rounds):
        recount_turnaround(session, round_fk, now=now)


@_whole
def recount_persons(session: Session, person_fks: Iterable[int], communities: Iterable[str | None] = ()) -> None:
    """These persons' swabs changed hands (a merge, its undo): the rows of their rounds' points, and of their
    communities and `communities` (those the swabs may have left), are counted again."""
    fks = sorted(set(person_fks))
    if not fks:
        return
    session.flush()
    rows = session.execute(select(Sample.round_fk, Sample.point_id, Person.community)
                           .join(Person, Person.id == Sample.person_fk)
                           .where(Sample.person_fk.in_(fks), Sample.round_fk.is_not(None)).distinct()).all()
    extra = set(communities)
    recount_rows(session, [*rows, *((r, p, c) for r, p, _ in rows for c in extra)])


def _differ(before: list[tuple], after: list[tuple]) -> int:
    """How many (dim, key) rows have other figures after than before, or are on one side only."""
    a = {r[:-len(FIGURES)]: r[-len(FIGURES):] for r in before}
    b = {r[:-len(FIGURES)]: r[-len(FIGURES):] for r in after}
    return sum(a.get(k) != b.get(k) for k in set(a) | set(b))


@_whole
def recount_all(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Count every round's figures and the register's persons per community again; how many rows differed."""
    from fangkong.people.models import CommunityPeople

    session.flush()
    people = select(CommunityPeople.community, CommunityPeople.people)
    before_people = dict(session.execute(people).all())
    people_counts.recount(session)
    after_people = dict(session.execute(people).all())
    repaired = sum(before_people.get(k) != after_people.get(k) for k in set(before_people) | set(after_people))
    rounds = session.scalars(select(TestingRound.id).order_by(TestingRound.id)).all()
    session.execute(delete(RoundTally).where(RoundTally.round_fk.not_in(rounds)))
    session.execute(delete(RoundTurnaround).where(RoundTurnaround.round_fk.not_in(rounds)))
    for round_fk in rounds:
        before = _counted(session, round_fk)
        old_ta = session.scalar(select(RoundTurnaround.figures).where(RoundTurnaround.round_fk == round_fk))
        recount(session, round_fk)
        recount_turnaround(session, round_fk, now=now)
        repaired += _differ(before, _counted(session, round_fk))
        new_ta = session.scalar(select(RoundTurnaround.figures).where(RoundTurnaround.round_fk == round_fk))
        repaired += (old_ta or []) != (new_ta or [])
    return {"rounds": len(rounds), "repaired": repaired}


def progress(session: Session, rnd: TestingRound, *, key_groups: bool = True) -> dict:
    """progress.round_progress of the round, read from the kept rows (milliseconds at a million persons).
    `key_groups`: count the area's people under a measure (live, over the measures: tens of milliseconds at a
    million persons); without, key_group_people is None (the page does not show it). A session scoped to a
    jurisdiction gets the figures of its people only: counted (progress.round_progress, scoped like every read),
    since the kept rows are the whole round's."""
    if scope_of(session):
        return round_progress(session, rnd)
    expected_per = people_counts.people_per_community(session, rnd.communities)
    points: dict = {}
    comms: dict = {}
    for dim, key, *values in session.execute(
            select(RoundTally.dim, RoundTally.key, *(getattr(RoundTally, f) for f in FIGURES))
            .where(RoundTally.round_fk == rnd.id)):
        (points if dim == "p" else comms)[key or None] = dict(zip(FIGURES, values, strict=True))
    zero = dict.fromkeys(FIGURES, 0)
    total = {f: sum(v[f] for v in (points if f in ("tubes", "reactive_tubes") else comms).values()) for f in FIGURES}
    area = set(rnd.communities or ())
    in_area_sampled = sum(v["sampled"] for c, v in comms.items() if not area or c in area)
    expected = sum(expected_per.values())
    communities = [{"community": c, "expected": expected_per.get(c, 0), **comms.get(c, zero)}
                   for c in sorted(set(expected_per) | set(comms), key=lambda x: x or "")]
    return {"round_id": rnd.round_id, "name": rnd.name, "expected": expected,
            "key_group_people": key_group_people(session, rnd) if key_groups else None, "not_sampled": expected - in_area_sampled, **total,
            "points": [{"point_id": p, **v} for p, v in sorted(points.items(), key=lambda x: x[0] or "")],
            "communities": communities}


def round_turnaround(session: Session, rnd: TestingRound) -> tuple[list[dict], datetime | None]:
    """The round's kept turnaround (progress.turnaround) and when it was counted (None: no result yet)."""
    row = session.execute(select(RoundTurnaround.figures, RoundTurnaround.counted_at)
                          .where(RoundTurnaround.round_fk == rnd.id)).first()
    return (list(row[0]), row[1]) if row else ([], None)

