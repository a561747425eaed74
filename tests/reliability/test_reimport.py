"""Every FORMATS.md table imported twice, as CSV and as Parquet: the second run changes nothing and says 0 new."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from builders.city import write_csv
from builders.testing import RESULT_COLS, SAMPLE_COLS, result, swab
from clihelp import fk
from storesnap import snapshot
from test_flow import city

pytestmark = pytest.mark.both_stores

TABLES = ("persons", "venues", "venue_visits", "cell_dwells", "samples", "lab_results")


def full_city(folder, fmt: str):
    """The small city of test_flow plus swabs (two pooled tubes, one single) and their lab results."""
    city(folder)
    write_csv(folder / "samples.csv", [swab("T1", i, round_id=None) for i in (1, 2, 3)]
              + [swab("T2", i, round_id=None) for i in (4, 5)] + [swab("T3", 6, round_id=None)], SAMPLE_COLS)
    write_csv(folder / "lab_results.csv", [result(t, lab_id=None, ct_orf1ab="", ct_n="") for t in ("T1", "T2")]
              + [result("T3", "negative", lab_id=None, ct_orf1ab="38.5", ct_n="39")], RESULT_COLS)
    if fmt == "parquet":
        for t in TABLES:
            csv = folder / f"{t}.csv"
            names = csv.open(encoding="utf-8").readline().strip().split(",")
            table = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True))
            pq.write_table(table, folder / f"{t}.parquet")
            csv.unlink()
    return folder


def new_counts(output: str, fmt: str) -> dict[str, int]:
    """The `new` column of the import table, per file."""
    out = {}
    for t in TABLES:
        m = re.search(rf"{t}\.{fmt}\s*│\s*([\d,]+)\s*│\s*([\d,]+)\s*│", output)
        assert m, (t, output)
        out[t] = int(m.group(2).replace(",", ""))
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_second_import_changes_nothing(env, tmp_path, fmt):
    folder = full_city(tmp_path / "city", fmt)
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    first = new_counts(r.output, fmt)
    assert first == {"persons": 7, "venues": 2, "venue_visits": 6, "cell_dwells": 2, "samples": 6, "lab_results": 3}
    once = snapshot(env)
    assert once["lake.venue_visits"][0] == 6 and once["samples"][0] == 6 and once["lab_results"][0] == 3
    files = sorted(p.relative_to(env.lake) for p in env.lake.rglob("*.parquet"))
    r = fk("import", folder)
    assert r.exit_code == 0, r.output
    assert new_counts(r.output, fmt) == dict.fromkeys(TABLES, 0)
    assert snapshot(env) == once
    assert sorted(p.relative_to(env.lake) for p in env.lake.rglob("*.parquet")) == files   # nothing rewritten
