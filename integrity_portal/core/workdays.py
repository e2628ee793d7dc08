"""Chinese working-day calendar for legal deadlines (受理 7 working days, 调解 45, 举报 15+15…).

Official holidays and make-up working days (调休) come from ``chinesecalendar``;
a local ``WorkingDayOverride`` row wins over it. For a year the package does not
yet cover, Monday–Friday are working days until the package or an override says
otherwise (the State Council publishes each year's schedule in November).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from django.utils import timezone

from .models import WorkingDayOverride


def _official_is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _overrides(start: date, end: date) -> dict[date, bool]:
    return dict(
        WorkingDayOverride.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_working_day")
    )


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def is_working_day(day: date | datetime) -> bool:
    day = _as_date(day)
    override = _overrides(day, day).get(day)
    return _official_is_workday(day) if override is None else override


def add_working_days(start: date | datetime, days: int) -> date:
    """The date that is ``days`` working days after ``start`` (``start`` itself not counted).

    This is how "within N working days of receipt" is read: the deadline is the
    end of the Nth working day after the day of receipt.
    """
    start = _as_date(start)
    if days < 0:
        raise ValueError("days must be >= 0")
    horizon = start + timedelta(days=days * 3 + 60)
    overrides = _overrides(start, horizon)
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        flag = overrides.get(current)
        if _official_is_workday(current) if flag is None else flag:
            counted += 1
    return current


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``."""
    start, end = _as_date(start), _as_date(end)
    if end < start:
        return -working_days_between(end, start)
    overrides = _overrides(start, end)
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        flag = overrides.get(current)
        if _official_is_workday(current) if flag is None else flag:
            count += 1
    return count


def today() -> date:
    return timezone.localdate()
