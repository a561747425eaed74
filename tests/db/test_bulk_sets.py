"""db.bulk.insert_arrow and db.sets.one_of on both stores: rows read back through the models exactly as the
ORM would have stored them; a large IN as one parameter finds exactly the rows it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from builders.risk import T0, declare, import_people
from sqlalchemy import func, select

from fangkong.contacts.models import RiskPerson
from fangkong.db.bulk import insert_arrow
from fangkong.db.sets import one_of
from fangkong.kit.clikit import unit_of_work
from fangkong.people.models import Person

pytestmark = pytest.mark.both_stores


def _rows(case_fk: int, person_fk: int, n: int) -> pa.Table:
    ts = pa.timestamp("us", tz="UTC")
    first = datetime(2022, 3, 10, 1, 2, 3, 456789, tzinfo=UTC)
    return pa.table({
        "case_fk": pa.array([case_fk] * n, pa.int64()),
        "who": pa.array([f"t:13{i:09d}" for i in range(n - 1)] + ["p:P00002"], pa.string()),
        "person_fk": pa.array([None] * (n - 1) + [person_fk], pa.int64()),
        "phone": pa.array([f"13{i:09d}" for i in range(n)], pa.string()),
        "category": pa.array(["companion"] * (n - 1) + ["close"], pa.string()),
        "found_category": pa.array(["companion"] * n, pa.string()),
        "override_reason": pa.array(([None, "", 'a,"b"\nc'] + [None] * (n - 4))[: n - 1] + ["同住，流调确认"],
                                    pa.string()),
        "evidence": pa.array(['[{"kind":"grid","via":"P00001","place":"G\\"1","start":"2022-03-10T09:02:03+08:00",'
                              '"end":"2022-03-10T10:00:00+08:00"}]'] * n, pa.string()),
        "first_exposure_at": pa.array([first + timedelta(seconds=i) for i in range(n)], ts),
        "last_exposure_at": pa.array([first + timedelta(hours=1)] * n, pa.timestamp("s", tz="UTC")),
        "found_at": pa.array([T0] * n, ts),
        "placed_deadline_at": pa.array([None] * (n - 1) + [T0 + timedelta(hours=3)], ts),
    })


def test_insert_arrow_reads_back_like_the_orm(env, tmp_path):
    import_people(tmp_path, n=4)
    with unit_of_work() as s:
        case = declare(s, "P00001")
        p2 = s.scalar(select(Person).where(Person.person_id == "P00002"))
        n = insert_arrow(s, RiskPerson.__table__, _rows(case.id, p2.id, 60_001))  # more than one batch
        assert n == 60_001
        case_id = case.id
    with unit_of_work() as s:
        mine = select(RiskPerson).where(RiskPerson.case_fk == case_id)
        assert s.scalar(select(func.count()).select_from(mine.subquery())) == 60_001
        # the first rows and the last as the ORM reads them (not all 60 001 objects: seconds, nothing more checked)
        got = list(s.scalars(mine.order_by(RiskPerson.id).limit(6)))
        first, last = got[0], s.scalars(mine.order_by(RiskPerson.id.desc()).limit(1)).one()
        assert first.person_fk is None and first.who == "t:13000000000" and first.override_reason is None
        assert first.first_exposure_at == datetime(2022, 3, 10, 1, 2, 3, 456789, tzinfo=UTC)
        assert first.last_exposure_at == datetime(2022, 3, 10, 2, 2, 3, tzinfo=UTC)
        assert first.evidence == [{"kind": "grid", "via": "P00001", "place": 'G"1',
                                   "start": "2022-03-10T09:02:03+08:00", "end": "2022-03-10T10:00:00+08:00"}]
        assert first.placed_deadline_at is None
        assert got[1].override_reason == "" and got[2].override_reason == 'a,"b"\nc'  # empty is not null (COPY CSV)
        assert last.person.person_id == "P00002" and last.category == "close"
        assert last.override_reason == "同住，流调确认"
        assert last.placed_deadline_at == T0 + timedelta(hours=3)
        assert last.found_at == T0
        # what the ORM compares against (a time filter) sees the stored times alike on both stores
        assert s.scalar(select(RiskPerson.id).where(RiskPerson.first_exposure_at == got[5].first_exposure_at)) \
            == got[5].id


def test_insert_arrow_rejects_an_unknown_column_and_writes_nothing(env, tmp_path):
    import_people(tmp_path, n=2)
    with unit_of_work() as s:
        case = declare(s, "P00001")
        rows = _rows(case.id, 1, 3).append_column("nonsense", pa.array([1, 2, 3]))
        with pytest.raises(ValueError, match="nonsense"):
            insert_arrow(s, RiskPerson.__table__, rows)
        assert insert_arrow(s, RiskPerson.__table__, _rows(case.id, 1, 3).slice(0, 0)) == 0
        assert s.scalar(select(RiskPerson.id)) is None


def test_insert_arrow_a_row_the_store_refuses_fails_the_whole_insert(env, tmp_path):
    """A duplicate (case, who) late in the rows (past the first COPY pieces on PostgreSQL, streamed by a writer
    thread) raises, and the transaction keeps none of the rows."""
    import_people(tmp_path, n=4)
    with unit_of_work() as s:
        case_id = declare(s, "P00001").id
    rows = _rows(case_id, 1, 25_001)
    rows = pa.concat_tables([rows, rows.slice(24_000, 1)])  # the same who again, after 25 001 good rows
    # the driver's own error (sqlite3.IntegrityError, psycopg's UniqueViolation), raised from the rows' write
    with pytest.raises(Exception, match="UNIQUE constraint failed|uq_risk_person_case_who"):
        with unit_of_work() as s:
            insert_arrow(s, RiskPerson.__table__, rows)
    with unit_of_work() as s:
        assert s.scalar(select(RiskPerson.id).where(RiskPerson.case_fk == case_id)) is None


def test_one_of_finds_exactly_the_named_rows(env, tmp_path):
    import_people(tmp_path, n=12)
    wanted = [f"P{i:05d}" for i in (1, 3, 12)] + [f"X{i}" for i in range(40_000)] + ["O'Brien", "P00003"]
    with unit_of_work() as s:
        got = sorted(s.scalars(select(Person.person_id).where(one_of(s, Person.person_id, wanted))))
        assert got == ["P00001", "P00003", "P00012"]
        assert list(s.scalars(select(Person.person_id).where(one_of(s, Person.person_id, [])))) == []
        ids = list(s.scalars(select(Person.id).where(one_of(s, Person.person_id, ["P00002", "P00004"]))))
        assert sorted(s.scalars(select(Person.person_id).where(one_of(s, Person.id, ids)))) == ["P00002", "P00004"]
        # a table said to be smaller than the set: scanned, not probed per value; the same rows either way
        for rows in (None, 0, 12, 10 ** 9):
            got = sorted(s.scalars(select(Person.person_id).where(one_of(s, Person.person_id, wanted, rows=rows))))
            assert got == ["P00001", "P00003", "P00012"], rows
        assert list(s.scalars(select(Person.person_id).where(one_of(s, Person.person_id, [], rows=0)))) == []


def test_select_arrow_reads_what_the_orm_reads_a_partition_at_a_time(env, tmp_path):
    import_people(tmp_path, n=7)
    from fangkong.db.bulk import select_arrow
    from fangkong.people.persons_import import _REG_COLS
    from fangkong.people.resolve import REGISTER_SCHEMA

    with unit_of_work() as s:
        s.execute(Person.__table__.update().where(Person.person_id == "P00003").values(address=None, birth_date=None))
        stmt = select(*_REG_COLS).order_by(Person.id)
        want = [dict(zip(REGISTER_SCHEMA.names, r, strict=True)) for r in s.execute(stmt).all()]
        for part in (1, 2, 7, 200_000):
            got = select_arrow(s, stmt, REGISTER_SCHEMA, part=part)
            assert got.schema == REGISTER_SCHEMA and got.to_pylist() == want
        assert want[2]["address"] is None and want[2]["birth_date"] is None and want[0]["birth_date"] is not None
        assert select_arrow(s, stmt.where(Person.id < 0), REGISTER_SCHEMA).num_rows == 0
