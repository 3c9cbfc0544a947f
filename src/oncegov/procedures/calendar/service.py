"""The legal clock's calendar: administrators declare dates off or working; every change is an
audit entry; :func:`working_calendar` combines the shipped schedules (``kit/calendar_vn.toml``)
with the rows of ``calendar_days``, which win where both name a date."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.kit.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    Adjustment,
    DayKind,
    DayStatus,
    WorkingCalendar,
)
from oncegov.kit.text import require_text
from oncegov.procedures.calendar.models import REASON_MAX, REFERENCE_MAX, CalendarDay
from oncegov.procedures.calendar.repository import CalendarRepository
from oncegov.translatable import N_

PURPOSE = "working-day calendar administration"


@dataclass(frozen=True, slots=True)
class CalendarDayView:
    day: dt.date
    kind: str
    reason: str
    legal_reference: str
    created_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, row: CalendarDay) -> CalendarDayView:
        return cls(
            row.day, row.kind, row.reason, row.legal_reference, row.created_by, row.created_at
        )


@dataclass(frozen=True, slots=True)
class YearView:
    """One year for the administrators' page: its days that are not ordinary (holidays,
    compensation, adjustments) and the administrators' own entries."""

    year: int
    days: list[DayStatus]
    entries: list[CalendarDayView]


def _adjustment(row: CalendarDay) -> Adjustment:
    return Adjustment(row.day, DayKind(row.kind), row.reason, row.legal_reference)


def working_calendar(session: Session) -> WorkingCalendar:
    """The calendar the deadlines use: shipped schedules, then the administrators' entries.

    The entries are read every time (an administrator's change applies at once, in every
    process); the calendar built from them is kept while they stay the same, since working
    out a year's days is the costly part of a due date."""
    rows = CalendarRepository(session).all()
    return _calendar_of(tuple(_adjustment(row) for row in rows))


@functools.lru_cache(maxsize=8)
def _calendar_of(adjustments: tuple[Adjustment, ...]) -> WorkingCalendar:
    return WorkingCalendar.vietnam(list(adjustments))


def check_year(year: int, field: str = "year") -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(
            N_("The working-day calendar covers the years 1995 to 2099."), field=field
        )
    return year


def parse_day(value: str, field: str = "day") -> dt.date:
    """A date typed as ``YYYY-MM-DD`` (the HTML date input and the CLI)."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(N_("Enter a date as YYYY-MM-DD."), field=field) from None
    check_year(day.year, field)
    return day


def list_days(session: Session, year: int | None = None) -> list[CalendarDayView]:
    repo = CalendarRepository(session)
    rows = repo.all() if year is None else repo.of_year(check_year(year))
    return [CalendarDayView.of(row) for row in rows]


def year_view(session: Session, year: int) -> YearView:
    check_year(year)
    calendar = working_calendar(session)
    return YearView(year, calendar.year_view(year), list_days(session, year))


def add_day(
    session: Session,
    actor: Actor,
    *,
    day: dt.date,
    kind: str,
    reason: str,
    legal_reference: str,
) -> CalendarDayView:
    """Declare ``day`` off or a working day. A date already declared is refused (remove it
    first), so no entry is silently replaced."""
    check_year(day.year, "day")
    if kind not in {k.value for k in DayKind}:
        raise ValidationFailed(N_("Choose whether the day is off or a working day."), field="kind")
    reason = require_text(reason, field="reason").strip()
    legal_reference = require_text(legal_reference, field="legal_reference").strip()
    if not reason:
        raise ValidationFailed(N_("Say why the day is changed."), field="reason")
    if not legal_reference:
        raise ValidationFailed(
            N_("Name the document that decides it (e.g. the Prime Minister's decision)."),
            field="legal_reference",
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(N_("Too long."), field="reason", max=REASON_MAX)
    if len(legal_reference) > REFERENCE_MAX:
        raise ValidationFailed(N_("Too long."), field="legal_reference", max=REFERENCE_MAX)
    repo = CalendarRepository(session)
    if repo.on(day) is not None:
        raise Conflict(N_("This date is already declared; remove it first."), field="day")
    row = CalendarDay(
        day=day,
        kind=kind,
        reason=reason,
        legal_reference=legal_reference,
        created_by=actor.label,
    )
    repo.add(row)
    audit.record(
        session,
        actor,
        "calendar.day_added",
        purpose=PURPOSE,
        detail={
            "day": day.isoformat(),
            "kind": kind,
            "reason": reason,
            "legal_reference": legal_reference,
        },
    )
    return CalendarDayView.of(row)


def remove_day(session: Session, actor: Actor, day: dt.date) -> None:
    repo = CalendarRepository(session)
    row = repo.on(day)
    if row is None:
        raise NotFound(N_("No adjustment is recorded for this date."), field="day")
    detail = {
        "day": day.isoformat(),
        "kind": row.kind,
        "reason": row.reason,
        "legal_reference": row.legal_reference,
    }
    repo.delete(row)
    audit.record(session, actor, "calendar.day_removed", purpose=PURPOSE, detail=detail)
