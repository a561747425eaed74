"""Alembic environment: the database URL comes from the config set by fangkong.db.migrate."""

from alembic import context

from fangkong.db.core import engine_for
from fangkong.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = engine_for(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # a batch migration re-creates a table (copy, drop, rename); with foreign keys enforced the DROP of a
            # table that others refer to fails on a store that has rows (0011: measure, referred to by test tasks,
            # room stays, check-ins). The pragma only takes effect outside a transaction, so it is set first, and
            # the references are checked once the migrations are done (Alembic's batch-mode documentation).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken references, e.g. {broken[:3]}")
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    engine.dispose()


run_migrations_online()
