"""All SQL of the calendar's adjustments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from oncegov.kit.repository import Repository
from oncegov.procedures.calendar.models import CalendarDay


class CalendarRepository(Repository):
    def all(self) -> Sequence[CalendarDay]:
        return self.session.scalars(select(CalendarDay).order_by(CalendarDay.day)).all()

    def of_year(self, year: int) -> Sequence[CalendarDay]:
        query = (
            select(CalendarDay)
            .where(
                CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day < dt.date(year + 1, 1, 1)
            )
            .order_by(CalendarDay.day)
        )
        return self.session.scalars(query).all()

    def on(self, day: dt.date) -> CalendarDay | None:
        return self.session.scalar(select(CalendarDay).where(CalendarDay.day == day))

    def delete(self, row: CalendarDay) -> None:
        self.session.delete(row)
        self.session.flush()
