"""The one base of every repository, and the one way to page through rows.

``Repository`` holds the request's (or job's) ``Session`` and the two things every repository
did alike: ``add`` a row (flushed at once, so its id is known and the column-length check of
``column_lengths`` speaks now, naming the column) and ``get`` one by primary key.

``Page`` is a validated page request: a size and EITHER an offset OR a keyset cursor (``after``
or ``before`` a value of a unique integer column: an id or a sequence number). ``fetch_page``
applies it to a ``Select``: it reads one row more than the page to know whether another follows
(no count of the whole set, unless the caller asks for the total), walks a keyset in either
direction through the index and hands the rows back in display order, with the cursors or
offsets of the neighbouring pages in a ``Paged``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar, overload

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from oncegov.errors import ValidationFailed
from oncegov.translatable import N_

T = TypeVar("T")
U = TypeVar("U")
Model = TypeVar("Model")

# Offsets and cursors go straight into SQL: bounded like ``web.params`` bounds them (the largest
# value of an INTEGER column on PostgreSQL), so a service called from elsewhere than a route is
# refused the same way instead of failing in the driver.
MAX_POSITION = 2**31 - 1
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Page:
    """Which rows to show: ``size`` of them, from ``offset`` or past a keyset cursor.

    ``after``/``before`` compare with the key column's values (``after=7``: keys greater than
    7), whatever the display order. Bad values are refused with ``ValidationFailed`` naming the
    request's own field (``size_field``/``offset_field``: "limit", "per_page", …).
    """

    size: int
    offset: int = 0
    after: int | None = None
    before: int | None = None
    max_size: int = MAX_PAGE_SIZE
    size_field: str = "limit"
    offset_field: str = "offset"

    def __post_init__(self) -> None:
        if not 1 <= self.size <= self.max_size:
            raise ValidationFailed(
                N_("Page size is out of range"), field=self.size_field, min=1, max=self.max_size
            )
        if self.offset < 0:
            raise ValidationFailed(N_("Offset must not be negative"), field=self.offset_field)
        if self.offset > MAX_POSITION:
            raise ValidationFailed(
                N_("Offset is too large"), field=self.offset_field, max=MAX_POSITION
            )
        for name in ("after", "before"):
            cursor = getattr(self, name)
            if cursor is not None and not 0 <= cursor <= MAX_POSITION:
                raise ValidationFailed(
                    N_("Cursor is out of range"), field=name, min=0, max=MAX_POSITION
                )
        if self.after is not None and self.before is not None:
            raise ValidationFailed(N_("Give either after or before, not both"), field="before")
        if self.offset and self.is_keyset:
            raise ValidationFailed(
                N_("Give either an offset or a cursor, not both"), field=self.offset_field
            )

    @classmethod
    def numbered(
        cls, number: int, size: int, *, max_size: int = MAX_PAGE_SIZE, size_field: str = "per_page"
    ) -> Page:
        """Page ``number`` (1-based) of ``size`` rows."""
        return cls(
            size,
            offset=(number - 1) * size,
            max_size=max_size,
            size_field=size_field,
            offset_field="page",
        )

    @property
    def is_keyset(self) -> bool:
        return self.after is not None or self.before is not None


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """One page of rows in display order and the ways on from it.

    ``has_more``: rows follow in the direction the page was read. Offset pages give
    ``next_offset``/``previous_offset``; keyset pages the ``after``/``before`` of the links to
    the neighbouring pages (None where there is none). ``total`` is counted only on request.
    """

    items: list[T]
    has_more: bool
    next_offset: int | None = None
    previous_offset: int | None = None
    after: int | None = None
    before: int | None = None
    total: int | None = None

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        """The same page with each item converted (rows into the schema a caller shows)."""
        return Paged(
            [convert(item) for item in self.items],
            self.has_more,
            self.next_offset,
            self.previous_offset,
            self.after,
            self.before,
            self.total,
        )


class Repository:
    """Base of every repository: the session, ``add``, ``get``, ``count_rows`` and paged reads."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def add_all(self, rows: Iterable[object]) -> None:
        """Add rows written at the next flush (their keys are not needed before then)."""
        self.session.add_all(rows)

    def get(self, model: type[Model], key: Any) -> Model | None:
        return self.session.get(model, key)

    def count_rows(self, query: Select[Any]) -> int:
        """How many rows ``query`` selects (its order does not matter for counting)."""
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return int(self.session.scalar(counted) or 0)

    @overload
    def fetch_page(
        self,
        query: Select[T],
        page: Page,
        *,
        key: QueryableAttribute[int] | None = ...,
        descending: bool = ...,
        counted: bool = ...,
        scalars: Literal[True] = ...,
    ) -> Paged[T]: ...

    @overload
    def fetch_page(
        self,
        query: Select[Any],
        page: Page,
        *,
        key: QueryableAttribute[int] | None = ...,
        descending: bool = ...,
        counted: bool = ...,
        scalars: Literal[False],
    ) -> Paged[Row[Any]]: ...

    def fetch_page(
        self,
        query: Select[Any],
        page: Page,
        *,
        key: QueryableAttribute[int] | None = None,
        descending: bool = False,
        counted: bool = False,
        scalars: bool = True,
    ) -> Paged[Any]:
        """One page of ``query``: ORM objects (or the single column) with ``scalars``, else rows.

        With ``key`` (a unique integer column, selected by ``query``) the rows are ordered by it,
        ``descending`` for display, and keyset cursors are honoured; without, ``query`` brings
        its own order (with a unique last term, so offsets are stable) and only offsets work.
        ``counted`` adds ``total`` (one more query over the whole set).
        """
        total = self.count_rows(query) if counted else None
        if page.is_keyset:
            if key is None:
                raise TypeError("a keyset page needs the key column")
            result = self._keyset(query, page, key, descending, scalars)
        else:
            result = self._offset(query, page, key, descending, scalars)
        return replace(result, total=total) if counted else result

    def _read(self, query: Select[Any], scalars: bool) -> list[Any]:
        if scalars:
            return list(self.session.scalars(query).all())
        return list(self.session.execute(query).all())

    def _offset(
        self,
        query: Select[Any],
        page: Page,
        key: QueryableAttribute[int] | None,
        descending: bool,
        scalars: bool,
    ) -> Paged[Any]:
        if key is not None:
            query = query.order_by(key.desc() if descending else key.asc())
        if page.offset:
            query = query.offset(page.offset)
        rows = self._read(query.limit(page.size + 1), scalars)
        more = len(rows) > page.size
        rows = rows[: page.size]
        result: Paged[Any] = Paged(
            rows,
            more,
            next_offset=page.offset + page.size if more else None,
            previous_offset=max(page.offset - page.size, 0) if page.offset else None,
        )
        if key is None:
            return result
        # Ordered by the key, an offset page also opens the keyset: the first page of a keyset
        # listing is the page at offset 0.
        onwards = getattr(rows[-1], key.key) if more else None
        back = getattr(rows[0], key.key) if page.offset and rows else None
        if descending:
            return replace(result, after=back, before=onwards)
        return replace(result, after=onwards, before=back)

    def _keyset(
        self,
        query: Select[Any],
        page: Page,
        key: QueryableAttribute[int],
        descending: bool,
        scalars: bool,
    ) -> Paged[Any]:
        """Read from the cursor outwards (nearest key first), so the index range is walked
        without a sort; turned into display order afterwards."""
        upwards = page.after is not None
        cursor = page.after if page.after is not None else page.before
        assert cursor is not None  # a keyset page has one of the two
        if upwards:
            query = query.where(key > cursor).order_by(key.asc())
        else:
            query = query.where(key < cursor).order_by(key.desc())
        rows = self._read(query.limit(page.size + 1), scalars)
        more = len(rows) > page.size
        rows = rows[: page.size]
        name = key.key
        # Away from the cursor: the furthest row read, when more follow. Back towards it: the
        # nearest row read (we came from there); on an empty page the cursor itself, made
        # inclusive, so the way back shows the row it stood on.
        further = getattr(rows[-1], name) if more else None
        if rows:
            back: int | None = getattr(rows[0], name)
        else:
            back = cursor + 1 if upwards else cursor - 1
        after, before = (further, back) if upwards else (back, further)
        if upwards == descending:  # read against the display order
            rows.reverse()
        return Paged(rows, more, after=after, before=before)
