"""Public pages: intake form, tracking without enumeration, rating, statistics (aggregate only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint, Status
from complaints.services import complaint_accept, complaint_reject
from integrity_portal.core.audit import audit_entries_for

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "kind": "complaint",
        "name": "测试李明",
        "phone": "13912340000",
        "address": "测试地址建设路2号",
        "harm_known_on": "2026-11-01",
        "target_name": "街口水果摊",
        "target_address": "建设路5号",
        "region": JIEFANG,
        "category": "short_weight",
        "description": "买了两斤苹果回家复秤只有一斤六两。",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_new_form_shows_category_help_in_chinese(client, regions):
    response = client.get(reverse("complaints:new"))
    assert response.status_code == 200
    assert "缺斤短两、计量器具作弊" in response.content.decode()


def test_submit_shows_tracking_code_once(client, regions):
    response = client.post(reverse("complaints:new"), form_data(), follow=True)
    c = Complaint.objects.get()
    assert c.channel == "portal" and c.status == Status.RECEIVED
    assert c.tracking_code in response.content.decode()
    again = client.get(reverse("complaints:submitted"))
    assert c.tracking_code not in again.content.decode()
    assert "发送查询码" in again.content.decode()


def test_send_code_later_by_sms_log(client, regions, caplog, sms_file, django_capture_on_commit_callbacks):
    client.post(reverse("complaints:new"), form_data())
    c = Complaint.objects.get()
    with caplog.at_level("INFO", logger="notifications"), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("complaints:send_code"))
    sent = [(line["to"], line["text"]) for line in sms_file.lines()]
    assert sent == [("13912340000", sent[0][1])] and c.tracking_code in sent[0][1]
    # The log says an SMS went out, masked; never the number with the code (tests/complaints/test_logs_…).
    assert "139****0000" in caplog.text
    assert c.tracking_code not in caplog.text and "13912340000" not in caplog.text
    assert audit_entries_for(c).filter(action="complaint.send_code").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "complaint", "name": "", "anonymous": "on"}, "anonymous"),
        ({"phone": "123"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"harm_known_on": "2020-01-01"}, "harm_known_on"),
        ({"description": "太坑了"}, "description"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_stored(client, regions, overrides, field):
    response = client.post(reverse("complaints:new"), form_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_wrong_attachment_type_is_a_form_error(client, regions):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(reverse("complaints:new"), {**form_data(), "attachments": [fake]})
    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_submission_is_rate_limited_per_phone(client, regions, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "complaint_submit": "2/hour",
        },
    }
    for _ in range(2):
        assert client.post(reverse("complaints:new"), form_data()).status_code == 302
    response = client.post(reverse("complaints:new"), form_data(), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 400 and "频繁" in response.content.decode()
    assert Complaint.objects.count() == 2


def _track(client, code, phone, **extra):
    return client.post(reverse("complaints:track"), {"tracking_code": code, "phone": phone}, **extra)


def test_tracking_with_code_and_phone_shows_status_and_timeline(client, city_staff):
    c = file_complaint()
    complaint_accept(complaint=c, actor=city_staff)
    response = _track(client, c.tracking_code.lower(), "139 1234 5678", follow=True)
    body = response.content.decode()
    assert "已受理" in body and c.tracking_code in body
    assert city_staff.username not in body


def test_wrong_phone_and_unknown_code_look_the_same(client, regions):
    c = file_complaint()
    wrong_phone = _track(client, c.tracking_code, "13900000000")
    missing = _track(client, "ABCDEFGHJKMNPQRS", "13912345678")
    assert wrong_phone.status_code == missing.status_code == 404
    assert wrong_phone.context["form"].non_field_errors() == missing.context["form"].non_field_errors()
    assert client.get(reverse("complaints:track_result")).status_code == 302


def test_tracking_is_throttled(client, regions, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "tracking": "3/hour"},
    }
    c = file_complaint()
    for _ in range(3):
        assert _track(client, "ABCDEFGHJKMNPQRS", "13912345678").status_code == 404
    assert _track(client, c.tracking_code, "13912345678").status_code == 429


def test_anonymous_report_cannot_be_tracked(client, regions):
    r = file_complaint(kind="report", anonymous=True, consent=False)
    assert _track(client, r.tracking_code, "").status_code == 200  # form error: phone required
    assert _track(client, r.tracking_code, "13912345678").status_code == 404


def test_complainant_rates_once_after_closing(client, city_staff):
    c = file_complaint()
    _track(client, c.tracking_code, "13912345678")
    assert client.post(reverse("complaints:track_rate"), {"score": "4"}).status_code == 302
    c.refresh_from_db()
    assert c.satisfaction is None  # still open
    complaint_reject(complaint=c, actor=city_staff, reason="outside_remit")
    client.post(reverse("complaints:track_rate"), {"score": "4", "comment": "处理及时"})
    client.post(reverse("complaints:track_rate"), {"score": "1"})
    c.refresh_from_db()
    assert c.satisfaction == 4 and c.satisfaction_comment == "处理及时"
    assert audit_entries_for(c).filter(action="complaint.rate").count() == 1


def test_statistics_page_is_aggregate_only(client, regions):
    c = file_complaint(description="独特的描述内容用于检查是否泄露个案信息")
    response = client.get(reverse("complaints:statistics"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "解放区" in body
    for secret in (c.tracking_code, c.complainant_name, c.complainant_phone, "独特的描述内容", "无名小店"):
        assert secret not in body


def test_merchant_search_returns_public_register_fields(client, merchant):
    data = client.get(reverse("complaints:merchant_search"), {"q": "测试超"}).json()
    assert data["results"][0]["id"] == merchant.pk
    assert set(data["results"][0]) == {"id", "name", "region", "address", "odr"}
    by_uscc = client.get(reverse("complaints:merchant_search"), {"q": merchant.uscc}).json()
    assert by_uscc["results"][0]["id"] == merchant.pk
