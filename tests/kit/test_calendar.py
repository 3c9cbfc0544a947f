"""The working-day calendar: published schedules, the rules, and properties (hypothesis)."""

from __future__ import annotations

import datetime as dt

import lunardate
import pytest
import vnlunar
from hypothesis import given, settings
from hypothesis import strategies as st

from oncegov.errors import ValidationFailed
from oncegov.kit import clock
from oncegov.kit.calendar import (
    Adjustment,
    DayKind,
    Source,
    StatutoryTime,
    WorkingCalendar,
    lunar_new_year,
    package_holidays,
    parse_schedules,
)

CAL = WorkingCalendar.vietnam()
D = dt.date


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def off_run(around: dt.date) -> tuple[dt.date, dt.date]:
    """The run of consecutive days off that contains ``around``."""
    first = last = around
    while not CAL.is_working_day(first - dt.timedelta(days=1)):
        first -= dt.timedelta(days=1)
    while not CAL.is_working_day(last + dt.timedelta(days=1)):
        last += dt.timedelta(days=1)
    return first, last


# The published Tết schedules of state agencies (first and last day off, weekends included).
PUBLISHED_TET = {
    # Sở Công Thương Đắk Lắk, 07/01/2020: from Thursday 23/1 to Wednesday 29/1/2020 (7 days).
    2020: (D(2020, 1, 23), D(2020, 1, 29)),
    # Hànộimới (hanoimoi.vn): 7 days, from 10 to 16/2/2021 (29 Chạp to mùng 5).
    2021: (D(2021, 2, 10), D(2021, 2, 16)),
    # Công văn 245/VPCP-KGVX (11/1/2022): 5 days of Tết and the weekends before and after it.
    2022: (D(2022, 1, 29), D(2022, 2, 6)),
    # Công văn 8056/VPCP-KGVX (1/12/2022): from 20/1 to 26/1/2023.
    2023: (D(2023, 1, 20), D(2023, 1, 26)),
    # Việt Nam News, 5/11/2023 (approved by the Prime Minister): from 8 to 14/2/2024.
    2024: (D(2024, 2, 8), D(2024, 2, 14)),
    # Công văn 8726/VPCP-KGVX (26/11/2024): nine consecutive days, Saturday 25/1 to Sunday 2/2.
    2025: (D(2025, 1, 25), D(2025, 2, 2)),
    # Thông tấn xã Việt Nam, 17/10/2025; Công an TP.HCM: Saturday 14/2 to Sunday 22/2/2026.
    2026: (D(2026, 2, 14), D(2026, 2, 22)),
}


@pytest.mark.parametrize("year", sorted(PUBLISHED_TET))
def test_the_published_tet_schedules(year: int) -> None:
    first, last = PUBLISHED_TET[year]
    assert off_run(lunar_new_year(year)) == (first, last)
    assert not CAL.is_working_day(first)
    assert CAL.is_working_day(first - dt.timedelta(days=1)) or first.weekday() == 0


# Other published holiday runs: Quốc khánh and 30/4–1/5.
PUBLISHED_RUNS = [
    (D(2021, 9, 2), D(2021, 9, 2), D(2021, 9, 5)),  # Hànộimới: 4 days for Quốc khánh 2021
    (D(2023, 9, 2), D(2023, 9, 1), D(2023, 9, 4)),  # Công văn 8056/VPCP-KGVX
    (D(2024, 9, 2), D(2024, 8, 31), D(2024, 9, 3)),  # Báo Bình Thuận / Việt Nam News
    (D(2025, 9, 2), D(2025, 8, 30), D(2025, 9, 2)),  # Công văn 8726/VPCP-KGVX
    (D(2024, 4, 30), D(2024, 4, 27), D(2024, 5, 1)),  # Công văn 2450/VPCP-KGVX (12/4/2024)
    (D(2025, 4, 30), D(2025, 4, 30), D(2025, 5, 4)),  # Công văn 8726/VPCP-KGVX
    (D(2023, 1, 1), D(2022, 12, 31), D(2023, 1, 2)),  # 1/1/2023 a Sunday: Monday 2/1 off
]


@pytest.mark.parametrize(("inside", "first", "last"), PUBLISHED_RUNS)
def test_other_published_holiday_runs(inside: dt.date, first: dt.date, last: dt.date) -> None:
    assert off_run(inside) == (first, last)


def test_2025_swap_friday_2_may_off_saturday_26_april_worked() -> None:
    assert not CAL.is_working_day(D(2025, 5, 2))
    assert CAL.is_working_day(D(2025, 4, 26))
    assert CAL.status(D(2025, 4, 26)).source is Source.ADJUSTMENT
    assert "8726/VPCP-KGVX" in CAL.status(D(2025, 5, 2)).legal_reference


def test_a_holiday_on_a_weekly_rest_day_is_compensated_on_the_next_working_day() -> None:
    # Giỗ Tổ Hùng Vương 2026 (10/3 lunar) is Sunday 26/4: Monday 27/4 is off.
    assert D(2026, 4, 26) in CAL.holidays(2026)
    status = CAL.status(D(2026, 4, 27))
    assert status.source is Source.COMPENSATION and not status.working
    assert CAL.is_working_day(D(2026, 4, 28))
    # Two holidays on a weekend (30/4 and 1/5/2022): Monday and Tuesday are off.
    assert [CAL.status(d).source for d in days(D(2022, 5, 2), D(2022, 5, 3))] == [
        Source.COMPENSATION,
        Source.COMPENSATION,
    ]
    assert CAL.is_working_day(D(2022, 5, 4))


@pytest.mark.parametrize("year", range(2021, 2031))
def test_article_112_gives_eleven_holidays_a_year(year: int) -> None:
    # Labour Code 2019 Art. 112(1): 1 + 5 + 1 + 1 + 2 + 1 days (Ngày Văn hóa 24/11 left out).
    assert len(CAL.holidays(year)) == 11
    assert D(year, 11, 24) not in CAL.holidays(year)


def test_2020_had_ten_holidays_under_the_labour_code_2012() -> None:
    assert len(CAL.holidays(2020)) == 10  # Quốc khánh was one day (Art. 115)


@pytest.mark.parametrize("year", range(2020, 2031))
def test_tet_of_the_package_agrees_with_an_independent_vietnamese_lunar_computation(
    year: int,
) -> None:
    day, month, lunar_year = vnlunar.convert_lunar_to_solar(1, 1, year, 0, 7.0) or (0, 0, 0)
    assert lunar_new_year(year) == D(lunar_year, month, day)
    # Giỗ Tổ Hùng Vương, 10/3 lunar, too.
    day, month, lunar_year = vnlunar.convert_lunar_to_solar(10, 3, year, 0, 7.0) or (0, 0, 0)
    assert D(lunar_year, month, day) in package_holidays(year)


def test_vietnam_at_utc_plus_7_can_differ_from_the_chinese_calendar() -> None:
    # The Chinese calendar (UTC+8) puts New Year 2030 on 3 February; Vietnam's on 2 February.
    assert lunardate.LunarDate(2030, 1, 1).to_solar_date() == D(2030, 2, 3)
    assert lunar_new_year(2030) == D(2030, 2, 2)
    # And 1985 by a month (a different leap month).
    assert lunardate.LunarDate(1985, 1, 1).to_solar_date() == D(1985, 2, 20)
    assert vnlunar.convert_lunar_to_solar(1, 1, 1985, 0, 7.0) == (21, 1, 1985)


def test_an_administrators_adjustment_wins_over_everything() -> None:
    extra = [
        Adjustment(D(2027, 1, 1), DayKind.WORK, "test", "test ref"),
        Adjustment(D(2027, 3, 3), DayKind.OFF, "test", "test ref"),
    ]
    cal = WorkingCalendar.vietnam(extra)
    assert cal.is_working_day(D(2027, 1, 1)) and not cal.is_working_day(D(2027, 3, 3))
    assert not CAL.is_working_day(D(2027, 1, 1))


def test_schedule_data_is_checked() -> None:
    with pytest.raises(ValueError, match="tet"):
        parse_schedules("[[year]]\nyear = 2030\ntet = [2030-02-01]\n")


def test_years_outside_the_tables_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        CAL.is_working_day(D(1990, 1, 1))


# --- working days and due dates -----------------------------------------------------------------


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.zone()).astimezone(dt.UTC)


def test_add_working_days_skips_tet_2025() -> None:
    # Friday 24/1/2025 + 1 working day: Monday 3/2 (25/1 to 2/2 off).
    assert CAL.add_working_days(D(2025, 1, 24), 1) == D(2025, 2, 3)
    assert CAL.working_days_between(D(2025, 1, 24), D(2025, 2, 3)) == 1


def test_due_in_working_days_with_the_cutoff() -> None:
    # Received Thursday 24/4/2025 at 10:00, 3 working days: Fri 25, Sat 26 (làm bù), Mon 28.
    before = CAL.due(at(D(2025, 4, 24), 10), StatutoryTime.days(3), cutoff=dt.time(15))
    assert before.day == D(2025, 4, 28)
    assert before.at == at(D(2025, 4, 28), 17)
    # At 15:30 it counts from Friday 25/4: Sat 26, Mon 28, Tue 29.
    after = CAL.due(at(D(2025, 4, 24), 15, 30), StatutoryTime.days(3), cutoff=dt.time(15))
    assert after.day == D(2025, 4, 29)
    # At 15:00 exactly it is not after the cut-off.
    on_the_dot = CAL.due(at(D(2025, 4, 24), 15), StatutoryTime.days(3), cutoff=dt.time(15))
    assert on_the_dot.day == D(2025, 4, 28)
    # No cut-off: only after closing time does it move.
    assert CAL.due(at(D(2025, 4, 24), 15, 30), StatutoryTime.days(3)).day == D(2025, 4, 28)


def test_due_same_day_and_in_hours() -> None:
    assert CAL.due(at(D(2025, 4, 24), 9), StatutoryTime.same_day()).day == D(2025, 4, 24)
    # 8 working hours from Thursday 24/4/2025 10:00: 2 h + 4 h that day, then 2 h on Friday.
    due = CAL.due(at(D(2025, 4, 24), 10), StatutoryTime.hours(8))
    assert due.at == at(D(2025, 4, 25), 10)
    # Received Friday 25/4 at 16:00 with a 15:00 cut-off: counting starts Saturday 26/4 08:00
    # (a working Saturday); 4 hours: 12:00 that day.
    due = CAL.due(at(D(2025, 4, 25), 16), StatutoryTime.hours(4), cutoff=dt.time(15))
    assert due.at == at(D(2025, 4, 26), 12)


def test_pauses_stop_the_clock() -> None:
    received = at(D(2025, 3, 3), 9)  # Monday
    plain = CAL.due(received, StatutoryTime.days(5))
    assert plain.day == D(2025, 3, 10)
    # Additions asked on Tuesday 4/3, received Thursday 6/3: Wed and Thu do not count.
    paused = CAL.due(
        received, StatutoryTime.days(5), pauses=[(at(D(2025, 3, 4), 10), at(D(2025, 3, 6), 9))]
    )
    assert paused.day == D(2025, 3, 12)
    # In hours: a pause of one hour adds one hour.
    hours = CAL.due(
        received, StatutoryTime.hours(4), pauses=[(at(D(2025, 3, 3), 10), at(D(2025, 3, 3), 11))]
    )
    assert hours.at == at(D(2025, 3, 3), 15)  # 9–10, 11–12, 13–15


def test_bad_input_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as error:
        CAL.due(dt.datetime(2025, 3, 3, 9), StatutoryTime.days(1))  # noqa: DTZ001
    assert error.value.field == "received"
    with pytest.raises(ValidationFailed) as error:
        StatutoryTime.days(-1)
    assert error.value.field == "amount"
    with pytest.raises(ValidationFailed) as error:
        CAL.due(
            at(D(2025, 3, 3), 9),
            StatutoryTime.days(1),
            pauses=[(at(D(2025, 3, 4), 9), at(D(2025, 3, 3), 9))],
        )
    assert error.value.field == "pauses"


# --- properties ---------------------------------------------------------------------------------

DAYS = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))
N = st.integers(min_value=0, max_value=400)


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(min_value=1, max_value=400))
def test_add_working_days_lands_on_a_working_day(start: dt.date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))


@settings(max_examples=200, deadline=None)
@given(DAYS, N)
def test_working_days_between_inverts_add_working_days(start: dt.date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@settings(max_examples=200, deadline=None)
@given(DAYS, N, N)
def test_add_working_days_is_monotonic(start: dt.date, n: int, m: int) -> None:
    low, high = sorted((n, m))
    assert CAL.add_working_days(start, low) <= CAL.add_working_days(start, high)
    if low < high:
        assert CAL.add_working_days(start, low) < CAL.add_working_days(start, high)


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=60), st.integers(min_value=15, max_value=23))
def test_after_the_cutoff_equals_receipt_the_next_working_day(
    day: dt.date, n: int, hour: int
) -> None:
    late = CAL.due(at(day, hour, 30), StatutoryTime.days(n), cutoff=dt.time(15))
    next_morning = CAL.due(
        at(CAL.next_working_day(day), 9), StatutoryTime.days(n), cutoff=dt.time(15)
    )
    assert late == next_morning


@settings(max_examples=200, deadline=None)
@given(
    DAYS, st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=20), st.data()
)
def test_a_pause_of_k_working_days_shifts_the_due_date_by_k(
    day: dt.date, n: int, k: int, data: st.DataObject
) -> None:
    received = at(day, 9)
    plain = CAL.due(received, StatutoryTime.days(n))
    start = CAL.counting_starts(received, None)
    # The pause begins on a day the clock runs (before the due day) and covers k working days.
    begin = CAL.add_working_days(start, data.draw(st.integers(min_value=0, max_value=n - 1)))
    end = CAL.add_working_days(begin, k)
    paused = CAL.due(received, StatutoryTime.days(n), pauses=[(at(begin, 10), at(end, 10))])
    assert paused.day == CAL.add_working_days(plain.day, k)


@settings(max_examples=100, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=40))
def test_due_in_hours_falls_within_office_hours_of_a_working_day(day: dt.date, n: int) -> None:
    due = CAL.due(at(day, 9), StatutoryTime.hours(n))
    local = clock.local(due.at)
    if n:
        assert CAL.is_working_day(local.date())
        assert dt.time(8) < local.time() <= dt.time(17)
