"""Notices to merchants' members about campaigns and PSA reminders (issue #16 item 3, campaigns/notices.py).

A review sends exactly the expected notices, once, and none when it rolls back; a PSA reminder to a
venue without an account is one undeliverable notice and is counted undeliverable, never sent, in the
run's summary, in the reminder log and in its admin list.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from campaigns import notices as campaign_notices
from campaigns.models import AdQuota, CampaignStatus, ReminderLog, ReviewDecision, ReviewLevel
from campaigns.services import ad_reminders_send, application_review_city, application_review_district
from notifications.fanout import render_notice
from notifications.kinds import notice_kind
from notifications.models import Notice, NoticeStatus
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

from .conftest import make_application, make_campaign, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(regions):
    campaign = make_campaign(status=CampaignStatus.REVIEWING, weight_inspection=60, weight_survey=40)
    return make_application(campaign, MerchantFactory(stars=5))


@pytest.fixture
def owner(submitted):
    return MembershipFactory(merchant=submitted.merchant, user=UserFactory(email="boss@shop.example.cn")).user


def _rows(kind: str) -> list[tuple]:
    return sorted((n.recipient_id, n.channel, n.key, n.status) for n in Notice.objects.filter(kind=kind))


def test_each_review_level_sends_inbox_and_email_once(submitted, owner, district_staff, civility_staff):
    application_review_district(
        application=submitted, decision="pass", reason="材料属实", actor=district_staff
    )
    application_review_city(
        application=submitted,
        decision="reject",
        reason="实地考察不达标",
        actor=civility_staff,
        inspection_score=50,
        survey_score=60,
    )
    m, a = submitted.merchant_id, submitted.pk
    assert _rows("application_reviewed") == sorted(
        [
            (owner.pk, "email", f"campaign_application:{m}:{a}:district", NoticeStatus.QUEUED),
            (owner.pk, "inbox", f"campaign_application:{m}:{a}:district", NoticeStatus.SENT),
            (owner.pk, "email", f"campaign_application:{m}:{a}:city", NoticeStatus.QUEUED),
            (owner.pk, "inbox", f"campaign_application:{m}:{a}:city", NoticeStatus.SENT),
        ]
    )
    city = Notice.objects.get(kind="application_reviewed", channel="email", key__endswith=":city")
    assert city.address == "boss@shop.example.cn"
    assert "复审（市级）" in city.subject and "不通过" in city.subject and "实地考察不达标" in city.body
    # The same event notified again adds nothing.
    campaign_notices.notify_application_reviewed(
        application=submitted, level="city", decision="reject", reason="实地考察不达标", actor=None
    )
    assert Notice.objects.filter(kind="application_reviewed").count() == 4


def test_a_review_rolled_back_leaves_no_notice(submitted, owner, district_staff):
    with pytest.raises(RuntimeError), transaction.atomic():
        application_review_district(application=submitted, decision="pass", reason="ok", actor=district_staff)
        assert Notice.objects.filter(kind="application_reviewed").count() == 2
        raise RuntimeError
    assert not Notice.objects.exists()


# --- PSA reminders ------------------------------------------------------------------------------------


@pytest.fixture
def quota(db):
    return AdQuota.objects.create(year=today().year)


def test_twelve_venues_without_an_account_are_counted_undeliverable_not_sent(regions, quota):
    """The issue's finding: 12 of 13 reminders were counted as sent to venues with no account."""
    venues = [MerchantFactory(kind="market", is_large_venue=True) for _ in range(13)]
    owner = MembershipFactory(merchant=venues[0], user=UserFactory(email="venue@wfj.example.cn")).user
    summary = ad_reminders_send(today=quota.deadline - timedelta(days=7))
    assert summary.as_dict() == {"reminded": 13, "sent": 1, "undeliverable": 12}

    logs = {log.merchant_id: log for log in ReminderLog.objects.all()}
    assert logs[venues[0].pk].recipients == 1
    assert [logs[v.pk].recipients for v in venues[1:]] == [0] * 12
    told = Notice.objects.filter(kind="psa_reminder", recipient=owner)
    assert sorted(told.values_list("channel", flat=True)) == ["email", "inbox"]
    assert told.get(channel="inbox").link == reverse("portal_campaigns:ad_report", args=[venues[0].pk])
    assert told.get(channel="email").key == f"psa_reminder:{venues[0].pk}:{logs[venues[0].pk].pk}"
    lost = Notice.objects.filter(kind="psa_reminder", recipient__isnull=True)
    assert lost.count() == 12 and set(lost.values_list("status", flat=True)) == {NoticeStatus.UNDELIVERABLE}
    assert {n.about for n in lost} == {logs[v.pk] for v in venues[1:]}

    # The same day again: nothing is reminded, notified or counted twice.
    assert ad_reminders_send(today=quota.deadline - timedelta(days=7)).as_dict() == {
        "reminded": 0,
        "sent": 0,
        "undeliverable": 0,
    }
    assert Notice.objects.filter(kind="psa_reminder").count() == 14


def test_a_reminder_rolled_back_leaves_neither_log_nor_notice(regions, quota):
    MerchantFactory(kind="market", is_large_venue=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert ad_reminders_send(today=quota.deadline - timedelta(days=1)).undeliverable == 1
        raise RuntimeError
    assert not ReminderLog.objects.exists() and not Notice.objects.exists()


def test_reminder_log_admin_shows_undeliverable_beside_sent(regions, quota, client):
    told = MerchantFactory(kind="market", is_large_venue=True, name="有账户的商场")
    MembershipFactory(merchant=told)
    MerchantFactory(kind="market", is_large_venue=True, name="无账户的市场")
    ad_reminders_send(today=quota.deadline - timedelta(days=1))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:campaigns_reminderlog_changelist")).content.decode()
    assert "无法送达（无账户或成员均无法联系）" in page
    assert "已送达 1 · 待发送 1 · 失败 0 · 无法送达 0" in page
    only_lost = client.get(reverse("admin:campaigns_reminderlog_changelist") + "?delivery=undeliverable")
    assert "无账户的市场" in only_lost.content.decode() and "有账户的商场" not in only_lost.content.decode()


# --- texts ----------------------------------------------------------------------------------------------

PARAMS = {
    "merchant": "焦作市解放区某某某某某某某某某某某某某某商贸有限责任公司",
    "campaign": "2026年全市文明诚信经营创建活动",
    "level": ReviewLevel.CITY.label,
    "outcome": ReviewDecision.REJECT.label,
    "reason": "x",
    "days": 14,
    "year": 2026,
    "deadline": today(),
    "percent": 30,
}


@pytest.mark.parametrize("kind", [k.code for k in campaign_notices.KINDS])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_texts_render_and_sms_fits_seventy_characters(kind, language):
    text = render_notice(notice_kind(kind), PARAMS, language)
    subject, body, sms = text.subject, text.body, text.sms
    assert subject and body and sms and PARAMS["merchant"] not in sms
    if language == "zh-hans":
        assert len(sms) <= 70, sms
    else:
        words = (subject + body + sms).replace(PARAMS["merchant"], "").replace(PARAMS["campaign"], "")
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in words), words
