"""Reading an incoming table file (CSV or Parquet) into Arrow, every column as text, with line numbers."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fangkong.errors import InvalidInput

__all__ = ["ImportResult", "ParquetSource", "RowError", "TableFile", "TableStream", "open_parquet_source",
           "read_table_file", "stream_table_file", "find_table_file"]

LINE = "_line"
#: bytes of CSV parsed at a time (a TableStream holds one such block's rows as text)
CSV_BLOCK = 1 << 24


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class TableFile:
    path: Path
    table: pa.Table          # all columns as strings, plus _line (CSV line number or Parquet row number)
    warnings: list[str]

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def register(self, con) -> None:
        """Expose the rows to a DuckDB connection as `src`."""
        con.register("src", self.table)

    def batches(self, size: int) -> Iterator[pa.Table]:
        for start in range(0, self.table.num_rows, size):
            yield self.table.slice(start, size)


@dataclass
class TableStream:
    """A CSV file read a block at a time (a city's register: millions of rows never held as text at once).
    `batches` yields the same columns as a TableFile's table, _line included; `num_rows` is known once the
    file has been read through."""

    path: Path
    names: list[str]         # the file's columns, as in its header
    known: set[str]
    warnings: list[str]
    num_rows: int = 0

    def batches(self, size: int) -> Iterator[pa.Table]:
        self.num_rows = 0
        try:
            reader = pacsv.open_csv(self.path, **_csv_options(self.names))
            for batch in reader:
                table = _with_lines(pa.Table.from_batches([batch]), self.known, 2 + self.num_rows)
                self.num_rows += table.num_rows
                for start in range(0, table.num_rows, size):
                    yield table.slice(start, size)
        except pa.ArrowInvalid as exc:
            raise _malformed(self.path, len(self.names), exc) from None


@dataclass
class ParquetSource:
    """A large Parquet file read by DuckDB where it lies, typed and streamed, never loaded into Python."""

    path: Path
    columns: list[str]       # the known columns present in the file
    missing: list[str]       # known columns the file lacks (NULL)
    warnings: list[str]
    num_rows: int

    def register(self, con) -> None:
        path = str(self.path).replace("'", "''")
        cols = [f'"{c}"' for c in self.columns] + [f"NULL::VARCHAR AS {c}" for c in self.missing]
        con.execute(f"CREATE TEMP VIEW src AS SELECT {', '.join(cols)}, file_row_number + 1 AS _line "
                    f"FROM read_parquet('{path}', file_row_number = true)")


def open_parquet_source(path: Path, *, required: set[str], known: set[str]) -> ParquetSource:
    """Check a Parquet file's columns without reading its rows (the lake's bulk path)."""
    try:
        meta = pq.read_metadata(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a readable Parquet file ({exc})") from None
    names = set(meta.schema.to_arrow_schema().names)
    return ParquetSource(path=path, columns=sorted(names & known), missing=sorted(known - names),
                         warnings=_checked(path, names, required, known), num_rows=meta.num_rows)


def find_table_file(folder: Path, name: str) -> Path | None:
    for ext in (".csv", ".parquet"):
        p = folder / f"{name}{ext}"
        if p.is_file():
            return p
    return None


def _check_utf8(path: Path) -> None:
    """Fail with the line of the first byte that is not UTF-8 (the CSV contract says UTF-8)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: exc.start].count(b"\n")
                raise InvalidInput(f"{path.name}:{line}: file is not UTF-8 (save it as UTF-8)") from None
            if (nul := chunk.find(b"\0")) >= 0:   # no text holds one; PostgreSQL cannot store one
                line += chunk[:nul].count(b"\n")
                raise InvalidInput(f"{path.name}:{line}: NUL byte in a CSV file (a binary or damaged file)")
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInput(f"{path.name}:{line}: file ends inside a UTF-8 character (truncated?)") from None


def _header(path: Path) -> list[str]:
    _check_utf8(path)
    with path.open("rb") as fh:
        head = fh.readline().decode("utf-8-sig").strip()
    if not head:
        raise InvalidInput(f"{path.name}:1: empty file, expected a header row")
    return [c.strip() for c in next(csv.reader([head]))]


def _csv_options(names: list[str]) -> dict:
    return {"read_options": pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=CSV_BLOCK),
            # only an empty field is null: pyarrow's default null markers ("NA", "null", "N/A", "NaN", "-NaN",
            # "#N/A"…) are valid ids in the contract (ids are any text; a person "NA" was rejected as empty)
            "convert_options": pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                                    strings_can_be_null=True, quoted_strings_can_be_null=False),
            "parse_options": pacsv.ParseOptions(newlines_in_values=False)}


def _malformed(path: Path, width: int, exc: Exception) -> InvalidInput:
    line, why = _first_malformed(path, width)
    where = f"{path.name}:{line}" if line else path.name
    return InvalidInput(f"{where}: malformed CSV ({why or str(exc).splitlines()[0]}); nothing imported "
                        "from this file")


def _read_csv(path: Path) -> pa.Table:
    names = _header(path)
    try:
        return pacsv.read_csv(path, **_csv_options(names))
    except pa.ArrowInvalid as exc:
        raise _malformed(path, len(names), exc) from None


def _first_malformed(path: Path, width: int) -> tuple[int | None, str | None]:
    """Only on a file pyarrow refused: the first line whose row has the wrong number of fields (a file cut
    mid-row or mid-quote), read again with the csv module, which counts lines."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            for row in reader:
                if reader.line_num > 1 and len(row) != width:
                    return reader.line_num, f"expected {width} fields, found {len(row)}: truncated or unquoted comma?"
        except csv.Error as exc:
            return reader.line_num, f"{exc}: a quote opened and not closed (truncated file?)"
    return None, None


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a readable Parquet file ({exc})") from None
    cols = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            # keep the instant: ISO text with offset, so the naive-means-local rule applies only to naive
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S%z")
        elif not pa.types.is_string(col.type):
            col = pc.cast(col, pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _checked(path: Path, names: list[str] | set[str], required: set[str], known: set[str]) -> list[str]:
    """The file's warnings; an error when a required column is missing."""
    missing = sorted(required - set(names))
    if missing:
        raise InvalidInput(f"{path.name}: missing required column(s): {', '.join(missing)}")
    extra = sorted(set(names) - known)
    return [f"{path.name}: unknown column(s) ignored: {', '.join(extra)}"] if extra else []


def _with_lines(table: pa.Table, known: set[str], first: int) -> pa.Table:
    """The known columns (absent ones as nulls) and _line, numbered from `first`."""
    columns = set(table.column_names)
    table = table.select([c for c in table.column_names if c in known])
    for name in sorted(known - columns):
        table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    return table.append_column(LINE, pa.array(range(first, first + table.num_rows), pa.int64()))


def read_table_file(path: Path, *, required: set[str], known: set[str]) -> TableFile:
    """Read a file; reject it when a required column is missing; warn about unknown columns."""
    table = _read_csv(path) if path.suffix == ".csv" else _read_parquet(path)
    warnings = _checked(path, table.column_names, required, known)
    table = _with_lines(table, known, 2 if path.suffix == ".csv" else 1)
    return TableFile(path=path, table=table, warnings=warnings)


def stream_table_file(path: Path, *, required: set[str], known: set[str]) -> TableFile | TableStream:
    """A CSV file as a TableStream (its header checked now, its rows read as they are used); other files
    as read_table_file."""
    if path.suffix != ".csv":
        return read_table_file(path, required=required, known=known)
    names = _header(path)
    return TableStream(path=path, names=names, known=known, warnings=_checked(path, names, required, known))


@dataclass
class ImportResult:
    """What one file's import did: counts, and every rejected row with its line and reason."""

    table: str
    file: str
    rows: int = 0
    inserted: int = 0
    unchanged: int = 0
    errors: list[RowError] | None = None
    warnings: list[str] | None = None
    committed: bool = True

    @property
    def rejected(self) -> int:
        return len(self.errors or [])
