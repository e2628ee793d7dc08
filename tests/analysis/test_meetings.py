"""The quarterly meeting: recorded with attendees by unit and the reports discussed; its action items
open until the owner reports them done; audited; scoped to the owner's region."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from analysis import services
from analysis.audit_actions import AuditAction
from analysis.models import ActionItemStatus
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.models import AuditEntry

from .conftest import CITY, JIEFANG, ZHONGZHAN

HELD = dt.date(2026, 11, 28)


@pytest.fixture
def meeting(drafted, regions, city_staff, on_day):
    on_day(HELD)
    return services.meeting_record(
        region=regions[CITY], held_on=HELD, year=2026, quarter=4,
        attendees="市市场监督管理局：王局长、李科长\n市商务局：张三\n\n解放区分局: 赵六",
        minutes="通报第四季度重点工作落实情况，部署下季度任务。",
        reports=[drafted[CITY], drafted[JIEFANG]], actor=city_staff,
    )


def test_a_meeting_keeps_attendees_by_unit_and_the_reports_discussed(meeting, drafted, city_staff):
    assert meeting.attendee_units == [
        ("市市场监督管理局", "王局长、李科长"), ("市商务局", "张三"), ("解放区分局", "赵六"),
    ]
    assert set(meeting.reports.all()) == {drafted[CITY], drafted[JIEFANG]}
    assert AuditEntry.objects.filter(action=AuditAction.MEETING_RECORD, object_id=str(meeting.pk)).count() == 1


def test_a_meeting_needs_units_minutes_and_reports_of_its_region(drafted, regions, district_staff, on_day):
    on_day(HELD)
    base = dict(region=regions[JIEFANG], held_on=HELD, year=2026, quarter=4, minutes="纪要", actor=district_staff)
    with pytest.raises(ValidationFailed):
        services.meeting_record(attendees="  \n", **base)
    with pytest.raises(ValidationFailed):
        services.meeting_record(attendees="解放区分局：赵六", reports=[drafted[ZHONGZHAN]], **base)
    with pytest.raises(NotPermitted):
        services.meeting_record(attendees="x：y", **{**base, "region": regions[ZHONGZHAN]})


def test_action_items_stay_open_until_the_owner_reports_them_done(meeting, regions, city_staff, district_staff,
                                                                   other_district_staff):
    item = services.action_item_add(
        meeting=meeting, description="开展餐饮行业专项检查", owner_region=regions[JIEFANG], owner_unit="解放区分局",
        deadline=dt.date(2026, 12, 31), actor=city_staff,
    )
    assert item.status == ActionItemStatus.OPEN
    with pytest.raises(NotPermitted):
        services.action_item_done(item=item, note="已完成", actor=other_district_staff)
    with pytest.raises(ValidationFailed):
        services.action_item_done(item=item, note="", actor=district_staff)
    services.action_item_done(item=item, note="检查商户 32 户，立案 2 件。", actor=district_staff)
    item.refresh_from_db()
    assert (item.status, item.done_by, item.done_note) == ("done", district_staff, "检查商户 32 户，立案 2 件。")
    assert item.done_at is not None
    entry = AuditEntry.objects.get(action=AuditAction.ACTION_ITEM_DONE, object_id=str(item.pk))
    assert (entry.from_status, entry.to_status) == ("open", "done")
    assert AuditEntry.objects.filter(action=AuditAction.ACTION_ITEM_ADD, object_id=str(item.pk)).exists()


def test_an_owner_outside_the_meetings_region_or_a_deadline_before_it_is_refused(meeting, regions, city_staff):
    with pytest.raises(ValidationFailed):
        services.action_item_add(
            meeting=meeting, description="x", owner_region=regions["411002"], owner_unit="魏都区",
            deadline=dt.date(2026, 12, 31), actor=city_staff,
        )
    with pytest.raises(ValidationFailed):
        services.action_item_add(
            meeting=meeting, description="x", owner_region=regions[JIEFANG], owner_unit="解放区分局",
            deadline=dt.date(2026, 11, 1), actor=city_staff,
        )


def test_a_district_sees_only_its_own_action_items(client, meeting, regions, city_staff, district_staff):
    mine = services.action_item_add(
        meeting=meeting, description="甲", owner_region=regions[JIEFANG], owner_unit="解放区分局",
        deadline=dt.date(2026, 12, 31), actor=city_staff,
    )
    other = services.action_item_add(
        meeting=meeting, description="乙", owner_region=regions[ZHONGZHAN], owner_unit="中站区分局",
        deadline=dt.date(2026, 12, 31), actor=city_staff,
    )
    client.force_login(district_staff)
    listing = client.get(reverse("admin:analysis_actionitem_changelist"))
    assert list(listing.context["cl"].queryset) == [mine]
    assert client.get(reverse("admin:analysis_actionitem_change", args=[other.pk])).status_code == 404
    response = client.post(reverse("admin:analysis_actionitem_decide", args=[mine.pk, "done"]), {"reason": "已办结"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == ActionItemStatus.DONE


def test_the_city_records_a_meeting_in_the_admin(client, drafted, regions, city_staff, on_day):
    from analysis.models import QuarterlyMeeting

    on_day(HELD)
    client.force_login(city_staff)
    url = reverse("admin:analysis_quarterlymeeting_add")
    data = {
        "region": CITY, "held_on": "2026-11-28", "year": "2026", "quarter": "4",
        "attendees": "市商务局：张三", "minutes": "纪要", "reports": [drafted[JIEFANG].pk],
    }
    bad = client.post(url, {**data, "attendees": ""})
    assert bad.status_code == 200 and not QuarterlyMeeting.objects.exists()
    assert client.post(url, data).status_code == 302
    meeting = QuarterlyMeeting.objects.get()
    assert list(meeting.reports.all()) == [drafted[JIEFANG]]
