"""Vietnam's working-day calendar for state agencies, and statutory due dates.

Pure and domain-free: no database. A :class:`WorkingCalendar` is built from three layers, each
winning over the one before:

1. **Weekly rest.** Saturday and Sunday: Decision 188/1999/QĐ-TTg Art. 1 sets the 40-hour,
   five-day week with Saturday and Sunday off for state agencies, public service units and
   political(-social) organisations.
2. **Public holidays** (Labour Code 2019 Art. 112(1), in force from 2021; Labour Code 2012
   Art. 115 before): Tết Dương lịch 1 day (1/1), Tết Âm lịch 5 days, Ngày Chiến thắng 1 day
   (30/4), Quốc tế Lao động 1 day (1/5), Quốc khánh 2 days (2/9 and one adjacent day; 1 day
   before 2021), Giỗ Tổ Hùng Vương 1 day (10/3 lunar). Art. 112(3): each year the Prime Minister
   fixes which five days are Tết and which day accompanies 2/9. The lunar dates come from the
   ``holidays`` package, which computes the Vietnamese lunar calendar at UTC+7 (it can differ
   from the Chinese calendar by a day: Tết 2030 is 2 February in Vietnam, 3 February in China);
   its own day-off substitutions are left out here, OnceGov's data decides those. Where the
   year's schedule is known (``calendar_vn.toml``) its Tết and National Day days replace the
   package's guesses. A holiday falling on a weekly rest day is compensated on the next working
   day (Labour Code 2019 Art. 111(3)).
3. **Adjustments**: a date declared off (nghỉ bù, nghỉ) or declared a working day (làm bù), each
   with a reason and its legal reference (the Prime Minister's decision as sent by the
   Government Office, or the Ministry's notice): the shipped schedules of past years plus what
   administrators record (``procedures.calendar``).

Due dates (:func:`WorkingCalendar.due`) count statutory working days or working hours from the
receipt of a complete dossier, with a per-procedure cut-off time, stopping the clock during the
pauses (waiting for the applicant's additions).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import holidays as holidays_package
from holidays.countries.vietnam import VietnamStaticHolidays

from oncegov.errors import ValidationFailed
from oncegov.kit import clock
from oncegov.translatable import N_

# Decision 188/1999/QĐ-TTg Art. 1: Saturday and Sunday are the weekly rest of state agencies.
WEEKLY_REST: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday

# The years the lunar tables of the ``holidays`` package and this calendar are used for.
FIRST_YEAR = 1995
LAST_YEAR = 2099

TET_DAYS = 5  # Labour Code 2019 Art. 112(1)(b) (and 2012 Art. 115(1)(b)): five days


class DayKind(StrEnum):
    OFF = "off"  # declared off: nghỉ bù / nghỉ
    WORK = "work"  # declared a working day: làm bù


class Source(StrEnum):
    """Why a day is what it is (shown on the administrators' year view)."""

    WORKDAY = "workday"
    WEEKLY_REST = "weekly_rest"
    HOLIDAY = "holiday"  # Labour Code Art. 112(1)
    COMPENSATION = "compensation"  # Art. 111(3): a holiday fell on a weekly rest day
    ADJUSTMENT = "adjustment"  # the year's schedule of swapped days, or an administrator's entry


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One date declared off or declared a working day, with why and under which document."""

    day: dt.date
    kind: DayKind
    reason: str
    legal_reference: str


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """What the Prime Minister fixed for one year under Art. 112(3), when it is known: the five
    days of Tết and the two of National Day (empty: the ``holidays`` package's estimate)."""

    year: int
    legal_reference: str
    tet: tuple[dt.date, ...] = ()
    national_day: tuple[dt.date, ...] = ()


@dataclass(frozen=True, slots=True)
class DayStatus:
    day: dt.date
    working: bool
    source: Source
    name: str = ""  # the holiday's name (Vietnamese), or the adjustment's reason
    legal_reference: str = ""


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """The office hours the working-hours case counts in, local time.

    Assumption: 08:00–12:00 and 13:00–17:00. Decision 188/1999/QĐ-TTg fixes 40 hours in five
    days (8 a day) but each province sets its own hours; a deployment that differs passes its
    own ``OfficeHours``.
    """

    periods: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(8, 0), dt.time(12, 0)),
        (dt.time(13, 0), dt.time(17, 0)),
    )

    @property
    def opens(self) -> dt.time:
        return self.periods[0][0]

    @property
    def closes(self) -> dt.time:
        return self.periods[-1][1]


DEFAULT_OFFICE_HOURS = OfficeHours()

# Default cut-off of the procedures that have one: a dossier received after 15:00 counts as
# received on the next working day (issue 13 §4; each procedure may set its own or none).
DEFAULT_CUTOFF = dt.time(15, 0)


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    SAME_DAY = "same_day"  # trả kết quả trong ngày


@dataclass(frozen=True, slots=True)
class StatutoryTime:
    """A procedure's time limit: N working days, N working hours, or the same day."""

    amount: int
    unit: Unit = Unit.WORKING_DAYS

    def __post_init__(self) -> None:
        if self.amount < 0 or (self.unit is Unit.SAME_DAY and self.amount != 0):
            raise ValidationFailed(
                N_("A time limit is a whole number of working days or hours, at least 0."),
                field="amount",
            )

    @classmethod
    def days(cls, n: int) -> StatutoryTime:
        return cls(n, Unit.WORKING_DAYS)

    @classmethod
    def hours(cls, n: int) -> StatutoryTime:
        return cls(n, Unit.WORKING_HOURS)

    @classmethod
    def same_day(cls) -> StatutoryTime:
        return cls(0, Unit.SAME_DAY)


Pause = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True, slots=True)
class Due:
    """The appointed return: its local day and the instant (UTC) the office closes that day,
    or, for working hours, the instant the last hour ends."""

    day: dt.date
    at: dt.datetime


# --- the statutory layer, from the ``holidays`` package -------------------------------------


def _substituted_days(year: int) -> set[dt.date]:
    """The package's own day-off substitutions of ``year`` (``VietnamStaticHolidays``): left out,
    since OnceGov's schedules and administrators decide the swaps."""
    entries: Any = VietnamStaticHolidays.special_public_holidays.get(year, ())
    if entries and isinstance(entries[0], int):
        entries = (entries,)
    return {dt.date(year, entry[0], entry[1]) for entry in entries}


@lru_cache(maxsize=256)
def package_holidays(year: int) -> dict[dt.date, str]:
    """The public holidays of Art. 112(1) in ``year`` as the ``holidays`` package gives them,
    before any weekly-rest compensation, with Vietnamese names.

    Left out: the package's substituted days off (swaps are OnceGov data) and Ngày Văn hóa Việt
    Nam (24/11), which the package counts from 2026. Assumption: 24/11 is not yet in Art. 112(1)
    — the stored sources show only Resolution 30/NQ-CP (February 2026) asking for the Labour
    Code to be amended; an administrator records it as a day off once the amendment is in force.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(
            N_("The working-day calendar covers the years 1995 to 2099."), field="year"
        )
    found = holidays_package.country_holidays("VN", years=year, observed=False, language="vi")
    left_out = _substituted_days(year) | {dt.date(year, 11, 24)}
    return {day: str(name) for day, name in sorted(found.items()) if day not in left_out}


def lunar_new_year(year: int) -> dt.date:
    """The first day of the Vietnamese lunar year (mùng 1 Tết) in Gregorian ``year``."""
    names = package_holidays(year)
    return next(day for day, name in names.items() if name == "Tết Nguyên Đán")


def _tet_window(year: int) -> set[dt.date]:
    first = lunar_new_year(year)
    return {first + dt.timedelta(days=offset) for offset in range(-7, 8)}


# --- shipped schedules ------------------------------------------------------------------------


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError(f"calendar data: {where} must be a date, got {value!r}")


def parse_schedules(text: str) -> tuple[dict[int, YearSchedule], list[Adjustment]]:
    """Read the TOML of yearly schedules (format: ``calendar_vn.toml``)."""
    data = tomllib.loads(text)
    schedules: dict[int, YearSchedule] = {}
    adjustments: list[Adjustment] = []
    for entry in data.get("year", []):
        year = int(entry["year"])
        schedule = YearSchedule(
            year=year,
            legal_reference=str(entry.get("legal_reference", "")),
            tet=tuple(_date(d, f"{year}.tet") for d in entry.get("tet", [])),
            national_day=tuple(
                _date(d, f"{year}.national_day") for d in entry.get("national_day", [])
            ),
        )
        if schedule.tet and len(schedule.tet) != TET_DAYS:
            raise ValueError(f"calendar data: {year}.tet must list {TET_DAYS} days")
        if schedule.national_day and len(schedule.national_day) != 2:
            raise ValueError(f"calendar data: {year}.national_day must list 2 days")
        schedules[year] = schedule
        for day in entry.get("day", []):
            adjustments.append(
                Adjustment(
                    day=_date(day["date"], f"{year}.day"),
                    kind=DayKind(day["kind"]),
                    reason=str(day["reason"]),
                    legal_reference=str(day["legal_reference"]),
                )
            )
    return schedules, adjustments


@lru_cache(maxsize=1)
def shipped_schedules() -> tuple[dict[int, YearSchedule], tuple[Adjustment, ...]]:
    """The yearly schedules shipped with the code (``calendar_vn.toml``)."""
    text = resources.files("oncegov.kit").joinpath("calendar_vn.toml").read_text("utf-8")
    schedules, adjustments = parse_schedules(text)
    return schedules, tuple(adjustments)


# --- the calendar ----------------------------------------------------------------------------


@dataclass(slots=True)
class WorkingCalendar:
    """Working days of state agencies; see the module's docstring for the layers."""

    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)
    adjustments: Sequence[Adjustment] = ()
    office_hours: OfficeHours = DEFAULT_OFFICE_HOURS
    _by_day: dict[dt.date, Adjustment] = field(init=False, repr=False)
    _years: dict[int, dict[dt.date, DayStatus]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A later adjustment of the same day wins (administrators' entries come after the
        # shipped data).
        self._by_day = {a.day: a for a in self.adjustments}
        self._years = {}

    @classmethod
    def vietnam(cls, extra: Iterable[Adjustment] = ()) -> WorkingCalendar:
        """The shipped schedules, then ``extra`` (administrators' entries) over them."""
        schedules, shipped = shipped_schedules()
        return cls(schedules=schedules, adjustments=(*shipped, *extra))

    # statutory holidays and their compensation

    def holidays(self, year: int) -> dict[dt.date, str]:
        """The public holidays of ``year`` (Art. 112(1)), with the year's schedule applied."""
        days = dict(package_holidays(year))
        schedule = self.schedules.get(year)
        if schedule and schedule.tet:
            window = _tet_window(year)
            named = {d: n for d, n in days.items() if d in window}
            for day in named:
                del days[day]
            for day in schedule.tet:
                days[day] = named.get(day, "Tết Nguyên Đán")
        if schedule and schedule.national_day:
            for day in [d for d, n in days.items() if n == "Quốc khánh"]:
                del days[day]
            for day in schedule.national_day:
                days[day] = "Quốc khánh"
        return dict(sorted(days.items()))

    def _year(self, year: int) -> dict[dt.date, DayStatus]:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        package_holidays(year)  # refuses a year outside the tables
        statuses: dict[dt.date, DayStatus] = {}
        # Holidays of the year before can compensate into this one (2/9 is far from 1/1, but
        # Tết of the year after is not far from this year's end): compute over three years.
        holidays: dict[dt.date, str] = {}
        for y in (year - 1, year, year + 1):
            if FIRST_YEAR <= y <= LAST_YEAR:
                holidays.update(self.holidays(y))
        compensation: dict[dt.date, str] = {}
        for day, name in sorted(holidays.items()):
            if day.weekday() not in WEEKLY_REST:
                continue
            # Labour Code 2019 Art. 111(3): a weekly rest day that is a holiday is compensated
            # on the next working day.
            candidate = day + dt.timedelta(days=1)
            while (
                candidate.weekday() in WEEKLY_REST
                or candidate in holidays
                or candidate in compensation
            ):
                candidate += dt.timedelta(days=1)
            compensation[candidate] = name
        start = dt.date(year, 1, 1)
        for offset in range((dt.date(year + 1, 1, 1) - start).days):
            day = start + dt.timedelta(days=offset)
            statuses[day] = self._status(day, holidays, compensation)
        self._years[year] = statuses
        return statuses

    def _status(
        self, day: dt.date, holidays: Mapping[dt.date, str], compensation: Mapping[dt.date, str]
    ) -> DayStatus:
        adjustment = self._by_day.get(day)
        if adjustment is not None:
            return DayStatus(
                day,
                adjustment.kind is DayKind.WORK,
                Source.ADJUSTMENT,
                adjustment.reason,
                adjustment.legal_reference,
            )
        if day in holidays:
            return DayStatus(day, False, Source.HOLIDAY, holidays[day], _law(day.year))
        if day in compensation:
            return DayStatus(
                day,
                False,
                Source.COMPENSATION,
                compensation[day],
                "Bộ luật Lao động 2019, Điều 111(3)",
            )
        if day.weekday() in WEEKLY_REST:
            return DayStatus(day, False, Source.WEEKLY_REST, "", "Quyết định 188/1999/QĐ-TTg")
        return DayStatus(day, True, Source.WORKDAY)

    def status(self, day: dt.date) -> DayStatus:
        return self._year(day.year)[day]

    def year_view(self, year: int) -> list[DayStatus]:
        """Every day of ``year`` that is not an ordinary working day or weekend: holidays,
        compensation days and adjustments (including working Saturdays)."""
        return [
            s
            for s in self._year(year).values()
            if s.source not in {Source.WORKDAY, Source.WEEKLY_REST}
        ]

    # the working-day arithmetic

    def is_working_day(self, day: dt.date) -> bool:
        return self.status(day).working

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        candidate = day + dt.timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += dt.timedelta(days=1)
        return candidate

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (``start`` itself for 0)."""
        if n < 0:
            raise ValidationFailed(N_("The number of working days cannot be negative."), field="n")
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """The working days ``d`` with ``a < d <= b`` (negative when ``b`` is before ``a``), so
        that ``working_days_between(d, add_working_days(d, n)) == n``."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(
            1
            for offset in range(1, (b - a).days + 1)
            if self.is_working_day(a + dt.timedelta(days=offset))
        )

    # due dates

    def _local(self, day: dt.date, at: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, at, tzinfo=clock.zone()).astimezone(dt.UTC)

    def counting_starts(self, received: dt.datetime, cutoff: dt.time | None) -> dt.date:
        """The working day a dossier's time limit counts from: the day of receipt, or the next
        working day when it was received on a day off, after the cut-off, or after closing."""
        local = clock.local(received)
        day = local.date()
        # "Received after 15:00": strictly after the cut-off; at or after closing time.
        late = local.time() >= self.office_hours.closes or (
            cutoff is not None and local.time() > cutoff
        )
        if not self.is_working_day(day) or late:
            return self.next_working_day(day)
        return day

    def _paused_days(self, pauses: Sequence[Pause]) -> set[dt.date]:
        # Assumption: a pause (waiting for the applicant's additions) stops the clock on the
        # working days after the day it starts up to and including the day it ends: the day the
        # request for additions is sent counts, the day the additions arrive does not.
        paused: set[dt.date] = set()
        for start, end in pauses:
            first, last = clock.local_day(start), clock.local_day(end)
            day = first + dt.timedelta(days=1)
            while day <= last:
                if self.is_working_day(day):
                    paused.add(day)
                day += dt.timedelta(days=1)
        return paused

    def due(
        self,
        received: dt.datetime,
        time_limit: StatutoryTime,
        *,
        cutoff: dt.time | None = None,
        pauses: Sequence[Pause] = (),
    ) -> Due:
        """When the result is due for a complete dossier received at ``received`` (aware)."""
        if received.tzinfo is None:
            raise ValidationFailed(
                N_("The time of receipt must carry its time zone."), field="received"
            )
        for start, end in pauses:
            if end < start:
                raise ValidationFailed(N_("A pause cannot end before it starts."), field="pauses")
        if time_limit.unit is Unit.WORKING_HOURS:
            return self._due_in_hours(received, time_limit.amount, cutoff, pauses)
        day = self.counting_starts(received, cutoff)
        if time_limit.unit is Unit.WORKING_DAYS:
            paused = self._paused_days(pauses)
            remaining = time_limit.amount
            while remaining:
                day = self.next_working_day(day)
                if day not in paused:
                    remaining -= 1
        return Due(day, self._local(day, self.office_hours.closes))

    def _due_in_hours(
        self, received: dt.datetime, hours: int, cutoff: dt.time | None, pauses: Sequence[Pause]
    ) -> Due:
        start_day = self.counting_starts(received, cutoff)
        moment = clock.aware(received)
        if start_day != clock.local_day(received):
            moment = self._local(start_day, self.office_hours.opens)
        remaining = dt.timedelta(hours=hours)
        stops = sorted((clock.aware(s), clock.aware(e)) for s, e in pauses)
        day = start_day
        while True:
            if self.is_working_day(day):
                for opens, closes in self.office_hours.periods:
                    begin = max(self._local(day, opens), moment)
                    end = self._local(day, closes)
                    for piece_begin, piece_end in _without(begin, end, stops):
                        length = piece_end - piece_begin
                        if length >= remaining:
                            at = piece_begin + remaining
                            return Due(clock.local_day(at), at)
                        remaining -= length
            day += dt.timedelta(days=1)
            if remaining == dt.timedelta(0):
                # Zero hours: due at the moment counting starts.
                return Due(clock.local_day(moment), moment)


def _without(
    begin: dt.datetime, end: dt.datetime, stops: Sequence[Pause]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[begin, end)`` less the ``stops`` (sorted), as the pieces that remain."""
    pieces: list[tuple[dt.datetime, dt.datetime]] = []
    cursor = begin
    for stop_begin, stop_end in stops:
        if stop_end <= cursor or stop_begin >= end:
            continue
        if stop_begin > cursor:
            pieces.append((cursor, stop_begin))
        cursor = max(cursor, stop_end)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


def _law(year: int) -> str:
    if year >= 2021:
        return "Bộ luật Lao động 2019, Điều 112"
    return "Bộ luật Lao động 2012, Điều 115"
