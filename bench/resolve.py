"""Resolving incoming person rows against a large register: vectorised (DuckDB blocking joins + NumPy scores)
vs row by row in Python (dict indexes on the same blocking keys, protocol.matching.compare per candidate).

The row-by-row baseline runs on a subset of the incoming rows in the same process and is scaled to the full
count (its per-row time plus its index build); both give the same decisions on that subset (checked).

    .venv/bin/python bench/resolve.py                       # 1 000 000 incoming vs 1 000 000 registered
    .venv/bin/python bench/resolve.py --register 100000 --incoming 100000 --subset 5000
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter

import numpy as np
import pyarrow as pa

from fangkong.people.resolve import INCOMING_SCHEMA, PHONES_SCHEMA, REGISTER_SCHEMA, RowResolver, resolve
from fangkong.protocol.idnumber import check_char
from fangkong.protocol.matching import Thresholds

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁")
STREETS = ["迎泽大街", "并州路", "五一路", "解放路", "建设路", "府西街", "府东街", "新建路", "长风街", "平阳路"]


def _strings(parts: list[np.ndarray]) -> pa.Array:
    out = parts[0].astype(object)
    for p in parts[1:]:
        out = out + p.astype(object)
    return pa.array(out, pa.string())


def register(n: int, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    """n persons: 2–3 character names, birth dates over 80 years, 11-digit phones, 70 % with an ID number."""
    sur = np.array(SURNAMES)[rng.integers(len(SURNAMES), size=n)]
    g1 = np.array(GIVEN)[rng.integers(len(GIVEN), size=n)]
    g2 = np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(len(GIVEN), size=n)], "")
    days = rng.integers(0, 80 * 365, size=n)
    born = (np.datetime64("1940-01-01") + days).astype("datetime64[D]")
    ymd = np.datetime_as_string(born).astype(object)
    seq = rng.integers(0, 1000, size=n)
    first17 = ["140105" + d.replace("-", "") + f"{s:03d}" for d, s in zip(ymd, seq, strict=True)]
    ids = [f + check_char(f) if r < 0.7 else None for f, r in zip(first17, rng.random(n), strict=True)]
    sex = np.where(seq % 2 == 1, "M", "F")
    phone = 13_000_000_000 + rng.choice(999_999_999, size=n, replace=False)
    comm = rng.integers(0, 300, size=n)
    street = np.array(STREETS)[rng.integers(len(STREETS), size=n)]
    number = rng.integers(1, 400, size=n).astype(str)
    t = pa.table({"person_fk": pa.array(np.arange(1, n + 1), pa.int64()), "name": _strings([sur, g1, g2]),
                  "id_number": pa.array(ids, pa.string()), "phone": pa.array(phone.astype(str), pa.string()),
                  "birth_date": pa.array(born.astype("datetime64[D]"), pa.date32()), "sex": pa.array(sex),
                  "address": _strings([street, number, np.full(n, "号")]),
                  "community": pa.array((140105001000 + comm).astype(str))}, schema=REGISTER_SCHEMA)
    return t, PHONES_SCHEMA.empty_table()


def incoming(reg: pa.Table, m: int, rng: np.random.Generator) -> tuple[pa.Table, dict]:
    """m rows from a second source: 30 % are registered persons (half keep their ID number; the rest without
    it, some with a one-character name change, a city prefix on the address or a new phone), 70 % are new."""
    n = reg.num_rows
    dup = rng.random(m) < 0.3
    src = np.where(dup, rng.integers(0, n, size=m), -1)
    fresh, _ = register(m, np.random.default_rng(int(rng.integers(1 << 31))))
    rows = fresh.to_pydict()
    base = reg.take(pa.array(np.where(dup, src, 0))).to_pydict()
    kinds = Counter()
    for i in np.nonzero(dup)[0]:
        r = {k: base[k][i] for k in base}
        v = rng.random(4)
        if v[0] < 0.5:
            kinds["same ID number"] += 1
        else:
            r["id_number"] = None
            kinds["no ID number"] += 1
            if v[1] < 0.2 and r["name"]:
                r["name"] = r["name"][:-1] + GIVEN[int(v[1] * 100) % len(GIVEN)]
            if v[2] < 0.3:
                r["address"] = "太原市迎泽区" + r["address"]
            if v[3] < 0.2:
                r["phone"] = str(15_000_000_000 + int(rng.integers(999_999_999)))
        for k in rows:
            if k != "person_fk":
                rows[k][i] = r[k]
    rows["row"] = list(range(m))
    del rows["person_fk"]
    return pa.Table.from_pydict(rows, schema=INCOMING_SCHEMA), dict(kinds, new=int((~dup).sum()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--register", type=int, default=1_000_000)
    ap.add_argument("--incoming", type=int, default=1_000_000)
    ap.add_argument("--subset", type=int, default=20_000, help="rows for the row-by-row baseline")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    reg, phones = register(a.register, rng)
    inc, kinds = incoming(reg, a.incoming, rng)
    print(f"data: {a.register:,} registered, {a.incoming:,} incoming {dict(kinds)} "
          f"({time.perf_counter() - t0:.1f} s to generate)")
    th = Thresholds()
    t0 = time.perf_counter()
    fast = resolve(inc, reg, phones, th)
    t_fast = time.perf_counter() - t0
    counts = Counter(fast.column("decision").to_pylist())
    print(f"vectorised: {t_fast:.1f} s for {a.incoming:,} rows ({a.incoming / t_fast:,.0f} rows/s): {dict(counts)}")

    sub = inc.slice(0, a.subset)
    reg_rows, inc_rows = reg.to_pylist(), sub.to_pylist()
    t0 = time.perf_counter()
    baseline = RowResolver(reg_rows, [])
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = baseline.resolve(inc_rows, th)
    t_rows = time.perf_counter() - t0
    per_row = t_rows / a.subset
    scaled = t_index + per_row * a.incoming
    same = resolve(sub, reg, phones, th).to_pylist() == slow
    print(f"row by row: register index {t_index:.1f} s, then {t_rows:.1f} s for {a.subset:,} rows ({per_row * 1e6:.0f} µs/row) "
          f"→ {scaled:,.0f} s scaled to {a.incoming:,} rows; same decisions on the subset: {same}")
    print(f"ratio row-by-row / vectorised: {scaled / t_fast:.1f}x")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
