"""``manage.py sync_holidays_from_chinesecalendar``: copy the package's years the portal lacks.

Only the years ``chinesecalendar`` itself covers, and never over a year that already
has a schedule (the bureau's entry wins). The same fill also happens lazily the first
time a covered year is needed; this command makes it explicit (after upgrading the
package, or for ``seed_demo``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from integrity_portal.core.holidays import chinesecalendar_years, holiday_schedule_fill_from_chinesecalendar


class Command(BaseCommand):
    help = "把 chinesecalendar 软件包中有数据、而平台尚未录入的年度的节假日安排导入平台。"

    def handle(self, *args, **options):
        years = chinesecalendar_years()
        filled = [y for y in years if holiday_schedule_fill_from_chinesecalendar(year=y)]
        self.stdout.write(
            f"chinesecalendar {years.start}–{years.stop - 1}: "
            + (f"{len(filled)} 个年度已导入（{', '.join(map(str, filled))}）" if filled else "无需导入")
        )
