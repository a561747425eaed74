"""`column IN (values)` for large value sets, as one bound parameter.

An expanding IN of tens of thousands of values (a trace's companions) costs SQLAlchemy more to render
than the database to run, and has to be cut into chunks below SQLite's variable limit. One parameter
holds the whole set instead: PostgreSQL `column = ANY(:array)`, SQLite `column IN (SELECT value FROM
json_each(:json))`; both use the column's index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import ColumnElement, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

__all__ = ["chunks", "one_of"]


def chunks(seq: Sequence, size: int = 5000) -> Iterator[Sequence]:
    """`seq` in slices of `size`: values bound one per parameter, writes a slice at a time."""
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def one_of(session: Session, column, values: Iterable, *, rows: int | None = None) -> ColumnElement[bool]:
    """The condition `column IN values` for the session's database, with one bound parameter.

    `rows`: about how many rows the column's table holds, when the caller knows it cheaply. SQLite has no
    statistics and probes the column's index once per value; when the table is smaller than the set (a
    city's few thousand extra phones against a trace's 30 000 phones met), scanning it and testing each row
    against the set (which SQLite builds once) is cheaper, so the column is then wrapped to keep the index
    out. PostgreSQL plans by its own statistics."""
    values = list(values if isinstance(values, (set, frozenset)) else set(values))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    if rows is not None and rows < len(values):
        column = column.concat("")   # same value (NULL stays NULL), no index
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(values))))
