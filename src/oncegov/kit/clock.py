"""The one clock: UTC instants, and calendar days in the deployment's zone.

Every moment the platform stores or compares is an aware UTC ``datetime`` from :func:`now`.
Every calendar day it reasons about (a check-in's day, an age, a fee's date, a deadline) is a
day in the deployment's zone (``settings.timezone``, Asia/Ho_Chi_Minh by default: UTC+7, no
daylight saving) from :func:`today` or :func:`local_day`. Mixing the two is the bug this module
exists to prevent: between 17:00 and 24:00 UTC the machine's UTC calendar day is still
the day before Vietnam's. Nothing outside this module calls ``datetime.now``/``date.today``
(``tests/test_clock_rule.py`` and ruff's DTZ rules enforce it).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from oncegov.config import settings


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@lru_cache(maxsize=8)
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The deployment's zone (``settings.timezone``)."""
    return _zone_named(settings.timezone)


def aware(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC instant; naive values are UTC (SQLite returns them naive)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in the deployment's zone, for showing and for local-day arithmetic."""
    return aware(moment).astimezone(zone())


def local_day(moment: dt.datetime) -> dt.date:
    """The deployment-local calendar day of an instant."""
    return local(moment).date()


def today() -> dt.date:
    """Today in the deployment's zone (never the machine's own day)."""
    return local_day(now())


def start_of_day(day: dt.date) -> dt.datetime:
    """The UTC instant at which the local ``day`` begins."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone()).astimezone(dt.UTC)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of the local ``day`` as UTC instants."""
    return start_of_day(day), start_of_day(day + dt.timedelta(days=1))


def timestamp() -> float:
    """The current instant as POSIX seconds (JWT ``iat``/``exp``, ``auth_time``)."""
    return now().timestamp()
