"""Schema checks over the migrated store: what a city-scale delete needs."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from fangkong.db.migrate import upgrade


def test_every_foreign_key_with_a_delete_action_is_indexed(tmp_path):
    """Deleting a parent row (a re-trace deletes a case's tens of thousands of risk persons) finds the children to
    update through an index on their column; without one the database scans the child table once per row."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    insp = inspect(create_engine(url))
    missing, checked = [], 0
    for table in insp.get_table_names():
        leading = {ix["column_names"][0] for ix in insp.get_indexes(table)}
        leading |= {u["column_names"][0] for u in insp.get_unique_constraints(table)}
        leading |= set(insp.get_pk_constraint(table)["constrained_columns"][:1])
        for fk in insp.get_foreign_keys(table):
            if (fk.get("options") or {}).get("ondelete"):
                checked += 1
                if fk["constrained_columns"][0] not in leading:
                    missing.append(f"{table}.{fk['constrained_columns'][0]}")
    assert checked >= 2
    assert missing == []


def test_the_migrations_have_exactly_one_head():
    """A new migration revises the one head; two heads mean two people's migrations whose order nobody chose."""
    from fangkong.db.migrate import heads

    assert len(heads()) == 1, f"several heads: {sorted(heads())}"
