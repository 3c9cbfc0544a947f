"""Numbers, dates and moments in the request's language (CLDR patterns, via Babel) and the
deployment's time zone: ``20.715`` and ``2/12/2026`` in Vietnamese, ``20,715`` and ``12/2/2026``
in English. Every page formats through these (they are the templates' filters of the same
names), so no page shows a number or a moment its own way."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale
from babel.dates import (
    DateTimePattern,
    format_skeleton,
    get_datetime_format,
    get_time_format,
    match_skeleton,
    parse_pattern,
)
from babel.numbers import format_decimal, format_percent

from oncegov.kit import clock
from oncegov.translatable import N_
from oncegov.web.i18n import get_locale, gettext

EMPTY = "—"


@lru_cache(maxsize=16)
def _parsed(identifier: str) -> Locale:
    return Locale.parse(identifier)


def _locale() -> Locale:
    """The request's language as Babel's ``Locale``, parsed once per language (each Babel call
    given the identifier parses it again: seven times per moment formatted)."""
    return _parsed(get_locale())


def _local(moment: dt.datetime) -> dt.datetime:
    """A stored UTC moment in the deployment's zone (SQLite returns naive UTC)."""
    return clock.local(moment)


def format_number(value: float | None, digits: int | None = None) -> str:
    """``20715`` → ``20.715`` (vi) / ``20,715`` (en); ``digits`` fixes the decimals."""
    if value is None:
        return EMPTY
    if digits is None:
        return format_decimal(value, locale=_locale())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def format_percent_value(share: float | None, digits: int = 1) -> str:
    """A share between 0 and 1: ``0.973`` → ``97,3%`` (vi) / ``97.3%`` (en)."""
    if share is None:
        return EMPTY
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(share, format=pattern, locale=_locale())


def format_date(day: dt.date | dt.datetime | None) -> str:
    """A calendar day, numeric: ``2/12/2026`` (vi) / ``12/2/2026`` (en). A moment is first
    turned into the deployment's local day."""
    if day is None:
        return EMPTY
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    return format_skeleton("yMd", day, locale=_locale())


def format_day_month(day: dt.date) -> str:
    """A short axis label: ``2/12`` (vi) / ``12/2`` (en)."""
    return format_skeleton("dM", day, locale=_locale())


def format_datetime(moment: dt.datetime | None, seconds: bool = True) -> str:
    """A stored moment in local time: ``04:05:03 2/12/2026`` (vi) / ``12/2/2026, 4:05:03 AM``
    (en), joined the way the language joins a date and a time."""
    if moment is None:
        return EMPTY
    return _moment_pattern(get_locale(), seconds).apply(_local(moment), _locale())


@lru_cache(maxsize=32)
def _moment_pattern(identifier: str, seconds: bool) -> DateTimePattern:
    """The one pattern of ``format_datetime`` in a language: its time (medium, or short without
    seconds) and numeric day (skeleton ``yMd``) joined by its medium date-time format. Composed
    once per language: a page of 50 moments used to look the three up 50 times."""
    locale = _parsed(identifier)
    time = get_time_format("medium" if seconds else "short", locale=locale).pattern
    skeletons = locale.datetime_skeletons
    day = skeletons["yMd"] if "yMd" in skeletons else skeletons[match_skeleton("yMd", skeletons)]
    joined = str(get_datetime_format("medium", locale=locale))
    return parse_pattern(joined.replace("{0}", time).replace("{1}", str(day.pattern)))


_ACTOR_KINDS = {
    "officer": N_("Officer %(name)s"),
    "citizen": N_("Citizen %(name)s"),
    "service": N_("System %(name)s"),
}
_CHANNELS = {
    "cli": N_("command line"),
    "job": N_("scheduled job"),
    "web": N_("web"),
    "api": N_("API"),
}


def channel_label(channel: str | None) -> str:
    """How an action came in (``web``, ``api``, ``cli``, ``job``), in the reader's words."""
    if not channel:
        return EMPTY
    return gettext(_CHANNELS[channel]) if channel in _CHANNELS else channel


def actor_label(label: str | None) -> str:
    """A stored actor (``kind:id``) as a reader names it: ``officer:pc06.demo`` → ``Cán bộ
    pc06.demo``, ``system:cli:root`` → ``Hệ thống (dòng lệnh, root)``."""
    if not label:
        return EMPTY
    kind, _sep, name = label.partition(":")
    if kind == "system":
        channel, _sep, user = name.partition(":")
        if channel in _CHANNELS:
            where = gettext(_CHANNELS[channel])
            return gettext("System (%(how)s)") % {"how": f"{where}, {user}" if user else where}
        return gettext("System (%(how)s)") % {"how": name}
    if kind in _ACTOR_KINDS and name:
        return gettext(_ACTOR_KINDS[kind]) % {"name": name}
    return label
