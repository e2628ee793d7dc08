"""``manage.py load_holidays FILE [--year Y] [--notice-number N --notice-date D]``: enter a year's schedule.

The bureau types the State Council notice (国务院办公厅关于某年部分节假日安排的通知，例如 2027 年的)
into a CSV file with columns ``date,kind,name`` (kind: ``holiday`` or ``workday`` for a
make-up working day) and loads it here. One transaction, audited; loading a year
again replaces it (audited as a replacement). Provisional deadlines reaching into the
year are recomputed afterwards. A bad file is refused with one line and exit code 1,
and nothing is written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrity_portal.core.errors import DomainError
from integrity_portal.core.holidays import holiday_schedule_replace, parse_schedule_csv
from integrity_portal.core.models import HolidayScheduleSource

MAX_FILE_BYTES = 64 * 1024


class Command(BaseCommand):
    help = "从 CSV 文件（date,kind,name）导入一年的法定节假日安排，替换该年已有的安排。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 文件，UTF-8，表头 date,kind,name")
        parser.add_argument("--year", type=int, default=None, help="年度；不提供时取文件中的年份")
        parser.add_argument("--notice-number", default="", help="通知文号，例如 国办发明电〔2026〕X号")
        parser.add_argument("--notice-date", default=None, help="通知日期 YYYY-MM-DD")

    def handle(self, *args, file, year, notice_number, notice_date, **options):
        path = Path(file)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{file}: 文件过大（最多 {MAX_FILE_BYTES // 1024} KB）。")
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise CommandError(f"{file}: 无法读取：{exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: 不是 UTF-8 编码的文本文件。") from None
        if year is not None and not 1949 <= year <= 2200:
            raise CommandError(f"--year {year}: 年度无效。")
        parsed_notice_date = None
        if notice_date:
            try:
                parsed_notice_date = date.fromisoformat(notice_date)
            except ValueError:
                raise CommandError(f"--notice-date {notice_date[:20]}: 日期无效，应为 YYYY-MM-DD。") from None
        try:
            year, days = parse_schedule_csv(text, year=year)
            if not 1949 <= year <= 2200:
                raise CommandError(f"{file}: 年度 {year} 无效。")
            schedule, updated = holiday_schedule_replace(
                year=year,
                days=days,
                source=HolidayScheduleSource.FILE,
                actor=None,
                notice_number=notice_number.strip(),
                notice_date=parsed_notice_date,
            )
        except DomainError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        holidays = sum(1 for d in days if d.kind == "holiday")
        self.stdout.write(
            self.style.SUCCESS(
                f"{year}: {holidays} 天放假、{len(days) - holidays} 天调休上班已导入"
                + "".join(f"；{name} 重算 {n} 件" for name, n in updated.items())
            )
        )
