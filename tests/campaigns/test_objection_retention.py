"""Objectors' name and phone: anonymised after the retention period following the decision (once,
audited without them), exported and erased on request within the staff's region; the objection public
page shows the notices' links."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Objection, ObjectionStatus
from campaigns.services import objection_file, objection_resolve
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.retention import personal_data_erase, personal_data_export
from integrity_portal.core.tasks import anonymise_expired_personal_data

from .conftest import publicity_campaign

PHONE = "13812345678"
VALID = {"name": "李四", "phone": PHONE, "content": "该商户长期缺斤短两，多次被消费者投诉。"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(regions):
    return publicity_campaign(candidates=2)


def decided(campaign, city_staff, *, days_ago: int, rank: int = 1, phone: str = PHONE) -> Objection:
    o = objection_file(application=campaign.applications.get(rank=rank), **{**VALID, "phone": phone})
    objection_resolve(objection=o, upheld=False, reason="经核查不属实", actor=city_staff)
    # Test setup: the decision was taken ``days_ago`` days ago.
    Objection.objects.filter(pk=o.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    o.refresh_from_db()
    return o


def test_decided_objection_past_retention_is_anonymised_once(campaign, city_staff):
    old = decided(campaign, city_staff, days_ago=1096)
    recent = decided(campaign, city_staff, days_ago=100, rank=2, phone="13800000001")
    still_open = objection_file(application=campaign.applications.get(rank=1), **{**VALID, "phone": "13800000002"})
    Objection.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=2000))

    assert anonymise_expired_personal_data.delay().get()["objections"] == 1
    old.refresh_from_db()
    assert (old.objector_name, old.objector_phone) == ("已匿名化", "已匿名化") and old.anonymised_at
    assert old.status == ObjectionStatus.DISMISSED and old.content == VALID["content"]
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert recent.objector_name == "李四" and still_open.objector_name == "李四"
    entry = AuditEntry.objects.get(action="objection.personal_data_anonymised")
    assert entry.object_id == str(old.pk)
    assert "李四" not in json.dumps([entry.note, entry.data], ensure_ascii=False) and PHONE not in entry.note

    assert anonymise_expired_personal_data.delay().get()["objections"] == 0
    assert AuditEntry.objects.filter(action="objection.personal_data_anonymised").count() == 1


def test_objection_export_and_erase_by_phone_scoped_to_region(campaign, city_staff, other_district_staff):
    o = decided(campaign, city_staff, days_ago=5)
    # The candidate merchant is in 410802; staff of 410803 find and erase nothing.
    assert o.application.merchant.region_id == "410802"
    assert personal_data_export(phone=PHONE, actor=other_district_staff)["objections"] == []
    assert personal_data_erase(phone=PHONE, actor=other_district_staff, reason="申请") == 0
    o.refresh_from_db()
    assert o.objector_phone == PHONE
    exported = personal_data_export(phone=PHONE, actor=city_staff)["objections"]
    assert [(e["reference"], e["name"], e["phone"]) for e in exported] == [(o.reference, "李四", PHONE)]
    assert personal_data_erase(phone=PHONE, actor=city_staff, reason="本人申请删除") == 1
    o.refresh_from_db()
    assert o.objector_phone == "已匿名化"
    entry = audit_entries_for(o).get(action="objection.personal_data_anonymised")
    assert entry.actor == city_staff and entry.data == {"cause": "request"}


def test_objection_form_links_the_notices(client, campaign):
    html = client.get(reverse("campaigns:notice", args=[campaign.pk])).content.decode()
    assert html.count('href="/legal/privacy/"') >= 2 and html.count('href="/legal/terms/"') >= 2
