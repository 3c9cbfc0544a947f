"""Every ``String(n)`` column's length, enforced on every ORM flush, on every database.

SQLite stores a value of any length in a ``VARCHAR(n)`` and PostgreSQL refuses it with an error
(a 500): schemas and validators bound what they know, and this is the net under all of them,
derived from the models themselves. A value too long for its column is refused as invalid
input, the column named. Bulk inserts (``db.bulk_insert``) bypass the ORM; the import validator
bounds their values.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import String, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper, Session

from oncegov.errors import ValidationFailed
from oncegov.translatable import N_

TOO_LONG = N_("is too long")


@cache
def _bounded_columns(mapper: Mapper[object]) -> tuple[tuple[str, int], ...]:
    """(attribute, length) of each bounded string column of a mapped class."""
    bounded = []
    for attribute in mapper.column_attrs:
        for column in attribute.columns:
            length = getattr(column.type, "length", None)
            if isinstance(column.type, String) and length:
                bounded.append((attribute.key, length))
    return tuple(bounded)


def check_lengths(obj: object) -> None:
    """Raises ``ValidationFailed`` naming the first string attribute longer than its column."""
    state = sa_inspect(obj)
    loaded = state.dict  # values set or loaded; reading it never queries (expired ones are absent)
    for key, length in _bounded_columns(state.mapper):
        value = loaded.get(key)
        if isinstance(value, str) and len(value) > length:
            raise ValidationFailed(TOO_LONG, field=key, max_length=length)


@event.listens_for(Session, "before_flush")
def _check_before_flush(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.new, *session.dirty):
        check_lengths(obj)


def check_length(value: str, *, field: str, max_length: int) -> None:
    """The same refusal for values written with a Core ``UPDATE``, which skips the flush."""
    if len(value) > max_length:
        raise ValidationFailed(TOO_LONG, field=field, max_length=max_length)
