"""Cleaning a persons file (the first step of `fangkong import` for persons.csv): the plain rows column by
column in Arrow, the odd ones by the per-row rules (what the importer does), against every row by the per-row
rules (what it did before), over the same file in the same process; both give the same table (checked).

    .venv/bin/python bench/persons_clean.py                         # a generated 1 000 000-person file
    .venv/bin/python bench/persons_clean.py --file city/persons.csv # any persons file
    .venv/bin/python bench/persons_clean.py --persons 100000 --odd 0.05   # 5 % of rows with a value to strip
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mb  # noqa: E402

from fangkong.lake.files import ImportResult, stream_table_file  # noqa: E402
from fangkong.people import service  # noqa: E402
from fangkong.people.models import PERSON_FIELDS  # noqa: E402


def _file(persons: int, odd: float, folder: Path) -> Path:
    """The persons.csv of a generated city; `odd`: that share of rows given a name padded with spaces."""
    from fangkong.sim.city import generate_city

    generate_city(folder, persons=persons, days=1)
    path = folder / "persons.csv"
    if odd > 0:
        t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in PERSON_FIELDS}, strings_can_be_null=True))
        names = t.column("name").to_pylist()
        step = max(1, round(1 / odd))
        for i in range(0, len(names), step):
            names[i] = f" {names[i]} " if names[i] else names[i]
        t = t.set_column(t.schema.get_field_index("name"), "name", pa.array(names, pa.string()))
        pacsv.write_csv(t, path)
    return path


def _run(path: Path, clean) -> tuple[float, pa.Table, ImportResult]:
    tf = stream_table_file(path, required={"person_id"}, known=set(PERSON_FIELDS))
    result = ImportResult("persons", path.name, 0, errors=[], warnings=[])
    t0 = time.perf_counter()
    out = clean(tf, result)
    return time.perf_counter() - t0, out, result


def _row_by_row(tf, result) -> pa.Table:
    widths = service._LIMITS["person_id"]
    return pa.concat_tables([service._clean_each(p, service._clean_person, widths, tf.path.name, result)
                             for p in tf.batches(50_000)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, help="a persons file (default: generate one)")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--odd", type=float, default=0.0, help="share of generated rows with a value to strip")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or _file(args.persons, args.odd, Path(tmp))
        read, _, _ = _run(path, lambda tf, r: sum(p.num_rows for p in tf.batches(50_000)))
        base, want, ref = _run(path, _row_by_row)
        ours, got, res = _run(path, lambda tf, r: service._clean_to_arrow(tf, service._clean_person, r))
    same = got.equals(want) and [(e.line, e.reason) for e in res.errors] == [(e.line, e.reason) for e in ref.errors]
    print(f"machine: {machine()}")
    print(f"{path.name}: {got.num_rows:,} rows kept, {len(res.errors):,} rejected; reading the file alone {read:.2f} s")
    print(f"row by row {base:.2f} s ({got.num_rows / base:,.0f} rows/s); columnar {ours:.2f} s "
          f"({got.num_rows / ours:,.0f} rows/s) = {base / ours:.1f}x; same rows and errors: {same}; "
          f"peak RSS {peak_rss_mb():,.0f} MB")
    if not same:
        sys.exit("the two cleanings differ")


if __name__ == "__main__":
    main()
