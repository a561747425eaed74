"""Import of the FORMATS.md `samples` table: swabs into tubes (pooled tubes share a barcode), in bulk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fangkong.lake.files import ImportResult, RowError, TableFile
from fangkong.protocol.pooling import TestingRule
from fangkong.testing import staging, tally
from fangkong.testing.staging import rows, run

__all__ = ["import_samples"]

_PARSE = f"""
CREATE TEMP TABLE parsed AS
WITH p AS (
  SELECT _line, nullif(trim(tube_id), '') AS tube_id, nullif(trim(person_id), '') AS person_id,
         sampled_at AS sampled_raw, {staging.ts_parse('sampled_at')} AS sampled_at,
         nullif(trim(point_id), '') AS point_id, nullif(trim(round_id), '') AS round_id
  FROM src)
SELECT *, CASE
  WHEN tube_id IS NULL THEN 'tube_id is empty'
  WHEN person_id IS NULL THEN 'person_id is empty'
  WHEN sampled_raw IS NULL THEN 'sampled_at is empty'
  WHEN sampled_at IS NULL THEN 'sampled_at ' || sampled_raw || ' is not an ISO 8601 time'
  WHEN length(tube_id) > 64 OR length(person_id) > 64 OR length(point_id) > 64 OR length(round_id) > 64
       THEN 'an id is longer than 64 characters'
END AS err FROM p
"""

# in-file checks over the well-formed rows: one swab per (tube, person); one point and round per tube
_GOOD = """
CREATE TEMP TABLE checked AS
WITH g AS (
  SELECT * EXCLUDE (err), row_number() OVER sw AS rn, first_value(sampled_at) OVER sw AS first_at,
         first_value(_line) OVER sw AS first_line,
         min(coalesce(point_id, '')) OVER tw <> max(coalesce(point_id, '')) OVER tw AS mixed_point,
         min(coalesce(round_id, '')) OVER tw <> max(coalesce(round_id, '')) OVER tw AS mixed_round
  FROM parsed WHERE err IS NULL
  WINDOW sw AS (PARTITION BY tube_id, person_id ORDER BY _line), tw AS (PARTITION BY tube_id))
SELECT *, CASE
  WHEN mixed_point THEN 'tube ' || tube_id || ' has rows for different sampling points'
  WHEN mixed_round THEN 'tube ' || tube_id || ' has rows for different rounds'
  WHEN rn > 1 AND sampled_at <> first_at THEN 'person ' || person_id || ' swabbed twice into tube ' || tube_id
       || ' at different times (first at line ' || first_line || ')'
END AS err, rn > 1 AND sampled_at = first_at AS dup
FROM g
"""

_VERDICT = """
CREATE TEMPORARY TABLE fk_samples_chk AS
SELECT s.line, s.tube_id, s.person_id, s.sampled_at, s.point_id, s.round_id, p.id AS person_fk,
       r.id AS round_fk, t.id AS tube_fk, sm.sampled_at AS stored_at,
  CASE WHEN p.id IS NULL THEN 'unknown_person'
       WHEN s.round_id IS NOT NULL AND r.id IS NULL THEN 'unknown_round'
       WHEN s.point_id IS NOT NULL AND sp.id IS NULL THEN 'unknown_point'
       WHEN t.kind = 'environment' THEN 'env_tube'
       WHEN sm.id IS NOT NULL AND sm.sampled_at = s.sampled_at THEN 'unchanged'
       WHEN sm.id IS NOT NULL THEN 'stored_differs'
       WHEN lr.tube_fk IS NOT NULL THEN 'tube_tested'
       WHEN t.id IS NOT NULL AND (coalesce(t.point_id, '') <> coalesce(s.point_id, '')
                                  OR coalesce(t.round_fk, -1) <> coalesce(r.id, -1)) THEN 'tube_elsewhere'
       ELSE 'ok' END AS verdict
FROM fk_samples_stage s
LEFT JOIN person p ON p.person_id = s.person_id
LEFT JOIN testing_round r ON r.round_id = s.round_id
LEFT JOIN sampling_point sp ON sp.point_id = s.point_id
LEFT JOIN tube t ON t.tube_id = s.tube_id
LEFT JOIN lab_result lr ON lr.tube_fk = t.id
LEFT JOIN sample sm ON sm.tube_fk = t.id AND sm.person_fk = p.id
"""

_REASONS = {
    "unknown_person": "unknown person {person_id}",
    "unknown_round": "unknown round {round_id} (create it first: fangkong testing round create)",
    "unknown_point": "unknown sampling point {point_id} (register it first: fangkong testing point add)",
    "env_tube": "tube {tube_id} is an environmental sample, not a person's swab",
    "stored_differs": "person {person_id} in tube {tube_id} is already stored sampled at {stored_at} (not overwritten)",
    "tube_tested": "tube {tube_id} already has a lab result: no swab can be added to it",
    "tube_elsewhere": "tube {tube_id} is already stored for another sampling point or round",
    "too_many": "tube {tube_id} would hold more than {max} swabs (the validated maximum pool)",
}

_INSERT_TUBES = """
INSERT INTO tube (tube_id, kind, members, round_fk, point_id, sampled_at, created_at)
SELECT tube_id, CASE WHEN count(*) > 1 THEN 'pool' ELSE 'single' END, count(*), max(round_fk), max(point_id),
       max(sampled_at), :now
FROM fk_samples_chk WHERE verdict = 'ok' AND tube_fk IS NULL GROUP BY tube_id
"""
_INSERT_SAMPLES = """
INSERT INTO sample (tube_fk, person_fk, sampled_at, point_id, round_fk)
SELECT t.id, c.person_fk, c.sampled_at, c.point_id, c.round_fk
FROM fk_samples_chk c JOIN tube t ON t.tube_id = c.tube_id WHERE c.verdict = 'ok'
"""
_GROWN = "SELECT DISTINCT tube_fk FROM fk_samples_chk WHERE verdict = 'ok' AND tube_fk IS NOT NULL"
_REFRESH_TUBES = f"""
UPDATE tube SET members = (SELECT count(*) FROM sample s WHERE s.tube_fk = tube.id),
                sampled_at = (SELECT max(s.sampled_at) FROM sample s WHERE s.tube_fk = tube.id)
WHERE id IN ({_GROWN})
"""
_REKIND = f"UPDATE tube SET kind = CASE WHEN members > 1 THEN 'pool' ELSE 'single' END WHERE id IN ({_GROWN})"
_TOUCHED = """
SELECT DISTINCT c.round_fk, c.point_id, p.community FROM fk_samples_chk c JOIN person p ON p.id = c.person_fk
WHERE c.verdict = 'ok' AND c.round_fk IS NOT NULL
"""
_KEY_IN_POOL = """
SELECT count(*) FROM fk_samples_chk c JOIN tube t ON t.tube_id = c.tube_id
WHERE c.verdict = 'ok' AND t.members > 1 AND EXISTS (
  SELECT 1 FROM measure m WHERE m.person_fk = c.person_fk AND m.status = 'active' AND m.kind <> 'temporary_control')
"""


def _mark_oversized(session: Session, max_pool: int) -> None:
    over = rows(session, """
        SELECT c.tube_id FROM fk_samples_chk c LEFT JOIN tube t ON t.tube_id = c.tube_id
        WHERE c.verdict = 'ok' GROUP BY c.tube_id HAVING count(*) + coalesce(max(t.members), 0) > :m""", m=max_pool)
    for i in range(0, len(over), 1000):
        part = {f"t{j}": r[0] for j, r in enumerate(over[i:i + 1000])}
        run(session, f"UPDATE fk_samples_chk SET verdict = 'too_many' WHERE verdict = 'ok' AND tube_id IN "
                     f"({', '.join(':' + k for k in part)})", **part)


def _db_errors(session: Session, file: str, max_pool: int) -> tuple[int, list[RowError], int]:
    n = run(session, "SELECT count(*) FROM fk_samples_chk WHERE verdict NOT IN ('ok', 'unchanged')").scalar()
    found = rows(session, f"""SELECT line, verdict, tube_id, person_id, round_id, point_id, stored_at
        FROM fk_samples_chk WHERE verdict NOT IN ('ok', 'unchanged') ORDER BY line LIMIT {staging.MAX_ERRORS}""")
    errors = [RowError(file, r[0], _REASONS[r[1]].format(tube_id=r[2], person_id=r[3], round_id=r[4],
                                                          point_id=r[5], stored_at=r[6], max=max_pool))
              for r in found]
    same = run(session, "SELECT count(*) FROM fk_samples_chk WHERE verdict = 'unchanged'").scalar()
    return n, errors, same


def import_samples(session: Session, tf: TableFile, *, rule: TestingRule, tz: str, now: datetime,
                   strict: bool = False) -> ImportResult:
    """Swabs into tubes: new rows inserted, identical rows skipped, conflicting rows reported, never overwritten.

    A tube's kind (single or pool) follows its number of swabs; a tube holding more than the
    validated maximum, a swab for an unknown person, round or point, or a swab added to a tube
    that already has a result is rejected with its line.
    """
    result = ImportResult(table="samples", file=tf.path.name, rows=tf.table.num_rows, errors=[],
                          warnings=list(tf.warnings))
    dialect = session.get_bind().dialect.name
    con = staging.connect(tz, tf.table)
    try:
        con.execute(_PARSE)
        con.execute(_GOOD)
        n1, e1 = staging.duck_errors(con, "parsed", tf.path.name)
        n2, e2 = staging.duck_errors(con, "checked", tf.path.name)
        dups = con.execute("SELECT count(*) FROM checked WHERE dup AND err IS NULL").fetchall()[0][0]
        staging.stage(session, "fk_samples_stage", [("line", "int"), ("tube_id", "text"), ("person_id", "text"),
                                                    ("sampled_at", "ts"), ("point_id", "text"), ("round_id", "text")],
                      con, f"""SELECT _line AS line, tube_id, person_id, {staging.ts_out('sampled_at', dialect)}
                      AS sampled_at, point_id, round_id FROM checked WHERE err IS NULL AND NOT dup""")
    finally:
        con.close()
    staging.drop(session, "fk_samples_chk")
    run(session, _VERDICT)
    staging.analyze(session, "fk_samples_chk")
    _mark_oversized(session, rule.max_pool_size)
    n3, e3, same = _db_errors(session, tf.path.name, rule.max_pool_size)
    result.errors = sorted(e1 + e2 + e3, key=lambda e: e.line)[: staging.MAX_ERRORS]
    n_err = n1 + n2 + n3
    if n_err > len(result.errors):
        result.warnings.append(f"{tf.path.name}: {n_err} rows rejected, the first {len(result.errors)} listed")
    result.unchanged = dups + same
    if not (strict and n_err):
        run(session, _INSERT_TUBES, now=now)
        staging.analyze(session, "tube")  # a million new tubes: join them by hash, not by a million look-ups
        result.inserted = run(session, _INSERT_SAMPLES).rowcount
        run(session, _REFRESH_TUBES)
        run(session, _REKIND)
        tally.recount_rows(session, rows(session, _TOUCHED))  # the round figures the new swabs change
        key = run(session, _KEY_IN_POOL).scalar()
        if key:
            result.warnings.append(f"{tf.path.name}: {key} people under a measure were swabbed into pooled tubes "
                                   "(key groups take single tubes, 单人单管)")
    else:
        result.committed = False
    staging.drop(session, "fk_samples_chk")
    staging.drop(session, "fk_samples_stage")
    return result
