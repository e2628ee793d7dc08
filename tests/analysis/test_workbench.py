"""Unsubmitted reports and open action items appear on their owners' workbench until done."""

from __future__ import annotations

import datetime as dt

from analysis import services
from integrity_portal.core.workbench import workbench_for

from .conftest import CITY, JIEFANG, MONTH, ZHONGZHAN


def _mine(user, kind, today):
    return [i for i in workbench_for(user, today=today).items if i.kind == kind]


def test_a_draft_is_on_its_districts_workbench_overdue_after_the_25th(drafted, district_staff, district_head):
    [item] = _mine(district_staff, "monthly_report", MONTH.replace(day=21))
    assert (item.region_code, item.due_on, item.overdue) == (JIEFANG, dt.date(2026, 11, 25), False)
    [late] = _mine(district_staff, "monthly_report", MONTH.replace(day=26))
    assert late.overdue and late.due_words == "超期 1 日"
    report = drafted[JIEFANG]
    services.monthly_report_edit(report=report, analysis="分析", measures="措施", actor=district_staff)
    services.monthly_report_submit(report=report, actor=district_head)
    assert _mine(district_staff, "monthly_report", MONTH.replace(day=26)) == []


def test_the_city_sees_every_districts_unsubmitted_report(drafted, city_staff):
    codes = {i.region_code for i in _mine(city_staff, "monthly_report", MONTH.replace(day=21))}
    assert {CITY, JIEFANG, ZHONGZHAN} <= codes and "411002" not in codes


def test_open_action_items_are_on_the_owners_workbench_until_done(drafted, regions, city_staff, district_staff,
                                                                  other_district_staff, on_day):
    on_day(dt.date(2026, 11, 28))
    meeting = services.meeting_record(
        region=regions[CITY], held_on=dt.date(2026, 11, 28), year=2026, quarter=4, attendees="市商务局：张三",
        minutes="纪要", actor=city_staff,
    )
    item = services.action_item_add(
        meeting=meeting, description="专项检查", owner_region=regions[JIEFANG], owner_unit="解放区分局",
        deadline=dt.date(2026, 12, 31), actor=city_staff,
    )
    today = dt.date(2026, 12, 1)
    [shown] = _mine(district_staff, "action_item", today)
    assert shown.reference == "解放区分局" and shown.due_on == dt.date(2026, 12, 31)
    assert _mine(other_district_staff, "action_item", today) == []
    services.action_item_done(item=item, note="已完成", actor=district_staff)
    assert _mine(district_staff, "action_item", today) == []
