"""The clock's days are Vietnam's days, whatever the machine's zone and hour."""

from __future__ import annotations

import datetime as dt

import pytest

from oncegov.kit import clock

UTC = dt.UTC


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (dt.datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC), dt.date(2026, 12, 1)),
        # From 17:00 UTC it is already the next day in Vietnam (UTC+7, no daylight saving).
        (dt.datetime(2026, 12, 1, 17, 0, tzinfo=UTC), dt.date(2026, 12, 2)),
        (dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC), dt.date(2026, 12, 2)),
        (dt.datetime(2026, 12, 31, 17, 0, tzinfo=UTC), dt.date(2027, 1, 1)),
    ],
)
def test_local_day_is_the_day_in_vietnam(instant: dt.datetime, day: dt.date) -> None:
    assert clock.local_day(instant) == day


def test_naive_moments_are_read_as_utc() -> None:
    # SQLite hands stored moments back naive; they were stored as UTC.
    naive = dt.datetime(2026, 12, 1, 17, 30)  # noqa: DTZ001 - naive on purpose
    assert clock.aware(naive) == dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert clock.local_day(naive) == dt.date(2026, 12, 2)


def test_today_follows_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    assert clock.today() == dt.date(2026, 12, 2)


def test_now_is_aware_utc() -> None:
    moment = clock.now()
    assert moment.utcoffset() == dt.timedelta(0)
    assert abs(clock.timestamp() - moment.timestamp()) < 5


def test_a_local_day_as_utc_bounds() -> None:
    start, end = clock.day_bounds(dt.date(2026, 12, 2))
    assert start == dt.datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert end - start == dt.timedelta(days=1)
    assert clock.local_day(start) == dt.date(2026, 12, 2)
    assert clock.local_day(end - dt.timedelta(microseconds=1)) == dt.date(2026, 12, 2)
