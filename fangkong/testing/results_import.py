"""Import of the FORMATS.md `lab_results` table: one result per tube with its stage times (采送检报), in bulk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fangkong.lake.files import ImportResult, RowError, TableFile
from fangkong.protocol.pooling import RESULTS
from fangkong.testing import staging, tally
from fangkong.testing.staging import rows, run

__all__ = ["stage_lab_results", "finish_lab_results", "interesting_results"]

_TS = ("received_at", "tested_at", "reported_at")
_RESULT_LIST = ", ".join(f"'{r}'" for r in RESULTS)


def _ts_checks() -> str:
    out = []
    for c in _TS:
        out.append(f"WHEN {c}_raw IS NOT NULL AND {c} IS NULL THEN '{c} ' || {c}_raw || ' is not an ISO 8601 time'")
    return "\n  ".join(out)


_PARSE = f"""
CREATE TEMP TABLE parsed AS
WITH p AS (
  SELECT _line, nullif(trim(tube_id), '') AS tube_id, lower(nullif(trim(result), '')) AS result,
         ct_orf1ab AS ct1_raw, TRY_CAST(ct_orf1ab AS DOUBLE) AS ct_orf1ab,
         ct_n AS ct2_raw, TRY_CAST(ct_n AS DOUBLE) AS ct_n, nullif(trim(lab_id), '') AS lab_id,
         {", ".join(f"nullif(trim({c}), '') AS {c}_raw, {staging.ts_parse(c)} AS {c}" for c in _TS)}
  FROM src)
SELECT *, CASE
  WHEN tube_id IS NULL THEN 'tube_id is empty'
  WHEN length(tube_id) > 64 OR length(lab_id) > 64 THEN 'an id is longer than 64 characters'
  WHEN result IS NULL THEN 'result is empty'
  WHEN result NOT IN ({_RESULT_LIST}) THEN 'result ' || result || ' is not one of {", ".join(RESULTS)}'
  WHEN reported_at_raw IS NULL THEN 'reported_at is empty'
  {_ts_checks()}
  WHEN ct1_raw IS NOT NULL AND (ct_orf1ab IS NULL OR NOT ct_orf1ab BETWEEN 0 AND 60) THEN 'ct_orf1ab ' || ct1_raw || ' is not a Ct value (0–60)'
  WHEN ct2_raw IS NOT NULL AND (ct_n IS NULL OR NOT ct_n BETWEEN 0 AND 60) THEN 'ct_n ' || ct2_raw || ' is not a Ct value (0–60)'
  WHEN tested_at < received_at THEN 'tested_at is before received_at'
  WHEN reported_at < tested_at THEN 'reported_at is before tested_at'
  WHEN reported_at < received_at THEN 'reported_at is before received_at'
END AS err FROM p
"""

# the same tube twice in a file: the same result is a harmless repeat, two results a conflict for review
# (grouped once, then joined back: a window over a million one-row partitions costs far more)
_GOOD = """
CREATE TEMP TABLE multi AS
SELECT tube_id, min(result) <> max(result) AS conflict, min(_line) AS first_line,
       string_agg(CAST(_line AS VARCHAR), ', ' ORDER BY _line) AS lines
FROM parsed WHERE err IS NULL GROUP BY tube_id HAVING count(*) > 1;
CREATE TEMP TABLE checked AS
SELECT p.*, coalesce(m.conflict, false) AS conflict,
       coalesce(NOT m.conflict AND p._line <> m.first_line, false) AS dup, m.lines
FROM parsed p LEFT JOIN multi m ON m.tube_id = p.tube_id WHERE p.err IS NULL
"""

_VERDICT = """
CREATE TEMPORARY TABLE fk_results_chk AS
SELECT s.*, t.id AS tube_fk, t.sampled_at AS tube_sampled_at, l.id AS lab_fk, lr.result AS stored_result,
  CASE WHEN t.id IS NULL THEN 'unknown_tube'
       WHEN s.lab_id IS NOT NULL AND l.id IS NULL THEN 'unknown_lab'
       WHEN s.reported_at < t.sampled_at THEN 'before_sampled'
       WHEN s.received_at < t.sampled_at THEN 'received_before_sampled'
       WHEN s.conflict = 1 THEN 'file_conflict'
       WHEN lr.tube_fk IS NOT NULL AND lr.result = s.result THEN 'unchanged'
       WHEN lr.tube_fk IS NOT NULL THEN 'stored_conflict'
       ELSE 'ok' END AS verdict
FROM fk_results_stage s
LEFT JOIN tube t ON t.tube_id = s.tube_id
LEFT JOIN lab l ON l.lab_id = s.lab_id
LEFT JOIN lab_result lr ON lr.tube_fk = t.id
"""

_REASONS = {
    "unknown_tube": "result for an unknown tube {tube_id} (no sample was imported for it)",
    "unknown_lab": "unknown lab {lab_id} (register it first: fangkong testing lab add)",
    "before_sampled": "tube {tube_id}: reported_at {reported_at} is before the tube was sampled ({sampled_at})",
    "received_before_sampled": "tube {tube_id}: received_at {received_at} is before the tube was sampled "
                               "({sampled_at})",
    "file_conflict": "tube {tube_id} has different results in this file (lines {lines}): flagged for review, "
                     "none stored",
    "stored_conflict": "tube {tube_id} already has result {stored_result}, this row says {result}: flagged for "
                       "review, not overwritten",
}

_CONFLICTS = """
INSERT INTO result_conflict (tube_fk, stored_result, new_result, source, line, found_at, status)
SELECT c.tube_fk, c.stored_result, c.result, CAST(:src AS VARCHAR(200)), c.line, :now, 'open' FROM fk_results_chk c
WHERE c.verdict IN ('file_conflict', 'stored_conflict') AND NOT EXISTS (
  SELECT 1 FROM result_conflict rc WHERE rc.tube_fk = c.tube_fk AND rc.new_result = c.result
    AND rc.source = CAST(:src AS VARCHAR(200)) AND rc.line = c.line)
"""
_INSERT = """
INSERT INTO lab_result (tube_fk, result, ct_orf1ab, ct_n, lab_fk, received_at, tested_at, reported_at,
                        imported_at, source)
SELECT tube_fk, result, ct_orf1ab, ct_n, lab_fk, received_at, tested_at, reported_at, :now, CAST(:src AS VARCHAR(200))
FROM fk_results_chk WHERE verdict = 'ok'
"""
# a negative matters to a person only when something waits on it: a re-test, a re-check, a scheduled test
_INTERESTING = """
SELECT c.tube_fk, c.result, c.reported_at FROM fk_results_chk c
WHERE c.verdict = 'ok' AND (c.result <> 'negative' OR EXISTS (
  SELECT 1 FROM sample s WHERE s.tube_fk = c.tube_fk AND (
    s.person_fk IN (SELECT person_fk FROM retest_task WHERE status = 'open')
    OR s.person_fk IN (SELECT person_fk FROM "case" WHERE status = 'suspected')
    OR s.person_fk IN (SELECT tt.person_fk FROM test_task tt JOIN measure m ON m.id = tt.measure_fk
                       WHERE tt.result = 'pending' AND m.status = 'active')
    OR s.person_fk IN (SELECT person_fk FROM measure WHERE status = 'active' AND kind = 'temporary_control'))))
ORDER BY c.reported_at, c.line
"""


_COLS = [("line", "int"), ("tube_id", "text"), ("result", "text"), ("ct_orf1ab", "float"), ("ct_n", "float"),
         ("lab_id", "text"), ("received_at", "ts"), ("tested_at", "ts"), ("reported_at", "ts"), ("conflict", "int"),
         ("lines", "text")]


def _parse_and_stage(session: Session, tf: TableFile, tz: str) -> tuple[int, list[RowError], int]:
    """Row checks in DuckDB; the well-formed rows (one per tube, conflicts kept) staged in the record store."""
    dialect = session.get_bind().dialect.name
    con = staging.connect(tz, tf.table)
    try:
        con.execute(_PARSE)
        con.execute(_GOOD)
        n, errors = staging.duck_errors(con, "parsed", tf.path.name)
        dups = con.execute("SELECT count(*) FROM checked WHERE dup").fetchall()[0][0]
        ts = ", ".join(f"{staging.ts_out(c, dialect)} AS {c}" for c in _TS)
        staging.stage(session, "fk_results_stage", _COLS, con, f"""SELECT _line AS line, tube_id, result, ct_orf1ab,
            ct_n, lab_id, {ts}, CAST(conflict AS INTEGER) AS conflict, lines FROM checked WHERE NOT dup""")
    finally:
        con.close()
    return n, errors, dups


def _db_errors(session: Session, file: str) -> tuple[int, list[RowError]]:
    bad = "verdict NOT IN ('ok', 'unchanged')"
    n = run(session, f"SELECT count(*) FROM fk_results_chk WHERE {bad}").scalar()
    found = rows(session, f"""SELECT line, verdict, tube_id, lab_id, reported_at, received_at, tube_sampled_at,
        lines, stored_result, result FROM fk_results_chk WHERE {bad} ORDER BY line LIMIT {staging.MAX_ERRORS}""")
    keys = ("tube_id", "lab_id", "reported_at", "received_at", "sampled_at", "lines", "stored_result", "result")
    return n, [RowError(file, r[0], _REASONS[r[1]].format(**dict(zip(keys, r[2:], strict=True)))) for r in found]


def stage_lab_results(session: Session, tf: TableFile, *, tz: str) -> ImportResult:
    """Check every row (in the file, then against the stored tubes, labs and results); nothing written yet."""
    result = ImportResult(table="lab_results", file=tf.path.name, rows=tf.table.num_rows, errors=[],
                          warnings=list(tf.warnings))
    n1, e1, dups = _parse_and_stage(session, tf, tz)
    staging.drop(session, "fk_results_chk")
    run(session, _VERDICT)
    staging.analyze(session, "fk_results_chk")
    n2, e2 = _db_errors(session, tf.path.name)
    result.errors = sorted(e1 + e2, key=lambda e: e.line)[: staging.MAX_ERRORS]
    if n1 + n2 > len(result.errors):
        result.warnings.append(f"{tf.path.name}: {n1 + n2} rows rejected, the first {len(result.errors)} listed")
    result.unchanged = dups + run(session, "SELECT count(*) FROM fk_results_chk WHERE verdict = 'unchanged'").scalar()
    return result


def interesting_results(session: Session) -> list[tuple[int, str, object]]:
    """(tube_fk, result, reported_at) of the staged new results that ask for a follow-up."""
    return [(r[0], r[1], r[2]) for r in rows(session, _INTERESTING)]


def finish_lab_results(session: Session, result: ImportResult, *, now: datetime, strict: bool) -> bool:
    """Write the checked rows (or nothing under --strict with errors); conflicts are kept for review."""
    if strict and result.errors:
        result.committed = False
    else:
        run(session, _CONFLICTS, now=now, src=result.file)
        result.inserted = run(session, _INSERT, now=now, src=result.file).rowcount
        if result.inserted:  # the round figures and turnaround the new results change
            tally.results_arrived(session, "SELECT tube_fk FROM fk_results_chk WHERE verdict = 'ok'", now=now)
    return result.committed


def drop_stage(session: Session) -> None:
    staging.drop(session, "fk_results_chk")
    staging.drop(session, "fk_results_stage")
