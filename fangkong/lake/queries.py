"""Co-location queries over the lake, written once in Ibis so that every engine gives the same answer.

All times inside are epoch seconds (UTC); an interval is [s, e]. The lake keeps whole seconds, so the
integer arithmetic here is exact, and the same on DuckDB and Spark.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import os
import uuid
from functools import lru_cache

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from fangkong.errors import InvalidInput
from fangkong.lake import store
from fangkong.lake.schemas import STORED

__all__ = ["Lake", "ANCHOR_SCHEMA"]

#: which trace, who is the source of exposure, where, and the interval during which they could expose others
ANCHOR_SCHEMA = pa.schema([("key", pa.string()), ("via", pa.string()), ("place", pa.string()), ("s", pa.int64()),
                           ("e", pa.int64())])
_FOUND = pa.schema([("person_id", pa.string())] + list(ANCHOR_SCHEMA))
_DAY = 86_400


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
    def from_settings(cls, settings, at: datetime | None = None) -> Lake:
        """The configured lake and engine; the zone's UTC offset at `at` fixes calendar days."""
        ref = at or datetime(2022, 1, 1, tzinfo=settings.zone)
        offset = int(ref.astimezone(settings.zone).utcoffset().total_seconds())
        return cls(settings.lake, engine=settings.engine, utc_offset_s=offset, spark_master=settings.spark_master)

    def __init__(self, root: Path, *, engine: str = "duckdb", utc_offset_s: int = 8 * 3600,
                 spark_master: str = "local[2]") -> None:
        self.root = Path(root)
        self.engine = engine
        self.off = utc_offset_s
        if engine == "duckdb":
            self.con = ibis.duckdb.connect()
        elif engine == "pyspark":
            self.spark = spark_session(spark_master)
            self.con = ibis.pyspark.connect(self.spark)
        else:
            raise InvalidInput(f"unknown engine {engine!r}: use duckdb or pyspark")

    def _read(self, files: list[str]) -> ibis.Table:
        """The only engine-specific step: a table over a list of Parquet files."""
        if self.engine == "duckdb":
            return self.con.read_parquet(files)
        name = f"lake_{uuid.uuid4().hex}"
        self.spark.read.parquet(*files).createOrReplaceTempView(name)
        return self.con.table(name)

    # -- tables ---------------------------------------------------------------------------------
    def _table(self, table: str, first: date | None, last: date | None, *, by_person: bool = False) -> ibis.Table:
        """The table's rows whose partition day lies in [first − longest stay, last]; the by-person twins when
        the query selects persons (store.person_files_for_days), else the files sorted by place."""
        span_days = -(-int(store.read_meta(self.root, table).get("max_span_seconds", 0)) // _DAY) + 1
        days = None
        if first is not None and last is not None:
            days = {first - timedelta(days=span_days) + timedelta(days=i)
                    for i in range((last - first).days + span_days + 1)}
        pick = store.person_files_for_days if by_person else store.files_for_days
        files = pick(self.root, table, days)
        if not files:
            return ibis.memtable(STORED[table].empty_table())
        return self._read(files)

    def _presence(self, first: date | None, last: date | None, dwell: pa.Table, *, persons: list[str] | None = None,
                  places: list[str] | None = None) -> ibis.Table:
        """Visits with their end: leave_at, or the default dwell of the venue's kind.

        `persons` / `places` are literal filters on the stored columns, so that the engine prunes row groups by
        their min/max statistics before the join (the files are sorted by venue, their twins by person).
        """
        v = self._table("venue_visits", first, last, by_person=persons is not None)
        if persons is not None:
            v = v.filter(v.person_id.isin(persons))
        if places is not None:
            v = v.filter(v.venue_id.isin(places))
        d = ibis.memtable(dwell)
        j = v.inner_join(d, v.venue_id == d.venue_id)
        s = j.enter_at.epoch_seconds().cast("int64")
        e = ibis.coalesce(j.leave_at.epoch_seconds().cast("int64"), s + j.dwell_s)
        # a view: joined again by the caller as one relation, not as a third table of this join
        return j.select(person_id=j.person_id, place=j.venue_id, s=s, e=e).view()

    def _cells(self, first: date | None, last: date | None, *, persons: list[str] | None = None,
               places: list[str] | None = None) -> ibis.Table:
        c = self._table("cell_dwells", first, last, by_person=persons is not None)
        if persons is not None:
            c = c.filter(c.phone.isin(persons))
        if places is not None:
            c = c.filter(c.grid_id.isin(places))
        return c.select(person_id=c.phone, place=c.grid_id, s=c.start_at.epoch_seconds().cast("int64"),
                        e=c.end_at.epoch_seconds().cast("int64"))

    def _days(self, anchors: pa.Table) -> tuple[date | None, date | None]:
        if anchors.num_rows == 0:
            return None, None
        lo = min(anchors.column("s").to_pylist())
        hi = max(anchors.column("e").to_pylist())
        return date.fromordinal(date(1970, 1, 1).toordinal() + (lo + self.off) // _DAY), \
            date.fromordinal(date(1970, 1, 1).toordinal() + (hi + self.off) // _DAY)

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
        first, last = self._days(who)
        persons = _distinct(who, "via")
        p = self._cells(first, last, persons=persons) if cells else self._presence(first, last, dwell, persons=persons)
        w = ibis.memtable(who)
        j = p.inner_join(w, p.person_id == w.via)
        s = ibis.greatest(j.s, j.s_right)
        e = ibis.least(j.e, j.e_right)
        out = j.select(key=j.key, via=j.via, place=j.place, s=s, e=e).filter(_.e >= _.s)
        return self.con.to_pyarrow(out.order_by(["key", "via", "place", "s", "e"])).cast(ANCHOR_SCHEMA)

    def co_presence(self, anchors: pa.Table, dwell: pa.Table, min_overlap_s: int, *,
                    cells: bool = False) -> pa.Table:
        """Everyone present at an anchor's place overlapping the anchor by at least min_overlap_s.

        Returns (person_id, key, via, place, s, e) with [s, e] the overlap; nobody meets themself.
        """
        empty = _FOUND.empty_table()
        if anchors.num_rows == 0:
            return empty
        first, last = self._days(anchors)
        places = _distinct(anchors, "place")
        p = self._cells(first, last, places=places) if cells else self._presence(first, last, dwell, places=places)
        a = ibis.memtable(anchors)
        j = p.inner_join(a, [p.place == a.place, p.s <= a.e, a.s <= p.e])
        s = ibis.greatest(j.s, j.s_right)
        e = ibis.least(j.e, j.e_right)
        out = j.select(person_id=j.person_id, key=j.key, via=j.via, place=j.place, s=s, e=e)
        out = out.filter((_.e - _.s) >= min_overlap_s, _.person_id != _.via)
        return self.con.to_pyarrow(out.order_by(["key", "person_id", "via", "place", "s", "e"])).cast(empty.schema)

    def same_day(self, anchors: pa.Table, windows: pa.Table, dwell: pa.Table) -> pa.Table:
        """Everyone at an anchor's venue on a calendar day the anchor touched, inside the key's window.

        `windows` has (key, ws, we). Returns (person_id, key, via, place, s, e) with [s, e] the
        person's own presence clipped to the window.
        """
        empty = _FOUND.empty_table()
        if anchors.num_rows == 0:
            return empty
        first, last = self._days(anchors)
        p = self._presence(first, last, dwell, places=_distinct(anchors, "place"))
        a = ibis.memtable(anchors)
        w = ibis.memtable(windows)
        a = a.inner_join(w, a.key == w.key).select(a.key, a.via, a.place, a.s, a.e, w.ws, w.we)
        j = p.inner_join(a, p.place == a.place)
        ps, pe = ibis.greatest(j.s, j.ws), ibis.least(j.e, j.we)
        off = self.off
        j = j.mutate(ps=ps, pe=pe)
        j = j.filter(j.pe >= j.ps, (j.ps + off) // _DAY <= (j.e_right + off) // _DAY,
                     (j.s_right + off) // _DAY <= (j.pe + off) // _DAY, j.person_id != j.via)
        out = j.select(person_id=j.person_id, key=j.key, via=j.via, place=j.place, s=j.ps, e=j.pe).distinct()
        return self.con.to_pyarrow(out.order_by(["key", "person_id", "via", "place", "s", "e"])).cast(empty.schema)

    def cell_hours(self, phones: list[str], places: list[str], first: date, last: date) -> pa.Table:
        """Hours each phone spent in each cell over [first, last] (the companion noise filter)."""
        c = self._cells(first, last, persons=sorted(set(phones)))
        c = c.filter(c.place.isin(places))
        out = c.group_by(["person_id", "place"]).aggregate(hours=((c.e - c.s).sum() / 3600.0))
        return self.con.to_pyarrow(out)
