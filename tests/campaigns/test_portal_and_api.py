"""Merchant portal pages and the authenticated API: apply, see reasons, report PSA; staff review by API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from campaigns.models import AdQuota, AdReport, Application, ApplicationStatus, CampaignStatus, Category
from campaigns.selectors import portal_merchant_panel
from integrity_portal.core.audit import audit_entries_for
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

from .conftest import eligible_merchant, make_application, make_campaign, png_bytes, today


@pytest.fixture
def owner(regions):
    merchant = eligible_merchant()
    user = UserFactory()
    MembershipFactory(user=user, merchant=merchant)
    return user, merchant


def test_apply_page_shows_eligibility_and_submits(client, owner):
    user, merchant = owner
    campaign = make_campaign()
    client.force_login(user)
    url = reverse("portal_campaigns:apply", args=[merchant.pk, campaign.pk])
    page = client.get(url).content.decode()
    assert "申报条件自动审核" in page and "信用星级达标" in page and "当前5星" in page
    response = client.post(url, {"statement": "坚持明码标价。", "pledge": "on"})
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.merchant == merchant and app.submitted_by == user
    listing = client.get(reverse("portal_campaigns:applications", args=[merchant.pk])).content.decode()
    assert campaign.title in listing and "已申报" in listing


def test_apply_page_refuses_ineligible_merchant_with_reasons(client, regions):
    merchant = MerchantFactory(stars=2)
    user = UserFactory()
    MembershipFactory(user=user, merchant=merchant)
    campaign = make_campaign()
    client.force_login(user)
    response = client.post(
        reverse("portal_campaigns:apply", args=[merchant.pk, campaign.pk]), {"statement": "x", "pledge": "on"}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "不符合申报条件" in body and "当前2星，要求不低于4星" in body
    assert not Application.objects.exists()


def test_portal_pages_of_another_users_merchant_are_404(client, owner, regions):
    _user, merchant = owner
    stranger = UserFactory()
    campaign = make_campaign()
    client.force_login(stranger)
    assert client.get(reverse("portal_campaigns:apply", args=[merchant.pk, campaign.pk])).status_code == 404
    assert client.get(reverse("portal_campaigns:applications", args=[merchant.pk])).status_code == 404


def test_portal_panel_offers_open_campaign_and_psa_status(owner, regions):
    user, merchant = owner
    campaign = make_campaign()
    panel = portal_merchant_panel(viewer=user, merchant=merchant)
    html = render_to_string("portal/partials/campaigns_panel.html", {"merchant": merchant, "panel": panel})
    assert (
        campaign.title in html and reverse("portal_campaigns:apply", args=[merchant.pk, campaign.pk]) in html
    )
    venue = MerchantFactory(kind="market", is_large_venue=True)
    AdQuota.objects.create(year=today().year)
    panel = portal_merchant_panel(viewer=user, merchant=venue)
    html = render_to_string("portal/partials/campaigns_panel.html", {"merchant": venue, "panel": panel})
    assert "公益广告刊播" in html and "尚未报告" in html


def test_portal_psa_report_form_with_placements_and_photo(client, regions):
    venue = MerchantFactory(kind="market", is_large_venue=True)
    user = UserFactory()
    MembershipFactory(user=user, merchant=venue)
    AdQuota.objects.create(year=today().year)
    client.force_login(user)
    url = reverse("portal_campaigns:ad_report", args=[venue.pk])
    assert "填报刊播情况" in client.get(url).content.decode()
    data = {
        "period": f"{today():%Y-%m}",
        "p-TOTAL_FORMS": "2",
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "1",
        "p-MAX_NUM_FORMS": "20",
        "p-0-medium": "led",
        "p-0-location": "entrance",
        "p-0-total_ads": "10",
        "p-0-psa_ads": "4",
        "p-0-theme": "核心价值观",
        "p-0-photo": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"),
    }
    assert client.post(url, data).status_code == 302
    report = AdReport.objects.get()
    assert (report.total_ads, report.psa_ads, report.psa_at_entrance) == (10, 4, 4)
    bad = {**data, "p-0-psa_ads": "11", "p-0-photo": SimpleUploadedFile("b.png", b"nope")}
    response = client.post(url, bad)
    assert response.status_code == 400 and "不能大于广告总数" in response.content.decode()
    assert AdReport.objects.count() == 1


def test_portal_psa_page_is_404_for_a_venue_not_subject_to_the_quota(client, owner):
    user, merchant = owner
    client.force_login(user)
    assert client.get(reverse("portal_campaigns:ad_report", args=[merchant.pk])).status_code == 404


# --- API --------------------------------------------------------------------------------------------


def test_api_application_create_and_list_for_member(client, owner):
    user, merchant = owner
    campaign = make_campaign()
    client.force_login(user)
    response = client.post(
        "/api/v1/campaign-applications/",
        {"campaign": campaign.pk, "merchant_id": merchant.pk, "statement": "诚信经营"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["status"] == "submitted"
    assert len(client.get("/api/v1/campaign-applications/").json()["results"]) == 1


def test_api_refuses_wrong_category_with_message(client, owner):
    user, merchant = owner
    campaign = make_campaign(categories={Category.MERCHANT: 1, Category.ENTERPRISE: 1})
    client.force_login(user)
    response = client.post(
        "/api/v1/campaign-applications/",
        {"campaign": campaign.pk, "merchant_id": merchant.pk, "statement": "x", "category": "enterprise"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "类别不符" in response.json()["errors"][0]["detail"]


def test_api_requires_login_and_membership(client, owner, regions):
    _user, merchant = owner
    campaign = make_campaign()
    body = {"campaign": campaign.pk, "merchant_id": merchant.pk, "statement": "x"}
    assert client.post(
        "/api/v1/campaign-applications/", body, content_type="application/json"
    ).status_code == 401
    client.force_login(UserFactory())
    assert (
        client.post("/api/v1/campaign-applications/", body, content_type="application/json").status_code
        == 404
    )


def test_api_staff_district_review_and_scope(client, regions, district_staff, other_district_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    app = make_application(campaign)
    client.force_login(other_district_staff)
    url = f"/api/v1/campaign-applications/{app.pk}/district-review/"
    assert (
        client.post(url, {"decision": "pass", "reason": "ok"}, content_type="application/json").status_code
        == 404
    )
    client.force_login(district_staff)
    response = client.post(url, {"decision": "pass", "reason": "材料属实"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == ApplicationStatus.DISTRICT_PASSED
    again = client.post(url, {"decision": "pass", "reason": "x"}, content_type="application/json")
    assert again.status_code == 409
    assert audit_entries_for(app).exclude(action__startswith="notice.").count() == 1  # + one undeliverable notice


def test_api_never_exposes_objectors(client, regions):
    from campaigns.api.serializers import ApplicationSerializer, CommendationSerializer

    fields = set(ApplicationSerializer.Meta.fields) | set(CommendationSerializer.Meta.fields)
    assert not {f for f in fields if "objector" in f or "phone" in f}
