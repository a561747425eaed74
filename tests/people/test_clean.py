"""The persons file's rows cleaned column by column in Arrow give exactly what the row-by-row cleaning gives:
the same rows kept, the same values, the same errors with their lines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.lake.files import ImportResult, TableFile
from fangkong.people import service
from fangkong.people.models import PERSON_FIELDS
from fangkong.protocol import idnumber

_VALID_ID = st.builds(lambda b, q: idnumber.make("110105", b, q), st.dates(date(1900, 1, 1), date(2020, 12, 31)),
                      st.integers(0, 999))
_SPACE = st.sampled_from(["", " ", "\t", "\u3000", "\xa0", "\n"])


def _padded(values):
    return st.builds(lambda a, v, b: a + v + b, _SPACE, values, _SPACE)


_FIELD = {
    "person_id": st.one_of(st.just(""), st.text("P0123456789", min_size=1, max_size=9)),
    "name": st.one_of(st.text(max_size=6), st.just("张" * 101)),
    "id_number": st.one_of(st.just(""), _VALID_ID, _VALID_ID.map(str.lower),
                           _VALID_ID.map(lambda n: n[:-1] + ("0" if n[-1] != "0" else "1")),
                           st.text("0123456789X١", min_size=17, max_size=19)),
    "phone": st.one_of(st.just(""), st.text("0123456789１a", min_size=8, max_size=12).map(lambda t: "1" + t)),
    "household_id": st.text("H01", max_size=4),
    "community": st.text(max_size=4),
    "address": st.text(max_size=8),
    "birth_date": st.one_of(st.just(""), st.dates().map(date.isoformat), st.sampled_from(
        ["2022-02-30", "0000-01-01", "2023-02-29", "2024-02-29", "20220314", "2022-1-05", "yesterday"])),
    "sex": st.sampled_from(["", "M", "F", "m", "X"]),
}
_PLAIN = st.fixed_dictionaries({
    "person_id": st.text("P0123456789", min_size=1, max_size=9), "name": st.sampled_from(["张三", "李四", None]),
    "id_number": st.one_of(st.none(), _VALID_ID), "phone": st.sampled_from(["13800000001", None]),
    "household_id": st.just("H1"), "community": st.just("C"), "address": st.just("A"),
    "birth_date": st.one_of(st.none(), st.dates().map(date.isoformat)), "sex": st.sampled_from(["M", "F", None])})
#: a plain row, or one with one field anything (so each odd value is met beside plain ones)
_ODD = st.sampled_from(PERSON_FIELDS).flatmap(
    lambda f: st.one_of(st.none(), _FIELD[f], _padded(_FIELD[f])).map(lambda v: {f: v}))
_ROW = st.builds(lambda row, odd: {**row, **odd}, _PLAIN, st.one_of(st.just({}), _ODD))


def _file(rows: list[dict]) -> TableFile:
    cols = {f: pa.array([r[f] for r in rows], pa.string()) for f in PERSON_FIELDS}
    cols["_line"] = pa.array(range(2, 2 + len(rows)), pa.int64())
    return TableFile(path=Path("persons.csv"), table=pa.table(cols), warnings=[])


def _by_rows(tf: TableFile, result: ImportResult) -> pa.Table:
    return service._clean_each(tf.table, service._clean_person, service._LIMITS["person_id"], tf.path.name, result)


@pytest.mark.slow
@given(st.lists(_ROW, max_size=30), st.integers(1, 7))
@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_columnar_cleaning_equals_row_by_row(rows, size):
    tf = _file(rows)
    ours, ref = ImportResult("persons", "persons.csv", len(rows), errors=[], warnings=[]), ImportResult("persons", "persons.csv", len(rows), errors=[], warnings=[])
    got = service._clean_to_arrow(tf, service._clean_person, ours, size=size)
    want = _by_rows(tf, ref)
    assert got.to_pylist() == want.to_pylist()
    assert [(e.line, e.reason) for e in ours.errors] == [(e.line, e.reason) for e in ref.errors]


def test_plain_rows_take_the_columnar_path():
    rows = [{"person_id": f"P{i}", "name": "张三", "id_number": idnumber.make("110105", date(1990, 1, 1), i),
             "phone": f"138{i:08d}", "household_id": "H1", "community": "C", "address": "A",
             "birth_date": "1990-01-01", "sex": "M"} for i in range(50)]
    rows[7]["name"] = " 李四 "          # to strip
    rows[9]["birth_date"] = "2022-02-30"  # to report
    rows[11]["sex"] = rows[12]["id_number"] = rows[13]["birth_date"] = None  # not given: still plain
    plain, _ = service._plain_persons(_file(rows).table, service._LIMITS["person_id"])
    assert plain.sum() == 48 and not plain[7] and not plain[9]
    result = ImportResult("persons", "persons.csv", 50, errors=[], warnings=[])
    got = service._clean_to_arrow(_file(rows), service._clean_person, result, size=16)
    assert got.num_rows == 49 and got.column("name")[7].as_py() == "李四"
    assert got.column("_line").to_pylist() == [i + 2 for i in range(50) if i != 9]
    assert [(e.line, e.reason) for e in result.errors] == [(11, "birth_date '2022-02-30' is not an ISO date")]


def test_arrow_whitespace_is_python_whitespace():
    """_plain_persons relies on it: Arrow trims exactly what str.strip() strips."""
    import pyarrow.compute as pc

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    trimmed = pc.utf8_trim_whitespace(pa.array(["a" + c for c in chars])).to_pylist()
    assert [c for c, t in zip(chars, trimmed, strict=True) if (t == "a") != c.isspace()] == []
