"""A store made by an earlier release upgrades in place, rows and all (an office never starts from empty)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, MetaData, create_engine, insert, select, text

from fangkong.db.migrate import upgrade

#: the heads of the store the previous release (stop 20) left behind, before this session's migrations
EARLIER_HEADS = ("0010_risk_person_children_index", "0009_person_phone_holder_index", "0007_auth", "0005_indexes",
                 "0003_zones_assist", "0002_testing_b")


def _value(column, n: int):
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer | Float):
        return n
    if isinstance(kind, DateTime):
        return datetime(2022, 3, 11, 12)
    if isinstance(kind, Date):
        return date(2022, 3, 11)
    return f"x{n}"


def _row(conn, meta, table: str, n: int, **given) -> int:
    """A row with every required column filled, `given` for the references."""
    t = meta.tables[table]
    values = {c.name: _value(c, n) for c in t.columns
              if not c.nullable and not c.primary_key and c.server_default is None} | given
    conn.execute(insert(t).values(**values))
    return conn.execute(select(t.c.id).order_by(t.c.id.desc())).scalar()


def test_a_store_with_measures_tests_stays_and_check_ins_upgrades(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    for head in EARLIER_HEADS:
        upgrade(url, head)
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        person = _row(conn, meta, "person", 1)
        measure = _row(conn, meta, "measure", 2, person_fk=person, case_fk=None, risk_person_fk=None,
                       status="active")
        _row(conn, meta, "test_task", 3, measure_fk=measure, person_fk=person)
        _row(conn, meta, "check_in", 4, measure_fk=measure, person_fk=person)
    engine.dispose()

    upgrade(url)   # re-creating `measure` on SQLite dropped a table others refer to: FOREIGN KEY constraint failed

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM measure")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM test_task WHERE measure_fk = :m"), {"m": measure}).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()
