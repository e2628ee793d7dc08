"""Kinds of notice and their fan-out (issue #16 items 3 and 4): one event reaches every active member of
a merchant on the channels their preferences allow, in their language, once; a merchant without an
account is counted undeliverable, never sent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.audit import audit_entries_for
from notifications.kinds import NoticeKind, notice_kind, notice_kinds, register_notice_kind
from notifications.models import Notice, NoticePreference, NoticeProfile, NoticeStatus
from notifications.services import notify_merchant, notify_users
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db


def _english(day: date) -> str:
    from django.utils import formats, translation

    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


def _notify(merchant, kind="test.optional", key="test:1", **params):
    return notify_merchant(
        merchant=merchant,
        kind=kind,
        event_key=key,
        params={"name": merchant.name, "amount": Decimal("1234.5"), "due": date(2026, 3, 9), **params},
        about=merchant,
    )


def test_a_duplicate_kind_code_is_refused(test_kinds):
    with pytest.raises(ValueError, match="already registered"):
        register_notice_kind(test_kinds["optional"])
    assert notice_kind("test.legal") is test_kinds["legal"]
    assert test_kinds["optional"] in notice_kinds("merchant")
    assert test_kinds["optional"] not in notice_kinds("staff")


def test_a_kind_with_an_unknown_channel_or_audience_is_refused():
    with pytest.raises(ValueError):
        NoticeKind("x", "x", "merchant", False, ("fax",), "s", "b")
    with pytest.raises(ValueError):
        NoticeKind("x", "x", "public", False, ("inbox",), "s", "b")


def test_every_active_member_gets_the_default_channels_once(regions, test_kinds):
    merchant = MerchantFactory()
    a = MembershipFactory(merchant=merchant).user
    b = MembershipFactory(merchant=merchant).user
    MembershipFactory(merchant=merchant, user=UserFactory(is_active=False))
    MembershipFactory()  # another merchant's member

    notices = _notify(merchant)

    assert sorted((n.recipient_id, n.channel) for n in notices) == sorted(
        [(a.pk, "inbox"), (a.pk, "email"), (b.pk, "inbox"), (b.pk, "email")]
    )
    assert Notice.objects.count() == 4
    inbox = Notice.objects.get(recipient=a, channel="inbox")
    assert inbox.status == NoticeStatus.SENT and inbox.sent_at is not None and inbox.read_at is None
    assert inbox.kind == "test.optional" and inbox.link == f"/portal/merchants/{merchant.pk}/"
    assert inbox.region_code == merchant.region_id
    email = Notice.objects.get(recipient=a, channel="email")
    assert email.status == NoticeStatus.QUEUED and email.address == a.email


def test_a_second_call_for_the_same_event_adds_nothing(regions, test_kinds):
    merchant = MerchantFactory()
    MembershipFactory(merchant=merchant)
    first = _notify(merchant)
    second = _notify(merchant)
    assert [n.pk for n in first] == [n.pk for n in second]
    assert Notice.objects.count() == 2
    _notify(merchant, key="test:2")
    assert Notice.objects.count() == 4


def test_a_merchant_without_members_gets_one_undeliverable_row(regions, test_kinds):
    merchant = MerchantFactory()
    notices = _notify(merchant)
    _notify(merchant)
    assert len(notices) == 1
    row = Notice.objects.get()
    assert row.status == NoticeStatus.UNDELIVERABLE and row.recipient is None and row.kind == "test.optional"
    assert [e.action for e in audit_entries_for(merchant)] == ["notice.undeliverable"]


def test_preferences_choose_the_channels_of_an_optional_kind(regions, test_kinds):
    merchant = MerchantFactory()
    user = MembershipFactory(merchant=merchant).user
    NoticePreference.objects.create(user=user, kind="test.optional", channels=["sms"])
    NoticeProfile.objects.create(user=user, phone="13912345678")
    notices = _notify(merchant)
    assert [(n.channel, n.address, n.body) for n in notices] == [
        ("sms", "13912345678", f"短信 {merchant.name}")
    ]
    # A template provider gets the kind's code as the template and the SMS text's variables only.
    assert (notices[0].sms_template, notices[0].sms_params) == ("test.optional", {"name": merchant.name})


def test_a_long_parameter_is_cut_for_the_sms_template_but_not_in_the_inbox(regions, test_kinds):
    merchant = MerchantFactory(name="很长的名称" * 10)
    user = MembershipFactory(merchant=merchant).user
    NoticePreference.objects.create(user=user, kind="test.optional", channels=["sms", "inbox"])
    NoticeProfile.objects.create(user=user, phone="13912345678")
    _notify(merchant)
    assert len(Notice.objects.get(channel="sms").sms_params["name"]) == 35
    assert merchant.name in Notice.objects.get(channel="inbox").body


def test_preferences_switched_all_off_send_nothing_for_an_optional_kind(regions, test_kinds):
    merchant = MerchantFactory()
    user = MembershipFactory(merchant=merchant).user
    NoticePreference.objects.create(user=user, kind="test.optional", channels=[])
    assert _notify(merchant) == []
    assert Notice.objects.count() == 0


def test_a_legal_kind_ignores_preferences(regions, test_kinds):
    merchant = MerchantFactory()
    user = MembershipFactory(merchant=merchant).user
    NoticePreference.objects.create(user=user, kind="test.legal", channels=[])
    notices = _notify(merchant, kind="test.legal")
    assert sorted(n.channel for n in notices) == ["inbox", "sms"]
    sms = Notice.objects.get(channel="sms")
    assert sms.status == NoticeStatus.UNDELIVERABLE  # no phone given: counted, never sent


def test_a_member_who_prefers_english_gets_english_text_and_localised_values(
    regions, test_kinds, monkeypatch
):
    english = NoticeKind(
        code="test.translated",
        label=_("测试通知"),
        audience="merchant",
        legal=False,
        default_channels=("inbox",),
        subject=_("投诉举报办理通知"),
        body="{amount} / {due}",
    )
    register_notice_kind(english)
    merchant = MerchantFactory()
    zh = MembershipFactory(merchant=merchant).user
    en = MembershipFactory(merchant=merchant).user
    NoticeProfile.objects.create(user=en, language="en")
    _notify(merchant, kind="test.translated", amount=Decimal("1234.5"))
    en_row = Notice.objects.get(recipient=en)
    zh_row = Notice.objects.get(recipient=zh)
    assert en_row.language == "en" and en_row.subject == "Complaint/report handling notice"
    assert en_row.body == f"1234.5 / {_english(date(2026, 3, 9))}"  # "9 March 2026": the English DATE_FORMAT
    assert zh_row.language == "zh-hans" and zh_row.subject == "投诉举报办理通知"
    assert zh_row.body == "1234.5 / 2026年3月9日"


def test_notify_users_reaches_the_given_users_in_the_given_region(regions, test_kinds):
    staff_kind = NoticeKind("test.staff", "员工", "staff", False, ("inbox",), "待办 {n}", "共 {n} 件")
    register_notice_kind(staff_kind)
    clerk = make_staff("410802")
    inactive = make_staff("410802", is_active=False)
    notices = notify_users(
        users=[clerk, inactive], kind="test.staff", event_key="staff:1", params={"n": 3},
        about=regions["410802"], region_code="410802",
    )  # fmt: skip
    assert [(n.recipient_id, n.channel, n.subject, n.region_code) for n in notices] == [
        (clerk.pk, "inbox", "待办 3", "410802")
    ]


def test_an_unknown_kind_is_an_error(regions):
    with pytest.raises(LookupError):
        _notify(MerchantFactory(), kind="no.such.kind")
