"""API: anonymous submission and tracking (throttled, no enumeration), staff and merchant endpoints."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from complaints.models import Complaint, Status
from integrity_portal.core.audit import audit_entries_for

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "kind": "complaint",
    "category": "quality",
    "description": "新买的电水壶使用三天就漏电，商家拒绝退换。",
    "name": "测试赵强",
    "phone": "13912349999",
    "address": "测试地址文化路3号",
    "harm_known_on": "2026-11-10",
    "target_name": "小家电店",
    "target_address": "文化路10号",
    "region_code": JIEFANG,
    "consent": True,
}


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_submission_returns_tracking_code_only(api, regions):
    response = api.post("/api/v1/complaints/submit/", PAYLOAD, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body[0]) == {"kind", "tracking_code", "status", "due_on"}
    assert Complaint.objects.get().tracking_code == body[0]["tracking_code"]


def test_api_submission_refuses_anonymous_complaint_with_400(api, regions):
    response = api.post("/api/v1/complaints/submit/", {**PAYLOAD, "anonymous": True}, format="json")
    assert response.status_code == 400 and response.json()["type"] == "validation_error"
    assert "anonymous" in {error["attr"] for error in response.json()["errors"]}
    assert not Complaint.objects.exists()


def test_api_submission_is_throttled(api, regions, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "complaint_submit": "1/hour"},
    }
    assert api.post("/api/v1/complaints/submit/", PAYLOAD, format="json").status_code == 201
    assert api.post("/api/v1/complaints/submit/", PAYLOAD, format="json").status_code == 429


def test_api_tracking_without_enumeration(api, regions):
    c = file_complaint()
    ok = api.post("/api/v1/complaints/track/", {"tracking_code": c.tracking_code, "phone": "13912345678"})
    wrong = api.post("/api/v1/complaints/track/", {"tracking_code": c.tracking_code, "phone": "13900000000"})
    missing = api.post(
        "/api/v1/complaints/track/", {"tracking_code": "ZZZZZZZZZZZZZZZZ", "phone": "13912345678"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == Status.RECEIVED
    assert "complainant_phone" not in ok.json()
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json() == missing.json()


def test_no_anonymous_list_endpoint_exposes_complaints(api, regions):
    file_complaint()
    assert api.get("/api/v1/staff/complaints/").status_code in (401, 403)
    assert api.get("/api/v1/portal/complaints/").status_code in (401, 403)
    stats = api.get("/api/v1/complaints/statistics/")
    assert stats.status_code == 200 and "13912345678" not in stats.content.decode()


def test_staff_list_is_region_scoped_and_masks_phones(api, district_staff, other_district_staff):
    c = file_complaint()
    api.force_authenticate(district_staff)
    rows = api.get("/api/v1/staff/complaints/").json()["results"]
    assert [r["id"] for r in rows] == [c.pk]
    assert rows[0]["complainant_phone"] == "139****5678"
    api.force_authenticate(other_district_staff)
    assert api.get("/api/v1/staff/complaints/").json()["results"] == []
    assert api.get(f"/api/v1/staff/complaints/{c.pk}/").status_code == 404


def test_staff_transition_via_api_and_refusals(api, district_staff, other_district_staff):
    c = file_complaint()
    api.force_authenticate(other_district_staff)
    assert api.post(f"/api/v1/staff/complaints/{c.pk}/transition/", {"action": "accept"}).status_code == 404
    api.force_authenticate(district_staff)
    response = api.post(f"/api/v1/staff/complaints/{c.pk}/transition/", {"action": "accept"})
    assert response.status_code == 200 and response.json()["status"] == Status.ACCEPTED
    again = api.post(f"/api/v1/staff/complaints/{c.pk}/transition/", {"action": "accept"})
    assert again.status_code == 409 and again.json()["type"] == "client_error"
    assert [error["code"] for error in again.json()["errors"]] == ["transition_not_allowed"]
    assert audit_entries_for(c).filter(to_status=Status.ACCEPTED).count() == 1


def test_merchant_api_hides_contact_data_and_reports(api, merchant, member, city_staff):
    from complaints.services import complaint_accept, complaint_assign

    c = file_complaint(merchant_id=merchant.pk, name="测试王芳")
    file_complaint(kind="report", merchant_id=merchant.pk)
    complaint_accept(complaint=c, actor=city_staff)
    complaint_assign(complaint=c, actor=city_staff, region_code=JIEFANG)
    api.force_authenticate(member)
    response = api.get("/api/v1/portal/complaints/")
    text = response.content.decode()
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [c.pk]
    assert rows[0]["complainant"] == "测***"
    for secret in ("13912345678", "测试地址", "测试王芳"):
        assert secret not in text
    reply = api.post(f"/api/v1/portal/complaints/{c.pk}/reply/", {"body": "已联系", "proposal": "退款"})
    assert reply.status_code == 201
    c.refresh_from_db()
    assert c.status == Status.MEDIATING


def test_merchant_odr_enrolment_via_api(api, merchant, member, regions):
    from tests.factories import UserFactory

    api.force_authenticate(UserFactory())
    assert api.post(f"/api/v1/portal/complaints/odr/{merchant.pk}/", {"enrolled": True}).status_code == 404
    api.force_authenticate(member)
    assert api.post(f"/api/v1/portal/complaints/odr/{merchant.pk}/", {"enrolled": True}).json() == {
        "enrolled": True
    }
    merchant.refresh_from_db()
    assert merchant.odr_enrolled


def test_complainant_decides_proposal_and_rates_via_api(api, merchant, member, city_staff):
    from complaints.services import complaint_accept, complaint_assign, complaint_merchant_reply

    c = file_complaint(merchant_id=merchant.pk)
    complaint_accept(complaint=c, actor=city_staff)
    complaint_assign(complaint=c, actor=city_staff, region_code=JIEFANG)
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意", proposal="退款100元")
    proof = {"tracking_code": c.tracking_code, "phone": "13912345678"}
    wrong = api.post(
        "/api/v1/complaints/track/decide/",
        {**proof, "phone": "13900000000", "reply_id": reply.pk, "accept": True},
    )
    assert wrong.status_code == 404
    ok = api.post("/api/v1/complaints/track/decide/", {**proof, "reply_id": reply.pk, "accept": True})
    assert ok.status_code == 200 and ok.json()["status"] == Status.MEDIATED
    rated = api.post("/api/v1/complaints/track/rate/", {**proof, "score": 5})
    assert rated.status_code == 200 and rated.json()["satisfaction"] == 5
    assert api.post("/api/v1/complaints/track/rate/", {**proof, "score": 3}).status_code == 409
