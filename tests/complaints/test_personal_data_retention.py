"""Personal data of complainants, reporters and objectors: anonymised after the retention period by the
beat job, exported and erased on a person's request (core.retention), statistics unchanged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints.models import Attachment, Complaint, Status
from complaints.selectors import complaint_for_tracking, statistics
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, NotPermitted, ValidationFailed
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.retention import personal_data_erase, personal_data_export
from integrity_portal.core.tasks import anonymise_expired_personal_data
from tests.upload_samples import pdf_bytes

from .conftest import ZHONGZHAN, file_complaint

PHONE = "13912345678"
PERSONAL = ("测试王芳", PHONE, "测试地址人民路1号", "110101199003071234", "wangfang@example.cn")

pytestmark = pytest.mark.django_db


def closed_complaint(days_ago: int, **overrides) -> Complaint:
    pdf = SimpleUploadedFile("receipt.pdf", pdf_bytes(), content_type="application/pdf")
    c = file_complaint(attachments=[pdf], email="wangfang@example.cn", **overrides)
    # Test setup: a case closed ``days_ago`` days ago (the handling services are tested elsewhere).
    Complaint.objects.filter(pk=c.pk).update(
        status=Status.MEDIATED,
        closed_at=timezone.now() - timedelta(days=days_ago),
        complainant_id_number="110101199003071234",
        amount="88.00",
    )
    c.refresh_from_db()
    return c


def has_personal_data(c: Complaint) -> bool:
    c.refresh_from_db()
    values = (c.complainant_name, c.complainant_phone, c.complainant_address, c.complainant_id_number,
              c.complainant_email)
    return any(v in PERSONAL for v in values)


def test_closed_complaint_past_retention_is_anonymised_once_and_statistics_kept(
    regions, settings, django_capture_on_commit_callbacks
):
    settings.PERSONAL_DATA_RETENTION_DAYS = 1095
    old = closed_complaint(1096)
    recent = closed_complaint(1094, phone="13912340000")
    still_open = file_complaint(phone="13912341111")
    Complaint.objects.filter(pk=still_open.pk).update(received_at=timezone.now() - timedelta(days=2000))
    file_name = old.attachments.get().file.name
    storage = Attachment._meta.get_field("file").storage
    assert storage.exists(file_name)
    today = timezone.localdate()
    before = statistics(start=today - timedelta(days=3000), end=today)
    tracking_code = old.tracking_code

    with django_capture_on_commit_callbacks(execute=True):
        result = anonymise_expired_personal_data.delay().get()

    assert result["complaints"] == 1
    old.refresh_from_db()
    assert not has_personal_data(old)
    assert (old.complainant_name, old.complainant_phone) == ("已匿名化", "已匿名化")
    assert (old.complainant_address, old.complainant_id_number, old.complainant_email) == ("", "", "")
    assert old.anonymised_at is not None
    assert (old.category, str(old.amount), old.region_id, old.status) == ("price", "88.00", "410802", Status.MEDIATED)
    assert not Attachment.objects.filter(complaint=old).exists()
    assert not storage.exists(file_name)
    assert has_personal_data(recent) and recent.attachments.exists() and recent.anonymised_at is None
    still_open.refresh_from_db()
    assert still_open.complainant_name == "测试王芳" and still_open.anonymised_at is None
    assert statistics(start=today - timedelta(days=3000), end=today) == before
    # The tracking page no longer opens it, neither with the old phone nor with the marker.
    for phone in (PHONE, "已匿名化"):
        with pytest.raises(NotFound):
            complaint_for_tracking(tracking_code=tracking_code, phone=phone)
    entry = AuditEntry.objects.get(action="complaint.personal_data_anonymised")
    assert entry.object_id == str(old.pk) and entry.actor is None
    dumped = json.dumps([entry.note, entry.data], ensure_ascii=False)
    assert all(value not in dumped for value in PERSONAL)

    # Running again does nothing more.
    assert anonymise_expired_personal_data.delay().get()["complaints"] == 0
    assert AuditEntry.objects.filter(action="complaint.personal_data_anonymised").count() == 1


def test_shorter_setting_takes_effect(regions, settings):
    c = closed_complaint(40)
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    assert anonymise_expired_personal_data.delay().get()["complaints"] == 1
    assert not has_personal_data(c)


def test_anonymous_report_stays_without_identity(regions):
    r = file_complaint(kind="report", anonymous=True, name="", phone="", address="", consent=False)
    Complaint.objects.filter(pk=r.pk).update(status=Status.NOT_OPENED, closed_at=timezone.now() - timedelta(days=2000))
    assert anonymise_expired_personal_data.delay().get()["complaints"] == 1
    r.refresh_from_db()
    assert (r.complainant_name, r.complainant_phone) == ("", "") and r.anonymised_at is not None


def test_export_and_erase_by_phone(regions, city_staff):
    c = closed_complaint(10)
    other = file_complaint(phone="13800000000")
    exported = personal_data_export(phone=PHONE, actor=city_staff)
    assert [item["tracking_code"] for item in exported["complaints"]] == [c.tracking_code]
    item = exported["complaints"][0]
    assert (item["name"], item["phone"], item["id_number"]) == ("测试王芳", PHONE, "110101199003071234")
    json.dumps(exported)  # JSON-ready
    assert audit_entries_for(c).filter(action="personal_data.exported", actor=city_staff).exists()

    with pytest.raises(ValidationFailed):
        personal_data_erase(phone=PHONE, actor=city_staff, reason="  ")
    assert has_personal_data(c)
    assert personal_data_erase(phone=PHONE, actor=city_staff, reason="本人申请删除（窗口受理）") == 1
    assert not has_personal_data(c) and not c.attachments.exists()
    entry = audit_entries_for(c).get(action="complaint.personal_data_anonymised")
    assert entry.actor == city_staff and entry.note == "本人申请删除（窗口受理）" and entry.data["cause"] == "request"
    other.refresh_from_db()
    assert other.complainant_name == "测试王芳"
    # Nothing left to find or erase.
    assert personal_data_export(phone=PHONE, actor=city_staff)["complaints"] == []
    assert personal_data_erase(phone=PHONE, actor=city_staff, reason="再次申请") == 0


def test_district_staff_cannot_erase_another_districts_complaints(regions, other_district_staff, district_staff):
    c = closed_complaint(10)  # filed in 解放区 (JIEFANG)
    assert personal_data_export(phone=PHONE, actor=other_district_staff)["complaints"] == []
    assert personal_data_erase(phone=PHONE, actor=other_district_staff, reason="申请") == 0
    assert has_personal_data(c)
    assert not AuditEntry.objects.filter(action__contains="personal_data").exists()
    assert personal_data_erase(phone=PHONE, actor=district_staff, reason="本人申请") == 1
    assert not has_personal_data(c)
    assert other_district_staff.staff_profile.region_id == ZHONGZHAN


@pytest.mark.parametrize("phone", ["", "1391234567%", "139<script>", "1" * 21, "139\x0012345678"])
def test_request_with_bad_phone_is_refused(regions, city_staff, phone):
    with pytest.raises(ValidationFailed):
        personal_data_export(phone=phone, actor=city_staff)


def test_inspectors_and_the_public_may_not_export(regions, inspector):
    closed_complaint(10)
    for actor in (inspector, None):
        with pytest.raises(NotPermitted):
            personal_data_export(phone=PHONE, actor=actor)


# --- staff page -------------------------------------------------------------------------------------

URL = "/admin/personal-data/"


def test_page_exports_json_and_erases_with_reason(client, regions, city_staff):
    c = closed_complaint(10)
    client.force_login(city_staff)
    found = client.post(URL, {"phone": PHONE, "action": "find"})
    assert found.status_code == 200 and found.context["found"]["complaints"] == 1
    exported = client.post(URL, {"phone": PHONE, "action": "export"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/json")
    assert "attachment;" in exported["Content-Disposition"]
    assert json.loads(exported.content)["complaints"][0]["phone"] == PHONE
    refused = client.post(URL, {"phone": PHONE, "action": "erase", "reason": ""})
    assert refused.status_code == 200 and has_personal_data(c)
    erased = client.post(URL, {"phone": PHONE, "action": "erase", "reason": "本人申请"})
    assert erased.status_code == 302 and not has_personal_data(c)
    assert audit_entries_for(c).filter(action="complaint.personal_data_anonymised", actor=city_staff).exists()
    bad = client.post(URL, {"phone": "139<x>\"", "action": "find"})
    assert bad.status_code == 200 and bad.context["found"] is None


def test_page_refuses_inspectors_and_the_public(client, regions, inspector):
    closed_complaint(10)
    assert client.get(URL).status_code == 302  # to the admin login
    inspector.is_staff = True
    inspector.save()
    client.force_login(inspector)
    assert client.post(URL, {"phone": PHONE, "action": "export"}).status_code == 403
