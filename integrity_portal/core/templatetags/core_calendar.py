"""``{% holiday_schedule_banner %}``: tells staff, on every admin page, which year lacks its official schedule.

A template tag rather than a context processor, so only admin pages pay for it; the
years come from the cached calendar (``core.workdays``), not a query per page.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from ..workdays import missing_schedule_years, year_calendar

register = template.Library()


@register.simple_tag(takes_context=True)
def holiday_schedule_banner(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return ""
    # year_calendar warms the in-process cache, so schedule_known answers without a query next time.
    missing = [y for y in missing_schedule_years() if year_calendar(y) is None]
    if not missing:
        return ""
    # The admin's own warning style (no inline style: the CSP allows none).
    items = format_html_join(
        "",
        '<li class="warning holiday-schedule-banner" role="alert">{}</li>',
        (
            (
                format_html(
                    "{}",
                    _(
                        "%(year)s 年的法定节假日安排尚未录入：期限暂按周一至周五计算并标为“暂定”。"
                        "请超级管理员根据国务院办公厅通知录入。"
                    )
                    % {"year": year},
                ),
            )
            for year in missing
        ),
    )
    return format_html('<ul class="messagelist">{}</ul>', items)
