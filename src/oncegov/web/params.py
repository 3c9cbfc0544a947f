"""Bounded integer parameters, shared by every route (JSON and pages).

A path or query integer goes straight into SQL: past 64 bits the SQLite driver raises
``OverflowError``, and past 32 bits PostgreSQL refuses it for an ``INTEGER`` column (every id and
sequence number here is one); either was a 500. Every id, page, offset and cursor is declared with
one of these, so an out-of-range value is refused as invalid input (422, the parameter named)
before it gets that far, the same on both databases. ``tests/web/test_bounded_params.py`` walks
every route with 2**31, 2**63, 2**64 and -1.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL (SQLite's hold 64 bits)
# A page number is multiplied by the page size into an OFFSET: bounded well inside 64 bits.
MAX_PAGE = 1_000_000

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in the path (``/quality/findings/{finding_id}``)."""

PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE)]
"""A 1-based page number (``?page=``)."""

OffsetQuery = Annotated[int, Query(ge=0, le=MAX_ID)]
"""Rows to skip (``?offset=``)."""

CursorQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
"""A keyset cursor: the id or sequence number to continue before or after."""
