"""Portal credit pages and API: members only (else 404), forms call the services, refusals shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from merchants.models import (
    Commitment,
    CreditRepairRequest,
    Penalty,
    RatingAppeal,
    RatingReply,
    ReinspectionRequest,
)
from merchants.services.rating import ratings_recompute
from tests.factories import MembershipFactory, MerchantFactory, UserFactory
from tests.merchants.credit_factories import SERIOUS, inspect, penalise, today
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(regions, client):
    membership = MembershipFactory()
    merchant = membership.merchant
    inspect(merchant, price_marking=SERIOUS)
    ratings_recompute()
    merchant.refresh_from_db()
    client.force_login(membership.user)
    return merchant


def test_portal_panel_shows_stars_breakdown_suggestions_and_links(member, client):
    body = client.get(f"/portal/merchants/{member.pk}/").content.decode()
    assert member.stars == 4  # trading 10 caps a total of 15
    assert "如何提升星级" in body and "整改检查发现的问题并申请复查" in body and "可提升至 5 星" in body
    assert f"/portal/credit/{member.pk}/appeal/" in body
    assert "信用风险" not in body


def test_non_member_gets_404_on_every_credit_page(regions, client):
    other = MerchantFactory()
    client.force_login(UserFactory())
    for page in ("commitment", "repair", "appeal", "reply", "reinspection"):
        assert client.get(f"/portal/credit/{other.pk}/{page}/").status_code == 404
    assert client.get(f"/api/v1/portal/merchants/{other.pk}/rating/").status_code == 404


def test_sign_commitment_page(member, client):
    response = client.post(f"/portal/credit/{member.pk}/commitment/", {"kind": "price", "agree": "on"})
    assert response.status_code == 302
    assert Commitment.objects.get(merchant=member).kind == "price"


def test_appeal_page_files_once_and_shows_refusal(member, client):
    url = f"/portal/credit/{member.pk}/appeal/"
    assert client.post(url, {"grounds": "检查记录与事实不符。"}).status_code == 302
    response = client.post(url, {"grounds": "再次提出申诉。"})
    assert response.status_code == 200 and "已有一项申诉正在处理" in response.content.decode()
    assert RatingAppeal.objects.filter(merchant=member).count() == 1


def test_reply_and_reinspection_pages(member, client):
    assert (
        client.post(f"/portal/credit/{member.pk}/reply/", {"text": "已整改，欢迎监督。"}).status_code == 302
    )
    assert RatingReply.objects.get(merchant=member).status == "pending"
    url = f"/portal/credit/{member.pk}/reinspection/"
    assert client.post(url, {"improvements": "价签已全部更换。"}).status_code == 302
    assert ReinspectionRequest.objects.filter(merchant=member).exists()


def test_repair_page_refuses_early_request_with_earliest_date(member, client):
    p = penalise(member)
    response = client.post(
        f"/portal/credit/{member.pk}/repair/",
        {
            "target": f"penalty:{p.pk}",
            "application": "已整改",
            "pledge_text": "守法经营",
            "pledge_signed": "on",
            "evidence": SimpleUploadedFile("proof.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 200 and "最早可于" in response.content.decode()
    Penalty.objects.filter(pk=p.pk).update(publicity_from=today() - timedelta(days=100))
    response = client.post(
        f"/portal/credit/{member.pk}/repair/",
        {
            "target": f"penalty:{p.pk}",
            "application": "已整改",
            "pledge_text": "守法经营",
            "pledge_signed": "on",
            "evidence": SimpleUploadedFile("proof.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 302 and CreditRepairRequest.objects.filter(penalty=p).exists()


def test_repair_page_rejects_wrong_file_type(member, client):
    p = penalise(member)
    Penalty.objects.filter(pk=p.pk).update(publicity_from=today() - timedelta(days=100))
    response = client.post(
        f"/portal/credit/{member.pk}/repair/",
        {
            "target": f"penalty:{p.pk}",
            "application": "x",
            "pledge_text": "y",
            "pledge_signed": "on",
            "evidence": SimpleUploadedFile("run.exe", b"MZ"),
        },
    )
    assert response.status_code == 200 and "PDF" in response.content.decode()


def test_portal_api_rating_and_appeal(member, client):
    data = client.get(f"/api/v1/portal/merchants/{member.pk}/rating/").json()
    assert data["merchant_id"] == member.pk
    assert data["current"]["stars"] == member.stars and data["breakdown"][0]["key"] == "trading"
    assert data["rated_at"] == data["current"]["rated_at"] and data["new_rating_pending"] is False
    assert "credit_class" not in str(data)
    response = client.post(
        f"/api/v1/portal/merchants/{member.pk}/appeals/",
        {"grounds": "检查记录有误。"},
        content_type="application/json",
    )
    assert response.status_code == 201
    again = client.post(
        f"/api/v1/portal/merchants/{member.pk}/appeals/",
        {"grounds": "再次申诉。"},
        content_type="application/json",
    )
    [error] = again.json()["errors"]
    assert again.status_code == 400 and error["code"] == "invalid" and "请勿重复申诉" in error["detail"]


def test_anonymous_is_sent_to_login(regions, client):
    m = MerchantFactory()
    assert client.get(f"/portal/credit/{m.pk}/appeal/").status_code == 302
    assert client.get(f"/api/v1/portal/merchants/{m.pk}/rating/").status_code in (401, 403)
