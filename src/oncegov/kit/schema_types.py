"""Pydantic types shared by every domain's API schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

from oncegov.kit import clock


def _as_aware(value: Any) -> Any:
    return clock.aware(value) if isinstance(value, dt.datetime) else value


# An instant in every response schema: aware, in UTC (RFC 3339 with an offset). SQLite hands
# back naive values; everything stored is UTC, so they are read as UTC rather than refused.
Instant = Annotated[AwareDatetime, BeforeValidator(_as_aware)]


def one_of(values: Iterable[str], *, nullable: bool = False) -> dict[str, Any]:
    """``json_schema_extra`` declaring the values a string field may take. Used where the
    service checks the value itself (so pages and API refuse it alike, naming the field) and
    the field stays ``str``; the OpenAPI document still lists the values."""
    allowed: list[Any] = list(values)
    return {"enum": [*allowed, None] if nullable else allowed}
