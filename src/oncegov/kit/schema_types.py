"""Pydantic types shared by every domain's API schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

from oncegov.kit import clock


def _as_aware(value: Any) -> Any:
    return clock.aware(value) if isinstance(value, dt.datetime) else value


# An instant in every response schema: aware, in UTC (RFC 3339 with an offset). SQLite hands
# back naive values; everything stored is UTC, so they are read as UTC rather than refused.
Instant = Annotated[AwareDatetime, BeforeValidator(_as_aware)]
