"""Public campaign pages (issue #19 item 4): the open campaign with its scheme, categories, eligibility
rules, timetable and how to apply; an objection's outcome by its reference number, without personal data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import CampaignStatus
from campaigns.services import objection_file, objection_resolve

from .conftest import make_campaign, publicity_campaign

pytestmark = pytest.mark.django_db

VALID = {"name": "李四", "phone": "13812345678", "content": "该商户长期缺斤短两，多次被消费者投诉。"}


def test_open_campaign_is_listed_and_linked_from_home(client, regions):
    campaign = make_campaign(scheme_text="一、指导思想……")
    draft = make_campaign(status=CampaignStatus.DRAFT, year=2030)
    draft.title = "草稿活动不公开"
    draft.save(update_fields=["title"])
    html = client.get(reverse("public_campaigns:list")).content.decode()
    assert reverse("public_campaigns:detail", args=[campaign.pk]) in html
    assert "草稿活动不公开" not in html
    assert reverse("public_campaigns:list") in client.get("/").content.decode()


def test_campaign_page_shows_scheme_categories_rules_timetable_and_how_to_apply(client, regions):
    campaign = make_campaign(scheme_text="一、指导思想：以诚信经营为核心。", min_stars=4, require_commitment=True)
    response = client.get(reverse("public_campaigns:detail", args=[campaign.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "一、指导思想：以诚信经营为核心。" in html
    assert "文明诚信商户" in html and "2 个名额" in html and "不限名额" in html  # categories and quotas
    assert "诚信星级不低于4星。" in html and "信用承诺在有效期内。" in html
    assert "时间安排" in html and "如何申报" in html
    assert reverse("portal_campaigns:overview") in html  # open now: apply through the portal


def test_draft_campaign_is_not_public(client, regions):
    draft = make_campaign(status=CampaignStatus.DRAFT)
    assert client.get(reverse("public_campaigns:detail", args=[draft.pk])).status_code == 404


def test_objection_reference_opens_its_outcome_without_personal_data(client, regions, city_staff):
    campaign = publicity_campaign(candidates=1)
    application = campaign.applications.get()
    objection = objection_file(application=application, **VALID)
    url = reverse("public_campaigns:objection")
    open_page = client.get(url, {"reference": objection.reference.lower()})
    assert open_page.status_code == 200
    assert "待处理" in open_page.content.decode()
    objection_resolve(objection=objection, upheld=False, reason="经核实，反映情况不属实。", actor=city_staff)
    html = client.get(url, {"reference": objection.reference}).content.decode()
    assert "异议不成立" in html and "经核实，反映情况不属实。" in html
    assert application.merchant.name in html
    for private in ("李四", "13812345678", VALID["content"]):
        assert private not in html


def test_objection_done_page_links_to_the_outcome(client, regions):
    campaign = publicity_campaign(candidates=1)
    session = client.session
    session["campaigns_objection_ref"] = "YY20260101ABCDEF"
    session.save()
    html = client.get(reverse("campaigns:objection_done", args=[campaign.pk])).content.decode()
    assert reverse("public_campaigns:objection") + "?reference=YY20260101ABCDEF" in html


def test_unknown_reference_is_a_clear_404(client, regions):
    response = client.get(reverse("public_campaigns:objection"), {"reference": "YY20260101ZZZZZZ"})
    assert response.status_code == 404
    assert "没有找到该受理编号的异议" in response.content.decode()


def test_objection_lookup_is_rate_limited(client, regions, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "tracking": "2/hour"},
    }
    url = reverse("public_campaigns:objection")
    for _ in range(2):
        assert client.get(url, {"reference": "YY1"}).status_code == 404
    assert client.get(url, {"reference": "YY1"}).status_code == 429


def test_objection_form_shows_form_and_service_errors_in_one_pass(client, regions):
    """An empty name (the form's rule) and a bad phone (the service's) are reported together."""
    from campaigns.models import Objection

    campaign = publicity_campaign(candidates=1)
    application = campaign.applications.get()
    response = client.post(
        reverse("campaigns:notice", args=[campaign.pk]),
        {"application": application.pk, "name": "", "phone": "12345", "content": "太短"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "phone", "content"}
    assert "请填写有效的手机号或座机号码。" in response.content.decode()
    assert not Objection.objects.exists()
