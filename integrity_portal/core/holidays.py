"""The official holiday calendar as data the portal owns (``HolidaySchedule``): validation, loading, filling.

Why not ask ``chinesecalendar`` at run time: the package is released weeks after the
State Council's notice (1.11 has no 2027), and until then it silently counts 1 January and
the Spring Festival as working days. The schedule of a year is therefore a row here,
entered by a superuser (admin), loaded from the notice as a CSV file
(``manage.py load_holidays``), or copied from ``chinesecalendar`` for the years it covers
(``manage.py sync_holidays_from_chinesecalendar``, and lazily by ``core.workdays`` the
first time a covered year is needed, so a fresh database — or a test — never lacks them).

Entering a schedule notifies the listeners the apps register (``register_schedule_listener``):
the complaints app recomputes the provisional deadlines that reach into that year.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .actors import acting_user
from .audit import AuditAction, audit_log
from .errors import ValidationFailed
from .models import HolidayDayKind, HolidaySchedule, HolidayScheduleDay, HolidayScheduleSource

logger = logging.getLogger(__name__)

MAX_FILE_ROWS = 400  # a year has at most 366 days; anything longer is not a schedule
NAME_MAX = 40
NOTICE_NUMBER_MAX = 80
KIND_ALIASES = {
    "holiday": HolidayDayKind.HOLIDAY,
    "放假": HolidayDayKind.HOLIDAY,
    "休": HolidayDayKind.HOLIDAY,
    "workday": HolidayDayKind.WORKDAY,
    "调休上班": HolidayDayKind.WORKDAY,
    "上班": HolidayDayKind.WORKDAY,
    "班": HolidayDayKind.WORKDAY,
}


@dataclass(frozen=True)
class ScheduleDay:
    date: date
    kind: str
    name: str = ""


# ---------------------------------------------------------------------------------------------
# Listeners: apps react to a newly entered schedule (core imports no app).
# ---------------------------------------------------------------------------------------------
_listeners: dict[str, Callable] = {}


def register_schedule_listener(name: str, fn: Callable) -> None:
    """``fn(*, year: int, actor) -> int`` runs after a schedule of ``year`` is entered; returns a count."""
    _listeners[name] = fn


def _notify_listeners(year: int, actor: User | None) -> dict[str, int]:
    return {name: fn(year=year, actor=actor) for name, fn in sorted(_listeners.items())}


# ---------------------------------------------------------------------------------------------
# chinesecalendar: only the years it really has.
# ---------------------------------------------------------------------------------------------
def chinesecalendar_years() -> range:
    """The years ``chinesecalendar`` has data for (the same bounds its own date check uses)."""
    from chinese_calendar.constants import holidays

    years = [d.year for d in holidays]
    return range(min(years), max(years) + 1)


def chinesecalendar_days(year: int) -> list[ScheduleDay]:
    """The package's holidays and make-up days of ``year``; refuses a year outside its range.

    The range is checked first, so the package is never asked about a year it would
    refuse (it raises for those) and nothing is ever made up.
    """
    if year not in chinesecalendar_years():
        raise ValidationFailed(_("chinesecalendar 没有 %(year)s 年的节假日数据。") % {"year": year})
    from chinese_calendar.constants import Holiday, holidays, workdays

    def label(value: str) -> str:
        try:
            return Holiday(value).chinese
        except ValueError:
            return value[:NAME_MAX]

    days = [ScheduleDay(d, HolidayDayKind.HOLIDAY, label(v)) for d, v in holidays.items() if d.year == year]
    days += [ScheduleDay(d, HolidayDayKind.WORKDAY, label(v)) for d, v in workdays.items() if d.year == year]
    return sorted(days, key=lambda d: d.date)


# ---------------------------------------------------------------------------------------------
# Validation: one rule set for the admin, the file loader and the package.
# ---------------------------------------------------------------------------------------------
def _day_errors(year: int, day: ScheduleDay, seen: set[date]) -> list[str]:
    errors = []
    if day.date.year != year:
        errors.append(_("%(date)s 不在 %(year)s 年度内。") % {"date": day.date, "year": year})
    if day.date in seen:
        errors.append(_("%(date)s 重复出现。") % {"date": day.date})
    seen.add(day.date)
    if day.kind not in HolidayDayKind.values:
        errors.append(_("%(date)s 的类型无效。") % {"date": day.date})
    elif day.kind == HolidayDayKind.WORKDAY and day.date.weekday() < 5:
        errors.append(_("%(date)s 是周一至周五，不能作为调休上班日。") % {"date": day.date})
    if len(day.name) > NAME_MAX or "\x00" in day.name:
        errors.append(_("%(date)s 的节日名称无效（最多 %(n)s 个字）。") % {"date": day.date, "n": NAME_MAX})
    return errors


def schedule_errors(year: int, days: Iterable[ScheduleDay]) -> list[str]:
    """Everything wrong with a year's days, as translated one-line messages (empty when valid)."""
    days = list(days)
    seen: set[date] = set()
    errors = [e for day in days for e in _day_errors(year, day, seen)]
    if not errors and not any(d.kind == HolidayDayKind.HOLIDAY for d in days):
        errors.append(_("%(year)s 年的安排中没有放假日期。") % {"year": year})
    return errors


def parse_schedule_csv(text: str, *, year: int | None = None) -> tuple[int, list[ScheduleDay]]:
    """Read ``date,kind,name`` rows (header required) into a year and its days.

    Raises ValidationFailed with one line naming the first problem and its line number;
    nothing is written by this function, so a bad file changes nothing.
    """
    if "\x00" in text:
        raise ValidationFailed(_("文件包含空字符（NUL），不是文本格式的 CSV。"))
    lines = text.lstrip("\ufeff").splitlines()
    if len(lines) > MAX_FILE_ROWS + 1:
        raise ValidationFailed(_("文件行数过多（最多 %(n)s 行）。") % {"n": MAX_FILE_ROWS})
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:3] != ["date", "kind", "name"] or len(header) > 3:
        raise ValidationFailed(_("第 1 行：表头必须是 date,kind,name。"))
    days: list[ScheduleDay] = []
    seen: set[date] = set()
    for row in reader:
        lineno = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) not in (2, 3):
            raise ValidationFailed(_("第 %(line)s 行：应为 date,kind,name 三列。") % {"line": lineno})
        raw_date, raw_kind = row[0].strip(), row[1].strip()
        name = row[2].strip() if len(row) == 3 else ""
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            raise ValidationFailed(
                _("第 %(line)s 行：日期 “%(value)s” 无效，应为 YYYY-MM-DD。")
                % {"line": lineno, "value": raw_date[:20]}
            ) from None
        kind = KIND_ALIASES.get(raw_kind.lower())
        if kind is None:
            raise ValidationFailed(
                _("第 %(line)s 行：类型 “%(value)s” 无效，应为 holiday 或 workday。")
                % {"line": lineno, "value": raw_kind[:20]}
            )
        year = year or day.year
        entry = ScheduleDay(day, kind, name)
        errors = _day_errors(year, entry, seen)
        if errors:
            raise ValidationFailed(_("第 %(line)s 行：%(error)s") % {"line": lineno, "error": errors[0]})
        days.append(entry)
    if not days or year is None:
        raise ValidationFailed(_("文件中没有日期。"))
    errors = schedule_errors(year, days)
    if errors:
        raise ValidationFailed(errors[0])
    return year, sorted(days, key=lambda d: d.date)


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------
def _snapshot(schedule: HolidaySchedule | None) -> dict:
    if schedule is None:
        return {}
    return {
        "notice_number": schedule.notice_number,
        "notice_date": str(schedule.notice_date or ""),
        "source": schedule.source,
        "days": [
            [str(d), k, n] for d, k, n in schedule.days.order_by("date").values_list("date", "kind", "name")
        ],
    }


def _after_entry(year: int, actor: User | None) -> dict[str, int]:
    from . import workdays

    workdays.invalidate_calendar_cache()
    transaction.on_commit(workdays.invalidate_calendar_cache)
    return _notify_listeners(year, actor)


def holiday_schedule_replace(
    *,
    year: int,
    days: list[ScheduleDay],
    source: str,
    actor: User | None,
    notice_number: str = "",
    notice_date: date | None = None,
) -> tuple[HolidaySchedule, dict[str, int]]:
    """Enter (or replace) the whole schedule of ``year`` in one transaction, audited.

    Returns the schedule and, per listener, how many items it updated (e.g. recomputed
    provisional complaint deadlines).
    """
    errors = schedule_errors(year, days)
    if len(notice_number) > NOTICE_NUMBER_MAX or "\x00" in notice_number:
        errors.append(_("通知文号无效（最多 %(n)s 个字符）。") % {"n": NOTICE_NUMBER_MAX})
    if source not in HolidayScheduleSource.values:
        errors.append(_("来源无效。"))
    if errors:
        raise ValidationFailed(errors[0], details={"errors": errors})
    user = acting_user(actor)
    with transaction.atomic():
        schedule = HolidaySchedule.objects.select_for_update().filter(year=year).first()
        previous = _snapshot(schedule)
        if schedule is None:
            schedule = HolidaySchedule.objects.create(
                year=year,
                notice_number=notice_number,
                notice_date=notice_date,
                source=source,
                entered_by=user,
            )
        else:
            schedule.notice_number, schedule.notice_date = notice_number, notice_date
            schedule.source, schedule.entered_by = source, user
            schedule.save(
                update_fields=["notice_number", "notice_date", "source", "entered_by", "entered_at"]
            )
            schedule.days.all().delete()
        HolidayScheduleDay.objects.bulk_create(
            HolidayScheduleDay(schedule=schedule, date=d.date, kind=d.kind, name=d.name) for d in days
        )
        audit_log(
            actor=actor,
            action=AuditAction.HOLIDAY_SCHEDULE_REPLACED if previous else AuditAction.HOLIDAY_SCHEDULE_LOADED,
            target=schedule,
            note=f"{year} {notice_number}".strip(),
            data={"year": year, "source": source, "new": _snapshot(schedule), "previous": previous},
        )
        updated = _after_entry(year, actor)
    return schedule, updated


def holiday_schedule_record_admin_entry(
    *, schedule: HolidaySchedule, previous: dict, actor: User | None
) -> dict[str, int]:
    """The admin saved a schedule and its inline days itself: stamp, audit and notify like a file load.

    The inline formset already ran ``schedule_errors`` (the same rules as the loader);
    this re-checks the stored rows so nothing invalid is ever left in place.
    """
    with transaction.atomic():
        schedule = HolidaySchedule.objects.select_for_update().get(pk=schedule.pk)
        days = [ScheduleDay(d, k, n) for d, k, n in schedule.days.values_list("date", "kind", "name")]
        errors = schedule_errors(schedule.year, days)
        if errors:
            raise ValidationFailed(errors[0])
        schedule.source = HolidayScheduleSource.ADMIN
        schedule.entered_by = acting_user(actor)
        schedule.entered_at = timezone.now()
        schedule.save(update_fields=["source", "entered_by", "entered_at"])
        audit_log(
            actor=actor,
            action=AuditAction.HOLIDAY_SCHEDULE_REPLACED if previous else AuditAction.HOLIDAY_SCHEDULE_LOADED,
            target=schedule,
            note=f"{schedule.year} {schedule.notice_number}".strip(),
            data={
                "year": schedule.year,
                "source": schedule.source,
                "new": _snapshot(schedule),
                "previous": previous,
            },
        )
        return _after_entry(schedule.year, actor)


def holiday_schedule_snapshot(*, year: int) -> dict:
    """The stored schedule of ``year`` as plain data (empty when none), for the audit's "previous"."""
    return _snapshot(HolidaySchedule.objects.filter(year=year).first())


def holiday_schedule_fill_from_chinesecalendar(*, year: int, actor: User | None = None) -> HolidaySchedule | None:
    """Copy ``chinesecalendar``'s data for ``year`` unless the year already has a schedule.

    Returns the new schedule, or None when the year already had one (a schedule entered
    by the bureau is never overwritten by the package). Safe to race: the unique year
    decides, and the loser sees the winner's row.
    """
    days = chinesecalendar_days(year)
    if HolidaySchedule.objects.filter(year=year).exists():
        return None
    try:
        with transaction.atomic():
            schedule = HolidaySchedule.objects.create(
                year=year, source=HolidayScheduleSource.CHINESECALENDAR, entered_by=None
            )
            HolidayScheduleDay.objects.bulk_create(
                HolidayScheduleDay(schedule=schedule, date=d.date, kind=d.kind, name=d.name) for d in days
            )
            # After commit, like any entry: a package upgrade that brings a new year must
            # also correct the provisional deadlines counted before it (not inside the
            # caller's transaction, which may be computing one deadline under a row lock).
            transaction.on_commit(lambda: _notify_listeners(year, actor))
            audit_log(
                actor=actor,
                action=AuditAction.HOLIDAY_SCHEDULE_FILLED,
                target=schedule,
                note=f"{year} chinesecalendar",
                data={"year": year, "source": schedule.source, "days": len(days)},
            )
    except IntegrityError:
        return None
    logger.info("holiday schedule %s filled from chinesecalendar", year)
    return schedule
