"""A member's SMS number (``NoticeProfile.phone``) is personal data: a person's request (core.retention) finds
it by the number within the staff member's region, exports it with the SMS notices sent to it, and erases
both (a queued one is never sent to a blank address)."""

from __future__ import annotations

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.retention import personal_data_erase, personal_data_export
from integrity_portal.core.roles import StaffRole
from notifications.models import Notice, NoticeProfile, NoticeStatus
from notifications.services import notify_merchant
from tests.factories import MembershipFactory, MerchantFactory, make_staff

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


def test_a_members_sms_number_is_exported_and_erased_in_the_region_only(regions, test_kinds):
    merchant = MerchantFactory()  # district 410802
    member = MembershipFactory(merchant=merchant).user
    NoticeProfile.objects.create(user=member, phone=PHONE, language="en")
    notify_merchant(
        merchant=merchant, kind="test.legal", event_key="pd:1", params={"name": "x"}, about=merchant
    )
    sms = Notice.objects.get(channel="sms")
    assert sms.address == PHONE and sms.status == NoticeStatus.QUEUED
    district = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    other = make_staff("410803", StaffRole.DISTRICT_BRANCH)

    assert personal_data_export(phone=PHONE, actor=other)["notice_profiles"] == []
    assert personal_data_erase(phone=PHONE, actor=other, reason="申请") == 0
    [exported] = personal_data_export(phone=PHONE, actor=district)["notice_profiles"]
    assert exported["phone"] == PHONE and exported["language"] == "en"
    assert [n["key"] for n in exported["sms_notices"]] == ["pd:1"]

    assert personal_data_erase(phone=PHONE, actor=district, reason="本人申请删除") == 1
    profile = NoticeProfile.objects.get(user=member)
    sms.refresh_from_db()
    assert profile.phone == "" and profile.language == "en"
    assert sms.address == "" and sms.body == "" and sms.anonymised_at is not None
    assert sms.status == NoticeStatus.UNDELIVERABLE  # never sent to a blank address
    entry = audit_entries_for(profile).get(action="notice.profile_erased")
    assert entry.note == "本人申请删除" and PHONE not in str(entry.data)
    assert personal_data_erase(phone=PHONE, actor=district, reason="再次") == 0  # nothing left to find
