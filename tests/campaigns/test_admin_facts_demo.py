"""Admin (region scoping, review form, actions), rating facts, and the demo seeder."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.facts import campaign_rating_facts
from campaigns.models import (
    AdQuota,
    AdReport,
    AdReportStatus,
    Application,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    CommendationEntry,
    CommendationList,
)
from integrity_portal.core.ratingfacts import fact_providers
from tests.factories import MerchantFactory

from .conftest import make_application, make_campaign, today


def test_district_staff_sees_only_own_districts_applications(client, regions, district_staff):
    from merchants.models import Region

    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    mine = make_application(campaign, MerchantFactory(name="解放区商户"))
    theirs = make_application(
        campaign, MerchantFactory(name="中站区商户", region=Region.objects.get(pk="410803"))
    )
    client.force_login(district_staff)
    body = client.get(reverse("admin:campaigns_application_changelist")).content.decode()
    assert "解放区商户" in body and "中站区商户" not in body
    assert client.get(reverse("admin:campaigns_application_change", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("admin:campaigns_application_review", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("admin:campaigns_application_review", args=[mine.pk])).status_code == 200


def test_admin_review_view_records_city_review_with_scores(client, regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    app = make_application(campaign, status=ApplicationStatus.DISTRICT_PASSED)
    client.force_login(city_staff)
    url = reverse("admin:campaigns_application_review", args=[app.pk])
    refused = client.post(url, {"decision": "pass", "reason": "ok"})
    assert refused.status_code == 400 and "实地考察得分和问卷调查" in refused.content.decode()
    ok = client.post(
        url, {"decision": "pass", "reason": "考察良好", "inspection_score": "90", "survey_score": "85"}
    )
    assert ok.status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.CITY_PASSED and app.total_score == Decimal("88.00")


def test_admin_action_reports_what_is_missing(client, regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    make_application(campaign, status=ApplicationStatus.SUBMITTED)
    client.force_login(city_staff)
    response = client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "action_start_publicity", "_selected_action": [campaign.pk]},
        follow=True,
    )
    assert "1 份申报未完成审核" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REVIEWING


def test_admin_campaign_change_page_and_add_form_render(client, regions, civility_staff):
    campaign = make_campaign(status=CampaignStatus.OPEN)
    client.force_login(civility_staff)
    assert client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).status_code == 200
    assert client.get(reverse("admin:campaigns_campaign_add")).status_code == 200
    assert client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 200


def test_rating_facts_count_commendations_in_three_years_and_psa_noncompliance(regions):
    from merchants.models import Merchant as MerchantModel

    provider = {p.name: p for p in fact_providers()}["campaigns"]
    assert provider.columns == ("commended_3y", "psa_noncompliant")
    t = today()
    campaign = make_campaign(status=CampaignStatus.PUBLISHED)
    commended = MerchantFactory()
    app = make_application(campaign, commended, status=ApplicationStatus.COMMENDED)
    from django.utils import timezone

    clist = CommendationList.objects.create(
        campaign=campaign,
        category="merchant",
        notice_number="n",
        notice_title="t",
        notice_text="x",
        published_at=timezone.now(),
    )
    CommendationEntry.objects.create(
        commendation_list=clist,
        application=app,
        merchant=commended,
        rank=1,
        red_list_until=t + timedelta(days=900),
    )
    late_venue = MerchantFactory(is_large_venue=True)
    good_venue = MerchantFactory(is_large_venue=True)
    MerchantFactory()  # no facts at all
    quota = AdQuota.objects.create(year=t.year, deadline=t - timedelta(days=1))
    AdReport.objects.create(
        quota=quota,
        merchant=good_venue,
        period="p",
        total_ads=10,
        psa_ads=3,
        psa_at_entrance=1,
        status=AdReportStatus.VERIFIED,
        is_compliant=True,
    )
    rows = {r["merchant_id"]: r for r in campaign_rating_facts(as_of=t)}
    assert rows[commended.pk] == {"merchant_id": commended.pk, "commended_3y": 1, "psa_noncompliant": 0}
    assert rows[late_venue.pk]["psa_noncompliant"] == 1
    assert rows[good_venue.pk]["psa_noncompliant"] == 0
    assert len(rows) == 3
    as_engine_reads = campaign_rating_facts(
        as_of=t, merchant_ids_qs=MerchantModel.objects.filter(pk=late_venue.pk)
    )
    assert list(as_engine_reads.values_list("merchant_id", "commended_3y", "psa_noncompliant")) == [
        (late_venue.pk, 0, 1)
    ]
    later = {r["merchant_id"]: r for r in campaign_rating_facts(as_of=t + timedelta(days=3 * 366))}
    assert commended.pk not in later
    before_deadline = {r["merchant_id"]: r for r in campaign_rating_facts(as_of=t - timedelta(days=2))}
    assert before_deadline[late_venue.pk]["psa_noncompliant"] == 0


@pytest.fixture
def register(regions):
    """A small register in 焦作 and 许昌: every kind in several districts, some large venues."""
    from merchants.models import Region

    districts = [Region.objects.get(pk=c) for c in ("410802", "410803", "411002", "411003")]
    for i in range(40):
        MerchantFactory(
            kind=("market", "enterprise", "merchant")[i % 3],
            region=districts[i % 4],
            stars=5,
            is_large_venue=i % 5 == 0,
        )


def test_demo_seeder_is_idempotent_and_fills_every_state(register):
    from campaigns.demo import seed_campaigns

    out = io.StringIO()
    seed_campaigns(seed=7, merchant_count=40, stdout=out)
    counts = (
        Campaign.objects.count(),
        Application.objects.count(),
        AdReport.objects.count(),
        CommendationList.objects.count(),
    )
    seed_campaigns(seed=7, merchant_count=40, stdout=out)
    assert (
        Campaign.objects.count(),
        Application.objects.count(),
        AdReport.objects.count(),
        CommendationList.objects.count(),
    ) == counts
    statuses = dict(Campaign.objects.values_list("year", "status").filter(region_id="410800"))
    assert statuses == {today().year - 1: "published", today().year: "reviewing"}
    assert Campaign.objects.get(region_id="411000").status == "publicity"
    current = Campaign.objects.get(region_id="410800", year=today().year)
    assert {"submitted", "district_passed", "city_passed", "rejected"} <= set(
        current.applications.values_list("status", flat=True)
    )
    from merchants.models import ListEntry

    assert (
        ListEntry.objects.filter(list_name="red", kind="commended").count()
        == CommendationEntry.objects.count()
        > 0
    )
    assert set(AdReport.objects.values_list("status", flat=True)) == {"submitted", "verified", "rejected"}


def test_admin_add_campaign_with_categories_and_dates_locked_after_opening(client, regions, city_staff):
    from integrity_portal.core.audit import audit_entries_for

    t = today()
    data = {
        "year": t.year,
        "region": "410800",
        "title": "文明诚信经营创建活动",
        "scheme_text": "方案",
        "application_start": t.isoformat(),
        "application_end": (t + timedelta(days=20)).isoformat(),
        "review_deadline": (t + timedelta(days=40)).isoformat(),
        "publicity_start": (t + timedelta(days=41)).isoformat(),
        "publicity_end": (t + timedelta(days=47)).isoformat(),
        "min_stars": 4,
        "require_no_black_entry": "on",
        "require_no_serious_penalty": "on",
        "require_commitment": "on",
        "require_psa_compliance": "on",
        "weight_inspection": 60,
        "weight_survey": 40,
        "red_list_years": 3,
        "notice_number": "",
        "notice_title": "",
        "notice_text": "",
        "categories-TOTAL_FORMS": "1",
        "categories-INITIAL_FORMS": "0",
        "categories-MIN_NUM_FORMS": "0",
        "categories-MAX_NUM_FORMS": "1000",
        "categories-0-category": "merchant",
        "categories-0-quota": "20",
    }
    client.force_login(city_staff)
    bad = client.post(reverse("admin:campaigns_campaign_add"), {**data, "weight_survey": 50})
    assert bad.status_code == 200 and "权重之和必须为100" in bad.content.decode()
    response = client.post(reverse("admin:campaigns_campaign_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.category_values() == ["merchant"] and campaign.created_by == city_staff
    assert audit_entries_for(campaign).get().action == "campaign.create"
    campaign.status = CampaignStatus.OPEN
    campaign.save(update_fields=["status"])
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert 'name="application_end"' not in page and 'name="notice_text"' in page


@pytest.mark.parametrize("role", ["city_bureau", "district_branch", "civility_office"])
def test_every_campaigns_admin_page_renders_for_each_role(client, register, role):
    from campaigns.demo import seed_campaigns
    from campaigns.models import AdPlacement, Objection  # noqa: F401
    from tests.factories import make_staff

    seed_campaigns(seed=1, merchant_count=40, stdout=io.StringIO())
    user = make_staff("410802" if role == "district_branch" else "410800", role)
    client.force_login(user)
    for model in (
        "campaign",
        "application",
        "objection",
        "commendationlist",
        "adquota",
        "adreport",
        "reminderlog",
    ):
        response = client.get(reverse(f"admin:campaigns_{model}_changelist"))
        assert response.status_code == 200, (model, response.status_code)
    report = AdReport.objects.filter(merchant__region_id="410802").first()
    if report:
        assert client.get(reverse("admin:campaigns_adreport_change", args=[report.pk])).status_code == 200
    listing = CommendationList.objects.first()
    assert (
        client.get(reverse("admin:campaigns_commendationlist_change", args=[listing.pk])).status_code == 200
    )
    quota = AdQuota.objects.get()
    assert client.get(reverse("admin:campaigns_adquota_board", args=[quota.pk])).status_code == 200


def test_district_sees_its_citys_campaign_read_only_but_not_another_citys(client, regions, district_staff):
    jiaozuo = make_campaign(status=CampaignStatus.DRAFT, region_code="410800")
    xuchang = make_campaign(status=CampaignStatus.DRAFT, region_code="411000")
    client.force_login(district_staff)
    assert client.get(reverse("admin:campaigns_campaign_change", args=[jiaozuo.pk])).status_code == 200
    assert client.get(reverse("admin:campaigns_campaign_change", args=[xuchang.pk])).status_code == 404
    # The workflow actions need the change permission (as the buttons on the campaign's page): not offered.
    listing = client.get(reverse("admin:campaigns_campaign_changelist"))
    assert "action_open" not in listing.content.decode()
    client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "action_open", "_selected_action": [jiaozuo.pk]},
        follow=True,
    )
    jiaozuo.refresh_from_db()
    assert jiaozuo.status == CampaignStatus.DRAFT
