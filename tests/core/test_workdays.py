from datetime import date

import pytest

from integrity_portal.core.models import WorkingDayOverride
from integrity_portal.core.workdays import (
    add_working_days,
    add_working_days_ex,
    is_working_day,
    working_days_between,
)

pytestmark = pytest.mark.django_db


def test_spring_festival_2026_holidays_are_skipped():
    # Received Friday 13 Feb 2026; Sat 14 Feb is a make-up working day, 15–23 Feb are the holiday.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 7) == date(
        2026, 3, 2
    )  # 14, 24, 25, 26, 27, 28(Sat make-up), 2 Mar


def test_make_up_saturday_counts_and_ordinary_weekend_does_not():
    assert is_working_day(date(2026, 2, 28))  # 调休 Saturday
    assert not is_working_day(date(2026, 3, 1))  # ordinary Sunday
    assert not is_working_day(date(2026, 2, 17))  # 春节


def test_local_override_wins_over_official_calendar():
    WorkingDayOverride.objects.create(date=date(2026, 3, 3), is_working_day=False, reason="地方停电放假")
    assert not is_working_day(date(2026, 3, 3))
    assert add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 4)


def test_working_days_between_is_antisymmetric_and_counts_the_end_day():
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 2)) == 7
    assert working_days_between(date(2026, 3, 2), date(2026, 2, 13)) == -7
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_year_without_a_schedule_falls_back_to_monday_to_friday_and_says_so():
    # chinesecalendar 1.11 has no 2027 data and nobody entered it here: Mon–Fri count, but the result
    # is provisional (it used to be returned as if it were official).
    assert add_working_days(date(2027, 3, 5), 1) == date(2027, 3, 8)  # Fri → Mon
    assert add_working_days_ex(date(2027, 3, 5), 1) == (date(2027, 3, 8), True)
    assert add_working_days_ex(date(2026, 3, 5), 1) == (date(2026, 3, 6), False)


def test_add_years_keeps_the_calendar_date_and_moves_29_february_to_the_28th():
    from integrity_portal.core.workdays import add_years

    assert add_years(date(2026, 12, 1), -3) == date(2023, 12, 1)
    assert add_years(date(2024, 2, 29), -3) == date(2021, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2023, 3, 1), 1) == date(2024, 3, 1)
