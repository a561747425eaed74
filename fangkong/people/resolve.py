"""Resolving incoming person rows against the register: vectorised (DuckDB blocking joins + NumPy scores) and a
row-by-row reference with the same answers (used by tests and bench/resolve.py)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangkong.protocol import matching
from fangkong.protocol.matching import ADDRESS_CHARS, NAME_CHARS, WEIGHTS, Thresholds

__all__ = ["INCOMING_SCHEMA", "REGISTER_SCHEMA", "PHONES_SCHEMA", "resolve", "resolve_rows", "RowResolver", "DECISION_COLUMNS"]

#: incoming rows: `row` is the caller's index; every field already validated (FORMATS.md persons)
INCOMING_SCHEMA = pa.schema([("row", pa.int64()), ("name", pa.string()), ("id_number", pa.string()),
                             ("phone", pa.string()), ("birth_date", pa.date32()), ("sex", pa.string()),
                             ("address", pa.string()), ("community", pa.string())])
#: the register: one row per person (person.id as person_fk), its primary phone in `phone`
REGISTER_SCHEMA = pa.schema([("person_fk", pa.int64()), ("name", pa.string()), ("id_number", pa.string()),
                             ("phone", pa.string()), ("birth_date", pa.date32()), ("sex", pa.string()),
                             ("address", pa.string()), ("community", pa.string())])
#: further phones of registered persons (contact phones from other sources, owned phones)
PHONES_SCHEMA = pa.schema([("person_fk", pa.int64()), ("phone", pa.string())])
DECISION_COLUMNS = ("row", "decision", "person_fk", "same_as_row", "score", "name", "phone", "birth_date",
                    "address", "veto")


def _normalised(arr: pa.ChunkedArray | pa.Array, fn: Callable[[str], str | None]) -> pa.Array:
    """Apply a Python normaliser once per distinct value (names and addresses repeat a lot)."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    enc = pc.dictionary_encode(arr)
    values = pa.array([fn(v) for v in enc.dictionary.to_pylist()], pa.string())
    return pc.take(values, enc.indices)


def _prepared(t: pa.Table) -> pa.Table:
    """Normalised name and address; birth date and sex filled from a valid ID number (as matching.prepare)."""
    ids = t.column("id_number")
    # ID numbers were validated (GB 11643) when they came in: what is left is reading birth date and sex out
    born = pc.strptime(pc.utf8_slice_codeunits(ids, 6, 14), format="%Y%m%d", unit="s", error_is_null=True)
    valid = pc.fill_null(pc.and_(pc.equal(pc.utf8_length(ids), 18), pc.is_valid(born)), False)
    born = pc.if_else(valid, pc.cast(born, pa.date32()), pa.scalar(None, pa.date32()))
    digit = pc.cast(pc.utf8_slice_codeunits(ids, 16, 17), pa.int64(), safe=False) if len(t) else ids
    sex = pc.if_else(valid, pc.if_else(pc.equal(pc.bit_wise_and(digit, 1), 1), "M", "F"),
                     pa.scalar(None, pa.string())) if len(t) else ids
    t = t.set_column(t.schema.get_field_index("birth_date"), "birth_date", pc.coalesce(t.column("birth_date"), born))
    t = t.set_column(t.schema.get_field_index("sex"), "sex", pc.coalesce(t.column("sex"), sex))
    t = t.append_column("name_n", _normalised(t.column("name"), matching.normalise_name))
    return t.append_column("address_n", _normalised(t.column("address"), matching.normalise_address))


_PAIRS = """
WITH todo AS (SELECT * FROM inc WHERE row NOT IN (SELECT row FROM by_id)),
allphones AS (SELECT person_fk, phone FROM reg WHERE phone IS NOT NULL UNION SELECT person_fk, phone FROM phones),
cand AS (
  SELECT t.row, p.person_fk FROM todo t JOIN allphones p ON p.phone = t.phone
  UNION SELECT t.row, r.person_fk FROM todo t JOIN reg r ON r.birth_date = t.birth_date AND r.name_n = t.name_n
  UNION SELECT t.row, r.person_fk FROM todo t JOIN reg r ON r.birth_date = t.birth_date AND r.community = t.community
),
ph AS (
  SELECT c.row, c.person_fk, max(CASE WHEN t.phone IS NULL THEN NULL WHEN t.phone = p.phone THEN 1.0
           WHEN length(t.phone) = length(p.phone) AND hamming(t.phone, p.phone) = 1 THEN 0.5 ELSE 0.0
           END::DOUBLE) AS phone
  FROM cand c JOIN todo t ON t.row = c.row JOIN allphones p ON p.person_fk = c.person_fk GROUP BY ALL
)
SELECT c.row, c.person_fk, t.name_n AS a_name, r.name_n AS b_name, t.address_n AS a_addr, r.address_n AS b_addr,
  ph.phone,
  CASE WHEN t.birth_date IS NULL OR r.birth_date IS NULL THEN NULL WHEN t.birth_date = r.birth_date THEN 1.0
       WHEN (year(t.birth_date) = year(r.birth_date))::INT + (month(t.birth_date) = month(r.birth_date))::INT
            + (day(t.birth_date) = day(r.birth_date))::INT = 2
         OR (year(t.birth_date) = year(r.birth_date) AND month(t.birth_date) = day(r.birth_date)
             AND day(t.birth_date) = month(r.birth_date)) THEN 0.5 ELSE 0.0 END::DOUBLE AS birth_date,
  CASE WHEN t.id_number IS NOT NULL AND r.id_number IS NOT NULL AND t.id_number <> r.id_number
         THEN 'different resident ID numbers'
       WHEN t.sex IS NOT NULL AND r.sex IS NOT NULL AND t.sex <> r.sex THEN 'different sex' END AS veto
FROM cand c JOIN todo t ON t.row = c.row JOIN reg r ON r.person_fk = c.person_fk
  LEFT JOIN ph ON ph.row = c.row AND ph.person_fk = c.person_fk
"""


def _codes(values: list, width: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([v or "" for v in values], dtype=f"U{width}")
    return a.view(np.uint32).reshape(len(values), width), np.char.str_len(a)


def _name_similarity(a: list, b: list) -> np.ndarray:
    """matching.name_similarity for many pairs: a Levenshtein table filled one cell for all pairs at once."""
    out = np.full(len(a), np.nan)
    both = np.array([bool(x) and bool(y) for x, y in zip(a, b, strict=True)], dtype=bool)
    same = np.array([x == y for x, y in zip(a, b, strict=True)], dtype=bool) & both
    out[same] = 1.0
    todo = np.nonzero(both & ~same)[0]
    if not len(todo):
        return out
    A, la = _codes([a[i] for i in todo], NAME_CHARS)
    B, lb = _codes([b[i] for i in todo], NAME_CHARS)
    W = int(max(la.max(), lb.max()))
    n = len(todo)
    cols = np.arange(n)
    prev = np.repeat(np.arange(W + 1, dtype=np.int32)[:, None], n, axis=1)
    dist = np.zeros(n, dtype=np.int32)
    for i in range(1, W + 1):
        cur = np.empty_like(prev)
        cur[0] = i
        for j in range(1, W + 1):
            cur[j] = np.minimum(np.minimum(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (A[:, i - 1] != B[:, j - 1]))
        sel = la == i
        dist[sel] = cur[lb[sel], cols[sel]]
        prev = cur
    out[todo] = 1.0 - dist / np.maximum(la, lb)
    return out


def _address_similarity(a: list, b: list) -> np.ndarray:
    out = np.full(len(a), np.nan)
    both = np.nonzero([bool(x) and bool(y) for x, y in zip(a, b, strict=True)])[0]
    if not len(both):
        return out
    A, la = _codes([a[i] for i in both], ADDRESS_CHARS)
    B, lb = _codes([b[i] for i in both], ADDRESS_CHARS)
    prefix = np.minimum(np.cumprod(A == B, axis=1).sum(axis=1), np.minimum(la, lb))
    out[both] = prefix / np.maximum(la, lb)
    return out


def _scored(pairs: pa.Table) -> pa.Table:
    """Field similarities and the score per candidate pair, in matching.compare's order of operations."""
    name = _name_similarity(pairs.column("a_name").to_pylist(), pairs.column("b_name").to_pylist())
    address = _address_similarity(pairs.column("a_addr").to_pylist(), pairs.column("b_addr").to_pylist())
    phone = pairs.column("phone").to_numpy(zero_copy_only=False).astype(float)
    birth = pairs.column("birth_date").to_numpy(zero_copy_only=False).astype(float)
    score = 0.0 + WEIGHTS.name * np.nan_to_num(name, nan=0.0)
    score = score + WEIGHTS.phone * np.nan_to_num(phone, nan=0.0)
    score = score + WEIGHTS.birth * np.nan_to_num(birth, nan=0.0)
    score = score + WEIGHTS.address * np.nan_to_num(address, nan=0.0)
    veto = pairs.column("veto")
    score = np.where(pc.is_valid(veto).to_numpy(zero_copy_only=False), 0.0, score)
    f = lambda x: pa.array(x, pa.float64(), from_pandas=True)
    return pa.table({"row": pairs.column("row"), "person_fk": pairs.column("person_fk"), "score": f(score),
                     "name": f(name), "phone": f(phone), "birth_date": f(birth), "address": f(address),
                     "veto": veto})


#: incoming rows resolved together: names and addresses are normalised and blocked one chunk at a time, each
#: against the whole register (a city's register is ten million rows: its normalised text, whole, was gigabytes)
RESOLVE_CHUNK = 500_000


def resolve(incoming: pa.Table, register: pa.Table, phones: pa.Table, thresholds: Thresholds,
            *, chunk: int = RESOLVE_CHUNK) -> pa.Table:
    """One decision per incoming row: `id_number` (same resident ID as a registered person, or as an earlier
    row of the same batch: `same_as_row`), `link`, `review` (with its best candidate) or `new`.

    Rows are matched against the register as it was before the batch; a batch's rows sharing an ID number
    are one person. The best candidate has the highest score, then the lowest person_fk. Decisions come in
    `row` order; rows are resolved `chunk` at a time (the answer does not depend on it).
    """
    rows = incoming.column("row").to_numpy()
    if len(rows) > 1 and (np.diff(rows) < 0).any():
        incoming = incoming.sort_by("row")
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("reg", _prepared(register))
    con.register("phones", phones)
    # the later rows of an ID number the batch repeats, with the first row (over the whole batch, not a chunk)
    con.register("ids", incoming.select(["row", "id_number"]))
    con.execute("""CREATE TEMP TABLE first_id AS SELECT row, first FROM (
        SELECT row, min(row) OVER (PARTITION BY id_number) AS first FROM ids WHERE id_number IS NOT NULL)
        WHERE first < row""")
    con.unregister("ids")
    out = [_resolve_chunk(con, incoming.slice(start, chunk), thresholds)
           for start in range(0, max(incoming.num_rows, 1), max(chunk, 1))]  # an empty batch: one empty chunk
    con.close()
    return pa.concat_tables(out)


def _resolve_chunk(con, incoming: pa.Table, thresholds: Thresholds) -> pa.Table:
    con.register("inc", _prepared(incoming))
    con.execute("""CREATE OR REPLACE TEMP TABLE by_id AS
        SELECT t.row, min(r.person_fk) AS person_fk FROM inc t JOIN reg r ON r.id_number = t.id_number GROUP BY t.row""")
    scored = _scored(con.sql(_PAIRS).to_arrow_table())
    con.register("scored", scored)
    best = con.sql("""
        SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY row ORDER BY score DESC, person_fk)
                                    AS rn FROM scored) WHERE rn = 1""").to_arrow_table()
    con.register("best", best)
    link, review = float(thresholds.link), float(thresholds.review)
    out = con.sql(f"""
        SELECT i.row,
          CASE WHEN b.row IS NOT NULL OR f.first < i.row THEN 'id_number'
               WHEN s.score >= {link!r}::DOUBLE THEN 'link' WHEN s.score >= {review!r}::DOUBLE THEN 'review' ELSE 'new' END AS decision,
          CASE WHEN b.row IS NOT NULL THEN b.person_fk WHEN f.first < i.row THEN NULL
               WHEN s.score >= {review!r}::DOUBLE THEN s.person_fk END AS person_fk,
          CASE WHEN b.row IS NULL AND f.first < i.row THEN f.first END AS same_as_row,
          CASE WHEN b.row IS NULL AND NOT coalesce(f.first < i.row, false) THEN s.score END AS score,
          CASE WHEN b.row IS NULL AND NOT coalesce(f.first < i.row, false) THEN s.name END AS name,
          CASE WHEN b.row IS NULL AND NOT coalesce(f.first < i.row, false) THEN s.phone END AS phone,
          CASE WHEN b.row IS NULL AND NOT coalesce(f.first < i.row, false) THEN s.birth_date END AS birth_date,
          CASE WHEN b.row IS NULL AND NOT coalesce(f.first < i.row, false) THEN s.address END AS address,
          CASE WHEN b.row IS NULL AND NOT coalesce(f.first < i.row, false) THEN s.veto END AS veto
        FROM inc i LEFT JOIN by_id b USING (row) LEFT JOIN first_id f USING (row) LEFT JOIN best s USING (row)
        ORDER BY i.row""").to_arrow_table()
    for name in ("inc", "scored", "best"):
        con.unregister(name)
    return out


def _record(r: dict, extra: list[str] = ()) -> matching.Record:
    return matching.prepare(name=r["name"], id_number=r["id_number"], phones=[p for p in [r["phone"], *extra] if p],
                            birth_date=r["birth_date"], sex=r["sex"], address=r["address"])


def resolve_rows(incoming: list[dict], register: list[dict], phones: list[dict], thresholds: Thresholds) -> list[dict]:
    """The same decisions as `resolve`, one row at a time in plain Python (dict indexes on the same blocking
    keys, matching.compare per candidate): the baseline of bench/resolve.py and the oracle of the tests."""
    return RowResolver(register, phones).resolve(incoming, thresholds)


class RowResolver:
    """The row-by-row reference: the register's indexes, built once."""

    def __init__(self, register: list[dict], phones: list[dict]) -> None:
        self.records, self.by_id, self.by_phone, self.by_name, self.by_comm = _index(register, phones)

    def resolve(self, incoming: list[dict], thresholds: Thresholds) -> list[dict]:
        return _rows(incoming, thresholds, self.records, self.by_id, self.by_phone, self.by_name, self.by_comm)


def _index(register: list[dict], phones: list[dict]):
    extra: dict[int, list[str]] = {}
    for p in phones:
        extra.setdefault(p["person_fk"], []).append(p["phone"])
    records, by_id, by_phone, by_name, by_comm = {}, {}, {}, {}, {}
    for r in register:
        fk = r["person_fk"]
        rec = records[fk] = _record(r, extra.get(fk, []))
        if r["id_number"]:
            by_id[r["id_number"]] = min(fk, by_id.get(r["id_number"], fk))
        for ph in rec.phones:
            by_phone.setdefault(ph, set()).add(fk)
        if rec.birth_date is not None:
            by_name.setdefault((rec.birth_date, rec.name), set()).add(fk)
            by_comm.setdefault((rec.birth_date, r["community"]), set()).add(fk)
    return records, by_id, by_phone, by_name, by_comm


def _rows(incoming, thresholds, records, by_id, by_phone, by_name, by_comm) -> list[dict]:
    first_row: dict[str, int] = {}
    out = []
    for r in incoming:
        rec = _record(r)
        d = dict.fromkeys(DECISION_COLUMNS)
        d["row"] = r["row"]
        if r["id_number"] in by_id:
            out.append({**d, "decision": "id_number", "person_fk": by_id[r["id_number"]]})
            continue
        if r["id_number"]:
            first = first_row.setdefault(r["id_number"], r["row"])
            if first < r["row"]:
                out.append({**d, "decision": "id_number", "same_as_row": first})
                continue
        cands = set(by_phone.get(rec.phones[0], ())) if rec.phones else set()
        if rec.birth_date is not None:
            cands |= by_name.get((rec.birth_date, rec.name), set()) if rec.name else set()
            cands |= by_comm.get((rec.birth_date, r["community"]), set()) if r["community"] else set()
        best = None
        for fk in sorted(cands):
            m = matching.compare(rec, records[fk])
            if best is None or m.score > best[1].score:
                best = (fk, m)
        if best is None:
            out.append({**d, "decision": "new"})
            continue
        fk, m = best
        decision = matching.decide(m.score, thresholds)
        out.append({**d, "decision": decision, "person_fk": fk if decision != "new" else None, "score": m.score,
                    "veto": m.veto, **{k: m.fields[k] for k in ("name", "phone", "birth_date", "address")}})
    return out
