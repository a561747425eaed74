"""`column IN (values)` for large value sets, as one bound parameter.

An expanding IN of tens of thousands of values (a trace's companions) costs SQLAlchemy more to render
than the database to run, and has to be cut into chunks below SQLite's variable limit. One parameter
holds the whole set instead: PostgreSQL `column = ANY(:array)`, SQLite `column IN (SELECT value FROM
json_each(:json))`; both use the column's index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import ColumnElement, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

__all__ = ["one_of"]


def one_of(session: Session, column, values: Iterable) -> ColumnElement[bool]:
    """The condition `column IN values` for the session's database, with one bound parameter."""
    values = list(values if isinstance(values, (set, frozenset)) else set(values))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(values))))
