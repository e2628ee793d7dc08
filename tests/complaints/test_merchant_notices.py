"""The notices complaints send to merchant members, staff and the complainant (issue #16 item 3): each
event writes exactly the expected notices (recipients, channels, count), once; the daily jobs send
nothing twice; a merchant without an account is counted undeliverable."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.utils import formats, translation

from complaints.models import Complaint, Status
from complaints.notices import notify_merchant_assigned
from complaints.services import (
    complaint_apply_action,
    complaint_assign,
    complaint_merchant_reply,
    complaints_escalate_overdue,
    merchant_odr_enroll,
)
from complaints.services.reminders import complaints_remind_merchant_replies, staff_digest_items_due
from integrity_portal.core import workdays
from notifications.models import Notice, NoticeProfile
from tests.complaints.conftest import (  # noqa: F401
    CITY,
    JIEFANG,
    city_staff,
    district_staff,
    file_complaint,
    inspector,
    member,
    merchant,
    other_district_staff,
)
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 9)  # a working week with no holiday (2026 schedule from chinesecalendar)


def _rows(c, kind):
    return sorted(
        Notice.objects.filter(object_id=str(c.pk), kind=kind).values_list("recipient__username", "channel", "status")
    )


def _assigned(merchant, actor, **kwargs):  # noqa: F811
    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG, **kwargs)
    complaint_apply_action(complaint=c, actor=actor, action="accept")
    complaint_assign(complaint=c, actor=actor, region_code=JIEFANG)
    c.refresh_from_db()
    return c


# --- merchant members ------------------------------------------------------------------------------


def test_assignment_tells_every_member_on_every_channel_with_the_deadline(
    merchant, member, city_staff, on_day  # noqa: F811
):
    on_day(MONDAY)
    c = _assigned(merchant, city_staff)
    assert c.merchant_reply_due_on == workdays.add_working_days(MONDAY, 7) == date(2026, 3, 18)
    # A legal notice: inbox, e-mail and SMS; no number given, so the SMS is counted undeliverable.
    assert _rows(c, "complaint_assigned") == [
        ("shopowner", "email", "queued"),
        ("shopowner", "inbox", "sent"),
        ("shopowner", "sms", "undeliverable"),
    ]
    inbox = Notice.objects.get(kind="complaint_assigned", channel="inbox")
    assert "2026年3月18日" in inbox.subject and "7个工作日" in inbox.body and "测试超市" in inbox.body
    assert "测试王芳" not in inbox.body and c.tracking_code not in inbox.body  # nobody else's data
    assert inbox.link == f"/portal/complaints/{c.pk}/"


def test_a_second_call_for_the_same_assignment_sends_nothing(merchant, member, city_staff):  # noqa: F811
    c = _assigned(merchant, city_staff)
    before = Notice.objects.count()
    notify_merchant_assigned(complaint=c, days=7, actor=None)
    assert Notice.objects.count() == before


def test_a_merchant_without_an_account_is_one_undeliverable_row(city_staff, regions):  # noqa: F811
    lonely = MerchantFactory()
    c = _assigned(lonely, city_staff)
    rows = Notice.objects.filter(object_id=str(c.pk), kind="complaint_assigned")
    assert [(n.recipient, n.status) for n in rows] == [(None, "undeliverable")]


def test_a_member_who_prefers_english_reads_english(merchant, member, city_staff, on_day):  # noqa: F811
    on_day(MONDAY)
    NoticeProfile.objects.create(user=member, language="en", phone="13700001111")
    c = _assigned(merchant, city_staff)
    inbox = Notice.objects.get(object_id=str(c.pk), kind="complaint_assigned", channel="inbox")
    sms = Notice.objects.get(object_id=str(c.pk), kind="complaint_assigned", channel="sms")
    with translation.override("en"):
        due = formats.date_format(date(2026, 3, 18), "DATE_FORMAT")  # the English DATE_FORMAT, not 年月日
    assert inbox.language == "en" and due in inbox.subject and "working days" in inbox.body
    assert sms.status == "queued" and sms.address == "13700001111" and due in sms.body


def test_direct_settlement_tells_the_members_with_the_settlement_deadline(merchant, member, on_day):  # noqa: F811
    on_day(MONDAY)
    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    c = file_complaint(merchant_id=merchant.pk, use_odr=True)
    assert c.status == Status.ODR
    inbox = Notice.objects.get(object_id=str(c.pk), kind="complaint_assigned", channel="inbox")
    assert inbox.recipient == member and "10个工作日" in inbox.body
    assert str(c.merchant_reply_due_on.day) in inbox.subject


def test_the_reminder_goes_two_working_days_before_the_deadline_once(
    merchant, member, city_staff, on_day  # noqa: F811
):
    on_day(MONDAY)
    c = _assigned(merchant, city_staff)  # due Wednesday 18 March
    replied = _assigned(merchant, city_staff)
    complaint_merchant_reply(complaint=replied, actor=member, body="已联系消费者")
    assert complaints_remind_merchant_replies(on=date(2026, 3, 13)) == 0  # Friday: 3 working days left
    assert complaints_remind_merchant_replies(on=date(2026, 3, 16)) == 1  # Monday: 2 working days left
    assert _rows(c, "complaint_reply_due_soon") == [
        ("shopowner", "email", "queued"),
        ("shopowner", "inbox", "sent"),
        ("shopowner", "sms", "undeliverable"),
    ]
    complaints_remind_merchant_replies(on=date(2026, 3, 16))  # the beat runs twice
    complaints_remind_merchant_replies(on=date(2026, 3, 17))  # and the next day
    assert len(_rows(c, "complaint_reply_due_soon")) == 3
    assert _rows(replied, "complaint_reply_due_soon") == []
    assert complaints_remind_merchant_replies(on=date(2026, 3, 19)) == 0  # overdue: the escalation's


# --- staff ------------------------------------------------------------------------------------------


def test_the_district_unit_is_told_of_an_item_assigned_to_it(
    merchant, member, city_staff, district_staff, other_district_staff, inspector  # noqa: F811
):
    c = _assigned(merchant, city_staff)
    rows = Notice.objects.filter(object_id=str(c.pk), kind="staff_item_assigned")
    assert [(n.recipient, n.channel, n.region_code) for n in rows] == [(district_staff, "inbox", JIEFANG)]
    assert c.tracking_code in rows[0].subject and rows[0].link == f"/admin/complaints/complaint/{c.pk}/change/"


def test_the_daily_digest_lists_items_due_the_next_working_day_once_per_person(
    city_staff, district_staff, other_district_staff, inspector, on_day  # noqa: F811
):
    on_day(date(2026, 3, 13))  # a Friday: the next working day is Monday 16 March
    due = file_complaint()
    Complaint.objects.filter(pk=due.pk).update(due_on=date(2026, 3, 16))
    later = file_complaint()
    Complaint.objects.filter(pk=later.pk).update(due_on=date(2026, 3, 17))
    assert staff_digest_items_due(on=date(2026, 3, 13)) == 2  # the district's handler and the city's
    digests = Notice.objects.filter(kind="staff_items_due_tomorrow")
    assert sorted(n.recipient_id for n in digests) == sorted([city_staff.pk, district_staff.pk])
    body = digests[0].body
    assert due.tracking_code in body and later.tracking_code not in body and "1件" in digests[0].subject
    assert staff_digest_items_due(on=date(2026, 3, 13)) == 2  # a second run: the same rows, nothing new
    assert digests.count() == 2


def test_an_escalation_tells_the_unit_it_is_escalated_to_once(city_staff, district_staff, on_day):  # noqa: F811
    on_day(MONDAY)
    c = file_complaint()  # acceptance due in 7 working days
    on_day(date(2026, 3, 19))
    assert complaints_escalate_overdue().escalated == 1
    complaints_escalate_overdue()
    rows = Notice.objects.filter(object_id=str(c.pk), kind="staff_escalation")
    # JIEFANG's supervisor is the city: its handlers are told, not the district's own.
    assert [(n.recipient, n.region_code) for n in rows] == [(city_staff, CITY)]
    assert "受理期限" in rows[0].body


# --- the complainant --------------------------------------------------------------------------------


def test_filing_sends_the_tracking_code_once(regions):
    c = file_complaint(email="wang@example.com")
    rows = Notice.objects.filter(key=f"complaint:{c.pk}:received")
    assert sorted((n.channel, n.address) for n in rows) == [("email", "wang@example.com"), ("sms", "13912345678")]
    sms = rows.get(channel="sms")
    assert c.tracking_code in sms.body and "投诉已登记" in sms.body and settings.SITE_URL in sms.body


def test_an_anonymous_report_sends_nothing_at_filing(regions):
    c = file_complaint(kind="report", anonymous=True, name="", phone="")
    assert not Notice.objects.filter(object_id=str(c.pk)).exists()


def test_a_settlement_proposal_asks_the_complainant_to_decide(merchant, member, city_staff):  # noqa: F811
    c = _assigned(merchant, city_staff)
    plain = complaint_merchant_reply(complaint=c, actor=member, body="已联系")
    offer = complaint_merchant_reply(complaint=c, actor=member, body="愿意退款", proposal="退还二十元")
    reply = Notice.objects.get(key=f"complaint:{c.pk}:merchant_reply:{plain.pk}", channel="sms")
    proposal = Notice.objects.get(key=f"complaint:{c.pk}:proposal:{offer.pk}", channel="sms")
    assert "和解方案" in proposal.body and "确认" in proposal.body and "和解方案" not in reply.body


@pytest.mark.parametrize(
    ("action", "params"),
    [("close_mediated", {"agreement": "退还差价二十元"}), ("terminate", {"termination_reason": "refusal"})],
)
def test_the_closing_notice_invites_the_rating(merchant, member, city_staff, action, params):  # noqa: F811
    c = _assigned(merchant, city_staff)
    complaint_apply_action(complaint=c, actor=city_staff, action="mediate")
    complaint_apply_action(complaint=c, actor=city_staff, action=action, **params)
    c.refresh_from_db()
    sms = Notice.objects.get(key=f"complaint:{c.pk}:{c.status}", channel="sms")
    assert "评价办理情况" in sms.body and f"{settings.SITE_URL}/complaints/track/" in sms.body


def test_the_daily_jobs_are_in_the_beat_schedule_and_run_their_services(monkeypatch):
    from celery.schedules import crontab

    from complaints import tasks
    from complaints.services import reminders

    schedule = settings.BEAT_DEFAULT_SCHEDULE
    assert schedule["remind-merchant-replies"] == {
        "task": "complaints.tasks.remind_merchant_replies",
        "schedule": crontab(hour=8, minute=30),
    }
    assert schedule["digest-items-due"] == {
        "task": "complaints.tasks.digest_items_due",
        "schedule": crontab(hour=8, minute=15),
    }
    monkeypatch.setattr(reminders, "complaints_remind_merchant_replies", lambda: 3)
    monkeypatch.setattr(reminders, "staff_digest_items_due", lambda: 4)
    assert tasks.remind_merchant_replies.apply().result == 3
    assert tasks.digest_items_due.apply().result == 4
