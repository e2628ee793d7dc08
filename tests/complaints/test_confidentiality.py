"""Personal data stays private: a reporter never reaches the merchant, portal, API or a public page;
a complainant's contact data never reaches the merchant; staff lists mask phones."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.services import complaint_accept, complaint_assign, complaint_merchant_reply

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db

REPORTER = {"name": "测试举报人甲", "phone": "13987654321", "address": "测试举报人住址幸福路7号"}
COMPLAINANT = {"name": "测试投诉人乙", "phone": "13911223344", "address": "测试投诉人住址和平路9号"}


@pytest.fixture
def cases(merchant, member, city_staff):
    report = file_complaint(
        kind="report", merchant_id=merchant.pk, id_number="11010119900101123X", **REPORTER
    )
    complaint = file_complaint(merchant_id=merchant.pk, id_number="110101199202021234", **COMPLAINANT)
    complaint_accept(complaint=complaint, actor=city_staff)
    complaint_assign(complaint=complaint, actor=city_staff, region_code=JIEFANG)
    complaint_merchant_reply(complaint=complaint, actor=member, body="已收到")
    return report, complaint


def _assert_clean(text: str) -> None:
    for secret in (
        REPORTER["name"],
        REPORTER["phone"],
        REPORTER["address"],
        "11010119900101123X",
        COMPLAINANT["phone"],
        COMPLAINANT["address"],
        "110101199202021234",
        COMPLAINANT["name"],
    ):
        assert secret not in text, secret


def test_merchant_sees_neither_reporter_nor_complainant_contact(client, member, cases):
    report, complaint = cases
    client.force_login(member)
    pages = [
        client.get(reverse("portal_complaints:list")),
        client.get(reverse("portal_complaints:detail", args=[complaint.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        _assert_clean(response.content.decode())
    assert client.get(reverse("portal_complaints:detail", args=[report.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(member)
    listing = api.get("/api/v1/portal/complaints/")
    assert [row["id"] for row in listing.json()["results"]] == [complaint.pk]
    _assert_clean(listing.content.decode())
    _assert_clean(api.get(f"/api/v1/portal/complaints/{complaint.pk}/").content.decode())
    assert api.get(f"/api/v1/portal/complaints/{report.pk}/").status_code == 404


def test_public_pages_and_anonymous_api_show_no_individual_data(client, cases, merchant):
    for url in (
        reverse("complaints:statistics"),
        "/api/v1/complaints/statistics/",
        reverse("complaints:merchant_search") + "?q=测试超市",
    ):
        response = client.get(url)
        assert response.status_code == 200
        _assert_clean(response.content.decode())
        for report_or_complaint in cases:
            assert report_or_complaint.tracking_code not in response.content.decode()
    for url in ("/api/v1/staff/complaints/", "/api/v1/portal/complaints/"):
        assert client.get(url).status_code in (401, 403)


def test_staff_lists_mask_phones(client, cases, district_staff):
    client.force_login(district_staff)
    body = client.get(reverse("admin:complaints_complaint_changelist")).content.decode()
    assert "139****4321" in body and "139****3344" in body
    assert REPORTER["phone"] not in body and COMPLAINANT["phone"] not in body
    api = APIClient()
    api.force_authenticate(district_staff)
    listing = api.get("/api/v1/staff/complaints/").content.decode()
    assert REPORTER["phone"] not in listing and "139****4321" in listing
