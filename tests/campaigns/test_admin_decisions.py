"""Moving a campaign to its next step on its own admin page: one button for the step the status allows,
the typed note in the audit, other cities 404, view-only staff 403, a repeated post answered, refusals shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import CampaignStatus
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import StaffRole
from tests.factories import make_staff

from .conftest import make_campaign, today

pytestmark = pytest.mark.django_db


def change_url(campaign) -> str:
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def decide_url(campaign, step: str) -> str:
    return reverse("admin:campaigns_campaign_decide", args=[campaign.pk, step])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_draft_page_offers_only_the_open_step(client, city_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    client.force_login(city_staff)
    page = client.get(change_url(campaign)).content.decode()
    assert decide_url(campaign, "open") in page
    for later in ("start_review", "start_publicity", "publish", "archive"):
        assert decide_url(campaign, later) not in page


def test_next_step_on_the_page_records_the_typed_note(client, city_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    client.force_login(city_staff)
    response = client.post(decide_url(campaign, "open"), {"reason": "经局务会研究，按方案启动申报"})
    assert response.status_code == 302 and response["Location"] == change_url(campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN
    entry = audit_entries_for(campaign).get(to_status=CampaignStatus.OPEN)
    assert entry.actor == city_staff and entry.note == "经局务会研究，按方案启动申报"
    page = client.get(change_url(campaign)).content.decode()
    assert decide_url(campaign, "open") not in page and decide_url(campaign, "start_review") in page


def test_repeated_post_is_answered_and_audited_once(client, city_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    client.force_login(city_staff)
    client.post(decide_url(campaign, "open"), {"reason": ""})
    again = client.post(decide_url(campaign, "open"), {"reason": ""})
    assert again.status_code == 302
    assert any("本次提交未作处理" in m for m in messages_of(again))
    assert audit_entries_for(campaign).filter(to_status=CampaignStatus.OPEN).count() == 1


def test_service_refusal_is_an_error_message_on_the_page(client, city_staff):
    campaign = make_campaign(status=CampaignStatus.OPEN)  # the application period has not ended
    client.force_login(city_staff)
    response = client.post(decide_url(campaign, "start_review"), {"reason": ""}, follow=True)
    assert response.status_code == 200
    assert "申报期尚未结束" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN


def test_publish_note_follows_the_standard_note(client, city_staff):
    from .conftest import publicity_campaign

    campaign = publicity_campaign()
    campaign.publicity_end = today() - timedelta(days=1)
    campaign.save(update_fields=["publicity_end"])
    client.force_login(city_staff)
    client.post(decide_url(campaign, "publish"), {"reason": "无异议"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert audit_entries_for(campaign).get(to_status=CampaignStatus.PUBLISHED).note == "公示期满，发布表彰名单 无异议"


def test_other_city_gets_404_and_view_only_district_403(client, regions, district_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT, region_code="410800")
    client.force_login(make_staff("411000", StaffRole.CITY_BUREAU))
    assert client.post(decide_url(campaign, "open"), {"reason": ""}).status_code == 404
    client.force_login(district_staff)  # sees its city's campaign, may not run it
    assert decide_url(campaign, "open") not in client.get(change_url(campaign)).content.decode()
    assert client.post(decide_url(campaign, "open"), {"reason": ""}).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
