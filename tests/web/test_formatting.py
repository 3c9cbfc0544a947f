"""Moments formatted from one pattern per language give what Babel's separate calls give."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_skeleton, format_time, get_datetime_format

from oncegov.kit import clock
from oncegov.web.formatting import format_datetime
from oncegov.web.i18n import set_locale

MOMENTS = [
    dt.datetime(2026, 12, 2, 21, 5, 3, tzinfo=dt.UTC),  # 04:05:03 on the 3rd in Vietnam
    dt.datetime(2026, 1, 9, 17, 0, 0, tzinfo=dt.UTC),  # local midnight
    dt.datetime(2027, 6, 30, 5, 59, 59, tzinfo=dt.UTC).replace(tzinfo=None),  # naive, as SQLite
]


def _separately(moment: dt.datetime, locale: str, seconds: bool) -> str:
    local = clock.local(moment)
    time = format_time(local, "medium" if seconds else "short", locale=locale)
    day = format_skeleton("yMd", local.date(), locale=locale)
    return str(get_datetime_format("medium", locale=locale)).format(time, day)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("seconds", [True, False])
def test_one_pattern_per_language_formats_as_the_separate_calls(locale: str, seconds: bool) -> None:
    set_locale(locale)
    try:
        for moment in MOMENTS:
            assert format_datetime(moment, seconds) == _separately(moment, locale, seconds)
    finally:
        set_locale("vi")


def test_the_languages_differ() -> None:
    set_locale("en")
    english = format_datetime(MOMENTS[0])
    set_locale("vi")
    assert format_datetime(MOMENTS[0]) == "04:05:03 3/12/2026"
    assert english == "12/3/2026, 4:05:03\u202fAM"  # CLDR's narrow no-break space
