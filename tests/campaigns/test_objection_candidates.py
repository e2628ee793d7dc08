"""Which application an objection may name: a candidate of a campaign under publicity, found through the
public selector; anything else is the service's "not a candidate" refusal and reveals nothing about it."""

from __future__ import annotations

import pytest

from campaigns.models import ApplicationStatus, CampaignStatus, Objection
from campaigns.selectors import public_candidate
from campaigns.services import objection_file
from integrity_portal.core.errors import ValidationFailed

from .conftest import make_application, make_campaign, publicity_campaign

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaign-objections/"
VALID = {"name": "李四", "phone": "13812345678", "content": "该商户长期缺斤短两，多次被消费者投诉。"}


def test_public_candidate_is_only_a_candidate_of_a_campaign_under_publicity(regions):
    campaign = publicity_campaign(candidates=1)
    candidate = campaign.applications.get()
    rejected = make_application(campaign, status=ApplicationStatus.REJECTED)
    in_review = make_application(
        make_campaign(status=CampaignStatus.REVIEWING, region_code="410802"), status=ApplicationStatus.CANDIDATE
    )
    assert public_candidate(candidate.pk) == candidate
    assert public_candidate(rejected.pk) is None
    assert public_candidate(in_review.pk) is None
    assert public_candidate("x") is None


def test_service_refuses_no_application_as_not_a_candidate(regions):
    with pytest.raises(ValidationFailed, match="不是本次公示的候选对象") as refused:
        objection_file(application=None, **VALID)
    assert refused.value.code == "not_candidate"
    assert not Objection.objects.exists()


def test_api_answers_an_application_outside_publicity_as_not_a_candidate(client, regions):
    """Before, an id of a campaign still in review answered "outside the publicity window" with that
    campaign's planned dates; now it is the same refusal as an unknown id."""
    in_review = make_campaign(status=CampaignStatus.REVIEWING)
    application = make_application(in_review, status=ApplicationStatus.CANDIDATE)
    response = client.post(URL, {"application": application.pk, **VALID}, content_type="application/json")
    body = response.content.decode()  # whatever the error body's layout: the refusal's code and message
    assert response.status_code == 400
    assert "not_candidate" in body and "不是本次公示的候选对象" in body
    assert in_review.publicity_start.isoformat() not in body and "不在公示期内" not in body
    assert not Objection.objects.exists()
