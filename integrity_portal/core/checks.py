"""System checks of data the portal cannot run correctly without (``manage.py check``)."""

from __future__ import annotations

from datetime import date

from django.core.checks import Warning
from django.db import DatabaseError
from django.utils.translation import gettext as _


def holiday_schedule_check(app_configs=None, today: date | None = None, **kwargs) -> list[Warning]:
    """core.W001: next year has no official schedule (from 1 November); core.W002: this year has none.

    Deadlines counted into such a year are Monday–Friday and provisional until the bureau
    enters the State Council's notice. The check reads the database even without
    ``--database`` (the warning is the point of running it); a database that is not
    reachable or not migrated yet is not this check's concern and yields nothing.
    """
    from .workdays import missing_schedule_years
    from .workdays import today as current_day

    if not _database_exists():
        return []
    on = today or current_day()
    try:
        missing = missing_schedule_years(on)
    except DatabaseError:
        return []
    warnings = []
    for year in missing:
        current = year == on.year
        warnings.append(
            Warning(
                _("%(year)s 年的法定节假日安排尚未录入：该年度的期限按周一至周五计算，标为“暂定”。")
                % {"year": year},
                hint=_(
                    "请超级管理员根据国务院办公厅通知在管理后台录入，或运行 "
                    "manage.py load_holidays 文件 --year %(year)s。"
                )
                % {"year": year},
                id="core.W002" if current else "core.W001",
            )
        )
    return warnings


def _database_exists() -> bool:
    """False for a SQLite file that is not there yet: connecting would create an empty one."""
    import os

    from django.db import connection

    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name and ":memory:" not in name and "mode=memory" not in name:
        return os.path.exists(name)
    return True
