"""The vectorised resolver gives exactly the row-by-row reference's decisions and scores."""

from __future__ import annotations

import random
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.people.resolve import INCOMING_SCHEMA, PHONES_SCHEMA, REGISTER_SCHEMA, resolve, resolve_rows
from fangkong.protocol.idnumber import make
from fangkong.protocol.matching import Thresholds

NAMES = ["张三", "张三丰", "张三峰", "李四", "王五", "王小五", "赵六", "Zhang San", "zhang·san"]
ADDRS = ["迎泽街12号", "太原市迎泽区迎泽街12号", "迎泽街13号", "并州路1号", "并州路1号2单元", None]


def person(rng: random.Random, i: int) -> dict:
    born = date(1980 + rng.randint(0, 3), rng.randint(1, 3), rng.randint(1, 3))
    return {"name": rng.choice(NAMES + [None]), "phone": rng.choice([None, f"1380000000{rng.randint(0, 9)}", f"1390000000{rng.randint(0, 3)}"]),
            "birth_date": rng.choice([born, born, None]), "sex": rng.choice(["M", "F", None]),
            "address": rng.choice(ADDRS), "community": rng.choice(["C1", "C2", None]),
            "id_number": rng.choice([None, None, make("140105", born, 100 + rng.randint(0, 3))])}


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.5, 0.95), st.floats(0.2, 0.5), st.sampled_from([1, 3, 7, 500_000]))
def test_vectorised_equals_row_by_row(seed, link, review, chunk):
    """Whatever the chunk size (a batch's repeated ID numbers span chunks)."""
    rng = random.Random(seed)
    register = [{"person_fk": i + 1, **person(rng, i)} for i in range(rng.randint(0, 25))]
    incoming = [{"row": i, **person(rng, i)} for i in range(rng.randint(0, 25))]
    phones = [{"person_fk": r["person_fk"], "phone": f"1390000000{rng.randint(0, 3)}"}
              for r in register if rng.random() < 0.2]
    th = Thresholds(link=link, review=review)
    fast = resolve(pa.Table.from_pylist(incoming, INCOMING_SCHEMA), pa.Table.from_pylist(register, REGISTER_SCHEMA),
                   pa.Table.from_pylist(phones, PHONES_SCHEMA), th, chunk=chunk).to_pylist()
    slow = resolve_rows(incoming, register, phones, th)
    assert fast == slow
