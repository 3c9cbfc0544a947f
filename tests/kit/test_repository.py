"""The repository base and its paging, on a domain-free table (the SMS outbox).

Every test reads only the rows it wrote (one phone number per test), so the rows other tests or
the migrations left do not count; the ``db`` fixture rolls them back.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from oncegov.errors import ValidationFailed
from oncegov.integrations.models import SmsOutboxMessage
from oncegov.kit.repository import MAX_POSITION, Page, Paged, Repository

_phones = itertools.count(900_000)


def _rows(db: Session, count: int) -> tuple[Repository, Select[SmsOutboxMessage], list[int]]:
    """``count`` messages to a phone of their own; the query selecting them; their ids."""
    phone = f"09{next(_phones):08d}"
    repo = Repository(db)
    ids = []
    for number in range(count):
        row = SmsOutboxMessage(
            phone=phone, sender="OnceGov", body=f"m{number}", purpose="test", status="delivered"
        )
        repo.add(row)  # flushed: the id is known at once
        ids.append(row.id)
    return repo, select(SmsOutboxMessage).where(SmsOutboxMessage.phone == phone), ids


def _ids(page: Paged[SmsOutboxMessage]) -> list[int]:
    return [row.id for row in page.items]


KEY = SmsOutboxMessage.id


# --- the base --------------------------------------------------------------------------------


def test_add_flushes_and_get_finds_by_primary_key(db: Session) -> None:
    repo, _, ids = _rows(db, 1)
    found = repo.get(SmsOutboxMessage, ids[0])
    assert found is not None and found.body == "m0"
    assert repo.get(SmsOutboxMessage, MAX_POSITION) is None


def test_count_ignores_the_order(db: Session) -> None:
    repo, query, _ = _rows(db, 3)
    assert repo.count_rows(query.order_by(KEY.desc())) == 3


# --- offset pages ----------------------------------------------------------------------------


def test_offset_pages_walk_forward_and_back(db: Session) -> None:
    repo, query, ids = _rows(db, 5)
    first = repo.fetch_page(query.order_by(KEY), Page(2), counted=True)
    assert _ids(first) == ids[:2]
    assert (first.has_more, first.next_offset, first.previous_offset, first.total) == (
        True,
        2,
        None,
        5,
    )
    last = repo.fetch_page(query.order_by(KEY), Page(2, offset=4))
    assert _ids(last) == ids[4:]
    assert (last.has_more, last.next_offset, last.previous_offset, last.total) == (
        False,
        None,
        2,
        None,
    )


@pytest.mark.parametrize(("count", "more"), [(0, False), (3, False), (4, True)])
def test_offset_page_edges_empty_exact_and_one_more(db: Session, count: int, more: bool) -> None:
    repo, query, ids = _rows(db, count)
    page = repo.fetch_page(query, Page(3), key=KEY)
    assert _ids(page) == ids[:3]
    assert page.has_more is more
    assert page.next_offset == (3 if more else None)


def test_offset_page_by_key_also_opens_the_keyset(db: Session) -> None:
    repo, query, ids = _rows(db, 5)
    newest = repo.fetch_page(query, Page(2), key=KEY, descending=True)
    assert _ids(newest) == [ids[4], ids[3]]
    assert (newest.after, newest.before) == (None, ids[3])
    second = repo.fetch_page(query, Page(2, offset=2), key=KEY)
    assert _ids(second) == ids[2:4]
    assert (second.after, second.before) == (ids[3], ids[2])


def test_rows_instead_of_objects(db: Session) -> None:
    repo, query, ids = _rows(db, 3)
    columns = query.with_only_columns(SmsOutboxMessage.id, SmsOutboxMessage.body)
    page = repo.fetch_page(columns, Page(2), key=KEY, scalars=False)
    assert [tuple(row) for row in page.items] == [(ids[0], "m0"), (ids[1], "m1")]
    assert page.after == ids[1]


def test_map_keeps_the_ways_on(db: Session) -> None:
    repo, query, ids = _rows(db, 3)
    page = repo.fetch_page(query, Page(2), key=KEY, counted=True).map(lambda row: row.body)
    assert page.items == ["m0", "m1"]
    assert (page.has_more, page.next_offset, page.after, page.total) == (True, 2, ids[1], 3)


# --- keyset pages ----------------------------------------------------------------------------


def test_keyset_descending_walks_older_and_back_newer(db: Session) -> None:
    repo, query, ids = _rows(db, 5)
    older = repo.fetch_page(query, Page(2, before=ids[3]), key=KEY, descending=True)
    assert _ids(older) == [ids[2], ids[1]]  # newest first, as displayed
    assert (older.has_more, older.after, older.before) == (True, ids[2], ids[1])
    newer = repo.fetch_page(query, Page(2, after=ids[1]), key=KEY, descending=True)
    assert _ids(newer) == [ids[3], ids[2]]  # read upwards, handed back newest first
    assert (newer.has_more, newer.after, newer.before) == (True, ids[3], ids[2])


def test_keyset_ascending_in_both_directions(db: Session) -> None:
    repo, query, ids = _rows(db, 5)
    onwards = repo.fetch_page(query, Page(2, after=ids[0]), key=KEY)
    assert _ids(onwards) == [ids[1], ids[2]]
    assert (onwards.has_more, onwards.after, onwards.before) == (True, ids[2], ids[1])
    back = repo.fetch_page(query, Page(3, before=ids[4]), key=KEY)
    assert _ids(back) == ids[1:4]  # read downwards, handed back oldest first
    assert (back.has_more, back.after, back.before) == (True, ids[3], ids[1])


@pytest.mark.parametrize(("extra", "more"), [(0, False), (1, True)])
def test_keyset_exactly_a_page_or_one_more(db: Session, extra: int, more: bool) -> None:
    repo, query, ids = _rows(db, 3 + extra + 1)
    page = repo.fetch_page(query, Page(3, after=ids[0]), key=KEY)
    assert _ids(page) == ids[1:4]
    assert page.has_more is more
    assert page.after == (ids[3] if more else None)
    assert page.before == ids[1]


def test_keyset_empty_pages_offer_the_way_back_to_the_cursor(db: Session) -> None:
    repo, query, ids = _rows(db, 2)
    past_the_oldest = repo.fetch_page(query, Page(2, before=ids[0]), key=KEY, descending=True)
    assert (past_the_oldest.items, past_the_oldest.has_more) == ([], False)
    assert (past_the_oldest.after, past_the_oldest.before) == (ids[0] - 1, None)
    past_the_newest = repo.fetch_page(query, Page(2, after=ids[1]), key=KEY, descending=True)
    assert (past_the_newest.items, past_the_newest.has_more) == ([], False)
    assert (past_the_newest.after, past_the_newest.before) == (None, ids[1] + 1)


def test_keyset_needs_the_key_column(db: Session) -> None:
    repo, query, _ = _rows(db, 1)
    with pytest.raises(TypeError):
        repo.fetch_page(query, Page(2, after=0))


# --- the request is checked ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": 0}, "limit"),
        ({"size": 1001}, "limit"),
        ({"size": 11, "max_size": 10, "size_field": "per_page"}, "per_page"),
        ({"size": 5, "offset": -1}, "offset"),
        ({"size": 5, "offset": MAX_POSITION + 1}, "offset"),
        ({"size": 5, "after": -1}, "after"),
        ({"size": 5, "before": MAX_POSITION + 1}, "before"),
        ({"size": 5, "after": 1, "before": 9}, "before"),
        ({"size": 5, "offset": 10, "after": 1}, "offset"),
    ],
)
def test_bad_page_requests_are_refused_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Page(**kwargs)
    assert refused.value.field == field


def test_numbered_pages() -> None:
    assert Page.numbered(3, 25).offset == 50
    with pytest.raises(ValidationFailed) as refused:
        Page.numbered(1, 0)
    assert refused.value.field == "per_page"
    assert not Page(5).is_keyset and Page(5, before=3).is_keyset
