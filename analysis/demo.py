"""Demo data for the analysis app (``manage.py seed_demo``, after the final rating recompute): 焦作市's
monthly reports of last month (解放区's written and submitted, compiled into the city's) and, from the
20th, of this month as drafts; one quarterly meeting of last quarter with an open and a done action item.
Idempotent: what exists is left alone."""

from __future__ import annotations

import datetime as dt

from integrity_portal.core import workdays
from integrity_portal.core.dashboard import add_months

from . import services
from .models import DRAFT_DAY, MonthlyReport, QuarterlyMeeting, ReportStatus

CITY = "410800"
DISTRICT = "410802"


def seed_analysis(*, seed: int, merchant_count: int, stdout) -> None:
    from merchants.models import Region

    city = Region.objects.filter(pk=CITY).first()
    if city is None:
        return
    today = workdays.today()
    regions = [city, *city.children.order_by("code")]
    last_month = add_months(today.replace(day=1), -1)
    months = [last_month] + ([today.replace(day=1)] if today.day >= DRAFT_DAY else [])
    drafted = sum(
        services.monthly_report_draft(region=region, month=month, today=today) is not None
        for month in months
        for region in regions
    )
    report = MonthlyReport.objects.filter(region_id=DISTRICT, month=last_month, status=ReportStatus.DRAFT).first()
    if report is not None:
        services.monthly_report_edit(
            report=report,
            analysis="本月投诉举报总体平稳，餐饮行业价格类投诉有所上升，个别经营者被重复投诉。",
            measures="对重复被投诉经营者开展约谈，联合行业协会开展明码标价提醒告诫。",
            actor=None,
        )
        services.monthly_report_submit(report=report, actor=None)
        services.monthly_report_compile(
            report=MonthlyReport.objects.get(region_id=CITY, month=last_month), actor=None
        )
    if not QuarterlyMeeting.objects.filter(region=city).exists():
        quarter_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        held_on = quarter_start - dt.timedelta(days=10)
        meeting = services.meeting_record(
            region=city,
            held_on=held_on,
            year=held_on.year,
            quarter=(held_on.month - 1) // 3 + 1,
            attendees="市市场监督管理局：局长、信用监管科\n市商务局：市场秩序科\n市文化广电和旅游局：市场管理科",
            minutes="通报本季度打造诚信优质消费环境重点工作落实情况，研判餐饮、旅游行业消费风险，部署下季度任务。",
            reports=MonthlyReport.objects.filter(region=city),
            actor=None,
        )
        district = city.children.get(pk=DISTRICT)
        services.action_item_add(
            meeting=meeting, description="开展餐饮行业明码标价专项检查", owner_region=district,
            owner_unit="解放区市场监管局", deadline=held_on + dt.timedelta(days=60), actor=None,
        )
        done = services.action_item_add(
            meeting=meeting, description="组织老字号评选推荐", owner_region=city, owner_unit="市商务局",
            deadline=held_on + dt.timedelta(days=30), actor=None,
        )
        services.action_item_done(item=done, note="已推荐 3 家老字号参评。", actor=None)
    stdout.write(f"analysis: {drafted} monthly reports drafted\n")
