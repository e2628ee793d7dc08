"""Chinese working-day calendar for legal deadlines (受理 7 working days, 调解 45, 举报 15+15…).

Official holidays and make-up working days (调休) come from the portal's own
``HolidaySchedule`` data (``core.holidays``: entered by a superuser, loaded from the
State Council notice, or copied from ``chinesecalendar`` for the years that package
covers — lazily, the first time such a year is needed). A local ``WorkingDayOverride``
row wins over it. A year with no schedule is counted Monday–Friday, and every
deadline that reaches into it is *provisional* (``add_working_days_ex``): the
callers store that flag and recompute when the schedule is entered.

Schedules are cached per year in-process for ``CACHE_SECONDS``; a save in this process
clears the cache at once, other processes see it within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from .models import HolidayDayKind, HolidaySchedule, HolidayScheduleDay, WorkingDayOverride

CACHE_SECONDS = 60


@dataclass(frozen=True)
class YearCalendar:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]


class WorkingDaysResult(NamedTuple):
    """A computed deadline; ``provisional`` when a counted day fell in a year with no official schedule."""

    date: date
    provisional: bool


_cache: dict[int, tuple[float, YearCalendar | None]] = {}


def invalidate_calendar_cache(*_args, **_kwargs) -> None:
    """Forget every cached year (connected to saves and deletes of schedules and their days)."""
    _cache.clear()


def _load_year(year: int) -> YearCalendar | None:
    from .holidays import chinesecalendar_years, holiday_schedule_fill_from_chinesecalendar

    # Always the primary: a lagging replica must not make a year look missing for CACHE_SECONDS.
    schedules = HolidaySchedule.objects.using(DEFAULT_DB_ALIAS)
    schedule_id = schedules.filter(year=year).values_list("pk", flat=True).first()
    if schedule_id is None and year in chinesecalendar_years():
        holiday_schedule_fill_from_chinesecalendar(year=year)
        schedule_id = schedules.filter(year=year).values_list("pk", flat=True).first()
    if schedule_id is None:
        return None
    days = HolidayScheduleDay.objects.using(DEFAULT_DB_ALIAS).filter(schedule_id=schedule_id)
    rows = list(days.values_list("date", "kind"))
    return YearCalendar(
        year=year,
        holidays=frozenset(d for d, k in rows if k == HolidayDayKind.HOLIDAY),
        workdays=frozenset(d for d, k in rows if k == HolidayDayKind.WORKDAY),
    )


def year_calendar(year: int) -> YearCalendar | None:
    """The official schedule of ``year``, or None when the portal has none (Monday–Friday applies)."""
    now = time.monotonic()
    hit = _cache.get(year)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    calendar = _load_year(year)
    _cache[year] = (now, calendar)
    return calendar


def schedule_known(year: int) -> bool:
    """Whether ``year`` has (or will lazily get) an official schedule; never writes (system checks)."""
    from .holidays import chinesecalendar_years

    hit = _cache.get(year)
    if hit is not None and hit[1] is not None:
        return True
    return (
        year in chinesecalendar_years()
        or HolidaySchedule.objects.using(DEFAULT_DB_ALIAS).filter(year=year).exists()
    )


def missing_schedule_years(on: date | None = None) -> list[int]:
    """Years that need a schedule entered now (``on``, default today): this year, and from 1 November
    the next one too — the State Council publishes it in the autumn, the bureau enters it then."""
    on = on or today()
    years = [on.year] + ([on.year + 1] if (on.month, on.day) >= (11, 1) else [])
    return [y for y in years if not schedule_known(y)]


def _official_is_workday(day: date) -> bool:
    calendar = year_calendar(day.year)
    if calendar is not None:
        if day in calendar.workdays:
            return True
        if day in calendar.holidays:
            return False
    return day.weekday() < 5


def unscheduled_years(start: date | datetime, end: date | datetime) -> list[int]:
    """The years touched by the days in (start, end] that have no official schedule."""
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        return []
    return [y for y in range((start + timedelta(days=1)).year, end.year + 1) if year_calendar(y) is None]


def _overrides(start: date, end: date) -> dict[date, bool]:
    return dict(
        WorkingDayOverride.objects.filter(date__gte=start, date__lte=end).values_list(
            "date", "is_working_day"
        )
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
    end of the Nth working day after the day of receipt. Code that stores a deadline
    uses ``add_working_days_ex`` so it also learns whether the date is provisional.
    """
    return add_working_days_ex(start, days).date


def add_working_days_ex(start: date | datetime, days: int) -> WorkingDaysResult:
    """``add_working_days`` plus whether the result is provisional (a counted year has no schedule)."""
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
    return WorkingDaysResult(current, bool(unscheduled_years(start, current)))


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


def working_days_from(start: date | datetime, ends) -> dict[date, int]:
    """``working_days_between(start, end)`` for each of many ``ends``, with one override query for the
    whole span (a list of deadlines shown at once, e.g. the staff workbench)."""
    start = _as_date(start)
    ends = {_as_date(e) for e in ends if e is not None}
    if not ends:
        return {}
    low, high = min(start, *ends), max(start, *ends)
    overrides = _overrides(low, high)
    cumulative, count, current = {low: 0}, 0, low
    while current < high:
        current += timedelta(days=1)
        flag = overrides.get(current)
        if _official_is_workday(current) if flag is None else flag:
            count += 1
        cumulative[current] = count
    return {end: cumulative[end] - cumulative[start] for end in ends}


def today() -> date:
    return timezone.localdate()


def add_years(day: date, years: int) -> date:
    """The same calendar date ``years`` later (negative: earlier); 29 February becomes 28 February in a
    year without one. Statutory periods in years (three years to complain, a red list's validity, three
    years of commendations) are counted in calendar years, not working days."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
