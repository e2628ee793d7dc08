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


def invalid_index_check(app_configs=None, **kwargs) -> list[Warning]:
    """core.W003: an index a failed ``CREATE INDEX CONCURRENTLY`` left invalid (PostgreSQL).

    PostgreSQL keeps such an index up to date and never reads it, so the queries it was built for scan the table
    without any error anywhere; rerunning the migration or command that builds it drops the leftover and builds
    it again (core/pg_indexes.py). Like the holiday check, it reads the database on every ``check``; one that is
    not reachable yields nothing."""
    from django.db import connection

    from .pg_indexes import invalid_indexes

    if not _database_exists():
        return []
    try:
        names = invalid_indexes(connection)
    except DatabaseError:
        return []
    return [
        Warning(
            _("索引 %(name)s 无效（上次并发创建未完成）：数据库不会使用它，相关查询将扫描全表。")
            % {"name": name},
            hint=_(
                "请重新运行 manage.py migrate 或创建该索引的命令（搜索索引：manage.py rebuild_search_index "
                "--create-index），它们会删除无效索引并重新创建；也可先执行 DROP INDEX CONCURRENTLY %(name)s。"
            )
            % {"name": name},
            id="core.W003",
        )
        for name in names
    ]
