"""Co-location queries over the lake, written once in Ibis so that every engine gives the same answer.

All times inside are epoch seconds (UTC); an interval is [s, e]. The lake keeps whole seconds, so the
integer arithmetic here is exact, and the same on DuckDB and Spark.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from fangkong.errors import InvalidInput
from fangkong.lake import store, versions
from fangkong.lake.duck import thread_connection
from fangkong.lake.schemas import STORED

__all__ = ["Lake", "ANCHOR_SCHEMA"]

_DWELL = pa.schema([("venue_id", pa.string()), ("dwell_s", pa.int64())])
_WINDOWS = pa.schema([("key", pa.string()), ("ws", pa.int64()), ("we", pa.int64())])
_WHO = pa.schema([("key", pa.string()), ("via", pa.string()), ("s", pa.int64()), ("e", pa.int64())])

#: which trace, who is the source of exposure, where, and the interval during which they could expose others
ANCHOR_SCHEMA = pa.schema([("key", pa.string()), ("via", pa.string()), ("place", pa.string()), ("s", pa.int64()),
                           ("e", pa.int64())])
_FOUND = pa.schema([("person_id", pa.string())] + list(ANCHOR_SCHEMA))
_DAY = 86_400
_BOUNDS = pa.schema([("key", pa.string()), ("lo", pa.int64()), ("hi", pa.int64())])
_WANTED = pa.schema([("key", pa.string()), ("phone", pa.string()), ("place", pa.string())])
_HOURS = pa.schema([("key", pa.string()), ("person_id", pa.string()), ("place", pa.string()), ("hours", pa.float64())])


# -- the queries, as Ibis expressions over their inputs --------------------------------------------------
# Written once; DuckDB runs them compiled once per process (over named inputs, `_Duck`), Spark directly.

def _presence(v: ibis.Table, d: ibis.Table) -> ibis.Table:
    """Visits with their end: leave_at, or the default dwell of the venue's kind."""
    j = v.inner_join(d, v.venue_id == d.venue_id)
    s = j.enter_at.epoch_seconds().cast("int64")
    e = ibis.coalesce(j.leave_at.epoch_seconds().cast("int64"), s + j.dwell_s)
    # a view: joined again by the caller as one relation, not as a third table of this join
    return j.select(person_id=j.person_id, place=j.venue_id, s=s, e=e).view()


def _cells(c: ibis.Table) -> ibis.Table:
    return c.select(person_id=c.phone, place=c.grid_id, s=c.start_at.epoch_seconds().cast("int64"),
                    e=c.end_at.epoch_seconds().cast("int64"))


def _own(p: ibis.Table, w: ibis.Table) -> ibis.Table:
    j = p.inner_join(w, p.person_id == w.via)
    s = ibis.greatest(j.s, j.s_right)
    e = ibis.least(j.e, j.e_right)
    out = j.select(key=j.key, via=j.via, place=j.place, s=s, e=e).filter(_.e >= _.s)
    return out.order_by(["key", "via", "place", "s", "e"])


def _co(p: ibis.Table, a: ibis.Table, min_overlap_s: int, ordered: bool = True) -> ibis.Table:
    j = p.inner_join(a, [p.place == a.place, p.s <= a.e, a.s <= p.e])
    s = ibis.greatest(j.s, j.s_right)
    e = ibis.least(j.e, j.e_right)
    out = j.select(person_id=j.person_id, key=j.key, via=j.via, place=j.place, s=s, e=e)
    out = out.filter((_.e - _.s) >= min_overlap_s, _.person_id != _.via)
    return out.order_by(["key", "person_id", "via", "place", "s", "e"]) if ordered else out


def _same_day(p: ibis.Table, a: ibis.Table, w: ibis.Table, off: int) -> ibis.Table:
    a = a.inner_join(w, a.key == w.key).select(a.key, a.via, a.place, a.s, a.e, w.ws, w.we)
    j = p.inner_join(a, p.place == a.place)
    ps, pe = ibis.greatest(j.s, j.ws), ibis.least(j.e, j.we)
    j = j.mutate(ps=ps, pe=pe)
    j = j.filter(j.pe >= j.ps, (j.ps + off) // _DAY <= (j.e_right + off) // _DAY,
                 (j.s_right + off) // _DAY <= (j.pe + off) // _DAY, j.person_id != j.via)
    out = j.select(person_id=j.person_id, key=j.key, via=j.via, place=j.place, s=j.ps, e=j.pe).distinct()
    return out.order_by(["key", "person_id", "via", "place", "s", "e"])


def _hours(c: ibis.Table, b: ibis.Table, wanted: ibis.Table) -> ibis.Table:
    """Per trace key: hours each wanted (key, phone, place) spent inside the key's [lo, hi] (`b`: key, lo, hi),
    stays clipped to it."""
    j = c.inner_join(wanted, [c.person_id == wanted.phone, c.place == wanted.place])
    j = j.select(key=j.key, person_id=j.person_id, place=j.place, s=j.s, e=j.e)
    j = j.inner_join(b, j.key == b.key)
    j = j.mutate(cs=ibis.greatest(j.s, j.lo), ce=ibis.least(j.e, j.hi)).filter(_.ce > _.cs)
    return j.group_by(["key", "person_id", "place"]).aggregate(hours=((j.ce - j.cs).sum() / 3600.0))


_COMPILED: dict[tuple, str] = {}
_COMPILING = threading.Lock()


@lru_cache(maxsize=1)
def _sql_cache_dir() -> Path:
    """Compiled SQL kept between processes: the first Ibis compile in a process costs ~0.35 s (a new CLI
    process tracing one case pays it on every step otherwise). Keyed by this file and the Ibis and sqlglot
    versions, so any change to a query or a library compiles afresh."""
    import sqlglot

    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fangkong" / "sql"
    tag = hashlib.sha256(Path(__file__).read_bytes() + ibis.__version__.encode() + sqlglot.__version__.encode())
    return root / tag.hexdigest()[:16]


def _compiled(key: tuple, build) -> str:
    sql = _COMPILED.get(key)
    if sql is not None:
        return sql
    try:
        folder = _sql_cache_dir()
        path = folder / (hashlib.sha256(repr(key).encode()).hexdigest()[:24] + ".sql")
        sql = path.read_text() if path.is_file() else None
    except OSError:
        folder = path = None
    if sql is None:
        with _COMPILING:  # Ibis and sqlglot keep caches of their own: one compile at a time
            sql = ibis.to_sql(build(), dialect="duckdb")
        if path is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".{uuid.uuid4().hex}.tmp"
                tmp.write_text(sql)
                os.replace(tmp, path)
            except OSError:  # a read-only home: compile in each process
                pass
    _COMPILED[key] = sql
    return sql


class _Duck:
    """DuckDB: each query's SQL compiled from its Ibis expression once per process, over named inputs; a call
    binds the names (Arrow tables; views over the Parquet files with the literal filters) and runs the SQL.
    Compiling an Ibis expression costs more than running the pruned query, so it is not paid per trace.
    A query runs on the calling thread's connection (_duckdb_raw): a trace runs its grid queries on a worker
    thread while its venue queries run on its own (contacts.service)."""

    @staticmethod
    def placeholder(name: str, schema: pa.Schema) -> ibis.Table:
        return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)

    def run(self, key: tuple, build, inputs: dict[str, pa.Table], sources: dict[str, str]) -> pa.Table:
        sql = _compiled(key, build)
        raw = _duckdb_raw()
        names = []
        try:
            for name, t in inputs.items():
                raw.register(name, t)
                names.append(name)
            for name, select in sources.items():
                raw.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")
            return raw.sql(sql).to_arrow_table()
        finally:
            for name in names:
                raw.unregister(name)
            for name in sources:
                raw.execute(f"DROP VIEW IF EXISTS {name}")


def _lake_setup(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET parquet_metadata_cache = true")
    for table, schema in STORED.items():
        con.register(f"fk_empty_{table}", schema.empty_table())


def _duckdb_raw():
    """This thread's DuckDB connection for lake queries, kept (lake.duck): Parquet footers stay cached between
    traces (a day's file of small row groups has a large footer), and a trace pays no connection set-up."""
    return thread_connection("lake", _lake_setup)


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _distinct(t: pa.Table, column: str) -> list[str]:
    """A column's distinct values, sorted: a literal IN list that the engine pushes into the Parquet scan."""
    return sorted(v for v in pc.unique(t.column(column)).to_pylist() if v is not None)


@lru_cache
def spark_session(master: str):
    """One Spark session per process; UTC so that epoch seconds mean the same as on DuckDB."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency
        raise InvalidInput(f"the pyspark engine needs pyspark: {exc}") from None
    try:
        spark = (SparkSession.builder.master(master).appName("fangkong")
                 .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.shuffle.partitions", "8").getOrCreate())
    except Exception as exc:  # noqa: BLE001 - Java missing or the cluster unreachable: say so
        raise InvalidInput(f"cannot start Spark ({master}): {exc}; the pyspark engine needs Java 17+") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class Lake:
    """One engine connection over one lake folder."""

    @classmethod
    def from_settings(cls, settings, at: datetime | None = None, *,
                      versions: dict[str, int | None] | None = None) -> Lake:
        """The configured lake and engine; the zone's UTC offset at `at` fixes calendar days; `versions`: the
        tables read as of those versions (a re-trace as of an earlier lake)."""
        ref = at or datetime(2022, 1, 1, tzinfo=settings.zone)
        offset = int(ref.astimezone(settings.zone).utcoffset().total_seconds())
        return cls(settings.lake, engine=settings.engine, utc_offset_s=offset, spark_master=settings.spark_master,
                   versions=versions)

    def __init__(self, root: Path, *, engine: str = "duckdb", utc_offset_s: int = 8 * 3600,
                 spark_master: str = "local[2]", versions: dict[str, int | None] | None = None) -> None:
        self.root = Path(root)
        self.engine = engine
        self.off = utc_offset_s
        #: the version each table is read at, fixed for this object's life: the first read of a table (or `pin`)
        #: takes its latest version, or the one given here (a re-trace as of an earlier lake: lake.versions)
        self.as_of = dict(versions) if versions is not None else None
        self._pins: dict[str, store.Snapshot | None] = {}
        self._pin_lock = threading.Lock()
        if engine == "duckdb":
            self.duck = _Duck()
        elif engine == "pyspark":
            self.spark = spark_session(spark_master)
            self.con = ibis.pyspark.connect(self.spark)
        else:
            raise InvalidInput(f"unknown engine {engine!r}: use duckdb or pyspark")

    # -- the versions read ------------------------------------------------------------------------
    def snapshot(self, table: str) -> store.Snapshot | None:
        """The table's version this object reads, the same for every query of it (a trace states it: `used`)."""
        with self._pin_lock:
            if table not in self._pins:
                if self.as_of is not None and table in self.as_of:
                    v = self.as_of[table]
                    self._pins[table] = None if v is None else versions.snapshot_at(self.root, table, v)
                else:
                    self._pins[table] = store.snapshot(self.root, table)
            return self._pins[table]

    def pin(self, tables=versions.TABLES) -> None:
        """Fix the version of each table now (a trace, before its first query)."""
        for table in tables:
            self.snapshot(table)

    def used(self) -> dict[str, dict]:
        """Per table read: its version and that version's commit time (lake.versions.stated)."""
        with self._pin_lock:
            pinned = {t: (s.version if s is not None else None) for t, s in self._pins.items()}
        return versions.stated(self.root, {t: pinned[t] for t in versions.TABLES if t in pinned})

    # -- inputs ---------------------------------------------------------------------------------
    def _source(self, table: str, seeds: pa.Table, *, persons: list[str] | None = None,
                places: list[str] | None = None):
        """The stored rows a query reads: the table's files (of the version this object reads: `snapshot`) whose
        day lies in the seeds' days (their [s, e]) reaching back by the longest stay and whose range in the Delta
        log (min/max of the person or place column) can hold one of `persons` / `places` (sorted); those as literal
        filters on the stored columns, so that the engine prunes row groups by their statistics (and the persons'
        Bloom filters). DuckDB: the SELECT of the view the compiled query reads; Spark: an Ibis table."""
        span_days = -(-int(store.read_meta(self.root, table).get("max_span_seconds", 0)) // _DAY) + 1
        days = None
        if seeds.num_rows:
            lo, hi = pc.min(seeds.column("s")).as_py(), pc.max(seeds.column("e")).as_py()
            first, last = (date(1970, 1, 1) + timedelta(days=(t + self.off) // _DAY) for t in (lo, hi))
            days = {first - timedelta(days=span_days - i) for i in range((last - first).days + span_days + 1)}
        snap = self.snapshot(table)
        files = store.files_for_days(self.root, table, days, places, persons=persons, snap=snap) if snap else []
        if snap and self.as_of is not None and table in self.as_of:
            versions.check_readable(self.root, table, snap.version, files)
        filters = [(c, v) for c, v in ((store.PERSON[table], persons), (store.PLACE[table], places)) if v is not None]
        if self.engine == "duckdb":
            where = " AND ".join(f"{c} IN ({_sql_list(v)})" for c, v in filters)
            src = f"read_parquet([{_sql_list(files)}], hive_partitioning = false)" if files else f"fk_empty_{table}"
            return f"SELECT {', '.join(STORED[table].names)} FROM {src}" + (f" WHERE {where}" if where else "")
        if not files:
            t = ibis.memtable(STORED[table].empty_table())
        else:
            name = f"lake_{uuid.uuid4().hex}"
            self.spark.read.parquet(*files).createOrReplaceTempView(name)
            t = self.con.table(name)
        for c, v in filters:
            t = t.filter(t[c].isin(v))
        return t

    def _run(self, key: tuple, build, inputs: dict[str, pa.Table], sources: dict[str, object]) -> pa.Table:
        """`build(tables)` makes the expression from its inputs (Arrow) and sources (stored rows)."""
        if self.engine == "duckdb":
            def placeholders():
                tables = {n: _Duck.placeholder(n, t.schema) for n, t in inputs.items()}
                tables |= {n: _Duck.placeholder(n, STORED[n.removeprefix("fk_")]) for n in sources}
                return build(tables)
            return self.duck.run(key, placeholders, inputs, sources)
        tables = {n: ibis.memtable(t) for n, t in inputs.items()} | dict(sources)
        return self.con.to_pyarrow(build(tables))

    @staticmethod
    def _rows(t: dict, cells: bool) -> ibis.Table:
        return _cells(t["fk_cell_dwells"]) if cells else _presence(t["fk_venue_visits"], t["fk_dwell"])

    def _sources(self, cells: bool, seeds: pa.Table, dwell: pa.Table, **filters) -> tuple[dict, dict]:
        table = "cell_dwells" if cells else "venue_visits"
        inputs = {}
        if not cells:
            dwell = dwell.select(["venue_id", "dwell_s"]).cast(_DWELL)
            if filters.get("places") is not None:
                # only the venues read: the engine builds its join's hash table on the venues' side (it cannot
                # tell how few rows the pruned scan gives), and all 100 000 of a city cost 10 ms a query
                dwell = dwell.filter(pc.is_in(dwell.column("venue_id"), value_set=pa.array(filters["places"],
                                                                                           pa.string())))
            inputs["fk_dwell"] = dwell
        return inputs, {f"fk_{table}": self._source(table, seeds, **filters)}

    # -- queries --------------------------------------------------------------------------------
    # Every query takes many seeds at once: `key` says which trace (a case) a row belongs to, so the
    # cases of a whole day are traced with one query per step instead of one per case.
    def own_intervals(self, who: pa.Table, dwell: pa.Table, *, cells: bool = False) -> pa.Table:
        """Each person's presence clipped to their own interval.

        `who` has (key, via, s, e): a trace key, a person id (or phone when cells=True) and the interval
        of interest. Returns ANCHOR_SCHEMA rows (key, via, place, s, e), clipped, non-empty.
        """
        if who.num_rows == 0:
            return ANCHOR_SCHEMA.empty_table()
        inputs, sources = self._sources(cells, who, dwell, persons=_distinct(who, "via"))
        inputs["fk_who"] = who.select(_WHO.names).cast(_WHO)
        out = self._run(("own", cells), lambda t: _own(self._rows(t, cells), t["fk_who"]), inputs, sources)
        return out.cast(ANCHOR_SCHEMA)

    def co_presence(self, anchors: pa.Table, dwell: pa.Table, min_overlap_s: int, *,
                    cells: bool = False) -> pa.Table:
        """Everyone present at an anchor's place overlapping the anchor by at least min_overlap_s.

        Returns (person_id, key, via, place, s, e) with [s, e] the overlap; nobody meets themself. Venue rows
        come sorted; grid rows (a case's cells hold ~100 000 of them, which every caller sorts or groups
        again) in no particular order: sorting them cost a third of the query.
        """
        empty = _FOUND.empty_table()
        if anchors.num_rows == 0:
            return empty
        inputs, sources = self._sources(cells, anchors, dwell, places=_distinct(anchors, "place"))
        inputs["fk_anchors"] = anchors.select(ANCHOR_SCHEMA.names).cast(ANCHOR_SCHEMA)
        out = self._run(("co", cells, int(min_overlap_s)),
                        lambda t: _co(self._rows(t, cells), t["fk_anchors"], int(min_overlap_s), ordered=not cells),
                        inputs, sources)
        return out.cast(empty.schema)

    def same_day(self, anchors: pa.Table, windows: pa.Table, dwell: pa.Table) -> pa.Table:
        """Everyone at an anchor's venue on a calendar day the anchor touched, inside the key's window.

        `windows` has (key, ws, we). Returns (person_id, key, via, place, s, e) with [s, e] the
        person's own presence clipped to the window.
        """
        empty = _FOUND.empty_table()
        if anchors.num_rows == 0:
            return empty
        inputs, sources = self._sources(False, anchors, dwell, places=_distinct(anchors, "place"))
        inputs["fk_anchors"] = anchors.select(ANCHOR_SCHEMA.names).cast(ANCHOR_SCHEMA)
        inputs["fk_windows"] = windows.select(_WINDOWS.names).cast(_WINDOWS)
        off = self.off
        out = self._run(("same_day", off), lambda t: _same_day(self._rows(t, False), t["fk_anchors"],
                                                               t["fk_windows"], off), inputs, sources)
        return out.cast(empty.schema)

    def cell_hours(self, wanted: pa.Table, bounds: pa.Table) -> pa.Table:
        """Per trace key, hours each phone spent in each cell over the key's [lo, hi] (epoch seconds), its stays
        clipped to it (the companion noise filter), for every case at once. `wanted` has (key, phone, place),
        `bounds` (key, lo, hi). Returns (key, person_id = phone, place, hours).

        The few cells prune the files sorted by place; the phones (tens of thousands in a dense city) are a
        joined table, not a literal list (a literal IN over the by-person files was 35 times slower: bench/RESULTS.md)."""
        bounds = bounds.filter(pc.less(bounds.column("lo"), bounds.column("hi")))
        wanted = wanted.filter(pc.is_in(wanted.column("key"), value_set=bounds.column("key")))
        if wanted.num_rows == 0:
            return _HOURS.empty_table()
        inputs, sources = self._sources(True, bounds.rename_columns(["key", "s", "e"]), pa.table({}),
                                        places=_distinct(wanted, "place"))
        inputs["fk_bounds"] = bounds.select(_BOUNDS.names).cast(_BOUNDS)
        inputs["fk_wanted"] = wanted.select(_WANTED.names).cast(_WANTED)
        out = self._run(("hours", 4), lambda t: _hours(self._rows(t, True), t["fk_bounds"], t["fk_wanted"]),
                        inputs, sources)
        return out.select(_HOURS.names).cast(_HOURS)

