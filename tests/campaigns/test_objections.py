"""Objections during publicity: filing (service and public page), privacy, rate limit, resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from campaigns.models import ApplicationStatus, CampaignStatus, Objection, ObjectionStatus
from campaigns.services import objection_file, objection_resolve
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed

from .conftest import make_application, publicity_campaign

VALID = {"name": "李四", "phone": "13812345678", "content": "该商户长期缺斤短两，多次被消费者投诉。"}


@pytest.fixture
def campaign(regions):
    return publicity_campaign(candidates=2)


def candidate(campaign, rank=1):
    return campaign.applications.get(rank=rank)


def test_objection_filed_against_candidate_during_publicity(campaign):
    objection = objection_file(application=candidate(campaign), **VALID)
    assert objection.status == ObjectionStatus.OPEN and objection.reference.startswith("YY")
    assert objection.objector_phone == "13812345678"
    assert audit_entries_for(objection).get().action == "objection.file"


@pytest.mark.parametrize("typed", ["+86 138 1234 5678", "008613812345678"])
def test_objection_accepts_a_mobile_with_country_code_and_stores_its_11_digits(campaign, typed):
    objection = objection_file(application=candidate(campaign), **{**VALID, "phone": typed})
    assert objection.objector_phone == "13812345678"


def test_objection_accepts_a_landline_with_area_code(campaign):
    objection = objection_file(application=candidate(campaign), **{**VALID, "phone": "0371-12345678"})
    assert objection.objector_phone == "0371-12345678"


def test_objection_after_the_window_is_refused(campaign):
    with pytest.raises(ValidationFailed, match="不在公示期内"):
        objection_file(
            application=candidate(campaign), today=campaign.publicity_end + timedelta(days=1), **VALID
        )
    assert not Objection.objects.exists()


def test_objection_against_a_non_candidate_is_refused(campaign):
    rejected = make_application(campaign, status=ApplicationStatus.REJECTED)
    with pytest.raises(ValidationFailed, match="不是本次公示的候选对象"):
        objection_file(application=rejected, **VALID)
    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    "field,value,message",
    [("name", " ", "姓名"), ("phone", "12345", "号码"), ("content", "不好", "不少于10个字")],
)
def test_objection_needs_name_valid_phone_and_facts(campaign, field, value, message):
    with pytest.raises(ValidationFailed, match=message):
        objection_file(application=candidate(campaign), **{**VALID, field: value})


def test_upheld_objection_removes_the_candidate_with_the_reason(campaign, city_staff):
    app = candidate(campaign)
    objection = objection_file(application=app, **VALID)
    objection_resolve(objection=objection, upheld=True, reason="经核查属实", actor=city_staff)
    objection.refresh_from_db()
    app.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD and objection.resolved_by == city_staff
    assert app.status == ApplicationStatus.REJECTED and "经核查属实" in app.rejection_reason
    assert audit_entries_for(objection).filter(to_status="upheld").exists()
    assert audit_entries_for(app).filter(from_status="candidate", to_status="rejected").exists()


def test_dismissed_objection_keeps_the_candidate(campaign, civility_staff):
    app = candidate(campaign)
    objection = objection_file(application=app, **VALID)
    objection_resolve(objection=objection, upheld=False, reason="经核查不属实", actor=civility_staff)
    app.refresh_from_db()
    objection.refresh_from_db()
    assert app.status == ApplicationStatus.CANDIDATE
    assert objection.status == ObjectionStatus.DISMISSED and objection.resolution_reason == "经核查不属实"


def test_resolution_needs_a_reason_a_manager_and_happens_once(campaign, city_staff, district_staff):
    objection = objection_file(application=candidate(campaign), **VALID)
    with pytest.raises(ValidationFailed):
        objection_resolve(objection=objection, upheld=False, reason="", actor=city_staff)
    with pytest.raises(NotPermitted):
        objection_resolve(objection=objection, upheld=False, reason="x", actor=district_staff)
    objection_resolve(objection=objection, upheld=False, reason="不属实", actor=city_staff)
    with pytest.raises(TransitionNotAllowed, match="已处理过"):
        objection_resolve(objection=objection, upheld=True, reason="改判", actor=city_staff)


# --- public page ------------------------------------------------------------------------------------


def test_public_notice_lists_candidates_and_objection_form(client, campaign):
    response = client.get(reverse("campaigns:notice", args=[campaign.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert campaign.notice_title in body and campaign.notice_number in body
    assert "候选商户1号" in body and "候选商户2号" in body
    assert 'name="phone"' in body and "提交异议" in body


def test_notice_is_also_reachable_by_year(client, campaign):
    response = client.get(reverse("campaigns:notice", args=[campaign.year]))
    assert response.status_code == 200 and campaign.notice_title in response.content.decode()


def test_draft_campaign_has_no_public_notice(client, regions):
    from .conftest import make_campaign

    draft = make_campaign(status=CampaignStatus.DRAFT, year=2031)
    assert client.get(reverse("campaigns:notice", args=[draft.pk])).status_code == 404


def test_objection_form_confirms_with_reference_and_never_shows_objector(client, campaign):
    app = candidate(campaign)
    url = reverse("campaigns:notice", args=[campaign.pk])
    response = client.post(url, {"application": app.pk, **VALID})
    assert response.status_code == 302
    done = client.get(response["Location"])
    objection = Objection.objects.get()
    assert objection.reference in done.content.decode() and "异议已受理" in done.content.decode()
    page = client.get(url).content.decode()
    assert "李四" not in page and "13812345678" not in page and VALID["content"] not in page


def test_objection_form_refuses_a_non_candidate(client, campaign):
    rejected = make_application(campaign, status=ApplicationStatus.REJECTED)
    response = client.post(
        reverse("campaigns:notice", args=[campaign.pk]), {"application": rejected.pk, **VALID}
    )
    assert response.status_code == 400 and not Objection.objects.exists()


def test_objection_form_shows_field_errors_for_bad_phone(client, campaign):
    response = client.post(
        reverse("campaigns:notice", args=[campaign.pk]),
        {"application": candidate(campaign).pk, **VALID, "phone": "abc"},
    )
    assert response.status_code == 400 and "有效的手机号" in response.content.decode()
    assert not Objection.objects.exists()


def test_objection_form_is_rate_limited_per_phone_and_ip(client, campaign, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "objection": "2/hour",
        },
    }
    url = reverse("campaigns:notice", args=[campaign.pk])
    for _ in range(2):
        assert client.post(url, {"application": candidate(campaign).pk, **VALID}).status_code == 302
    response = client.post(url, {"application": candidate(campaign).pk, **VALID})
    assert response.status_code == 400 and "提交过于频繁" in response.content.decode()
    assert Objection.objects.count() == 2


def test_objection_after_publicity_is_not_offered(client, campaign):
    campaign.status = CampaignStatus.PUBLISHED
    campaign.save(update_fields=["status"])
    response = client.post(
        reverse("campaigns:notice", args=[campaign.pk]), {"application": candidate(campaign).pk, **VALID}
    )
    assert response.status_code == 200 and not Objection.objects.exists()
    assert "提交异议" not in response.content.decode()


def test_staff_changelist_masks_objector_phone(client, campaign, city_staff):
    objection_file(application=candidate(campaign), **VALID)
    client.force_login(city_staff)
    body = client.get(reverse("admin:campaigns_objection_changelist")).content.decode()
    assert "138****5678" in body and "13812345678" not in body


def test_admin_resolve_view_upholds_objection(client, campaign, city_staff):
    objection = objection_file(application=candidate(campaign), **VALID)
    client.force_login(city_staff)
    url = reverse("admin:campaigns_objection_resolve", args=[objection.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"outcome": "upheld", "reason": "经核查属实"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD


def test_api_objection_returns_only_a_receipt_and_is_throttled(client, campaign, settings):
    from django.core.cache import cache

    url = "/api/v1/campaign-objections/"
    body = {"application": candidate(campaign).pk, **VALID}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201
    assert set(response.json()) == {"reference", "status", "created_at"}
    assert Objection.objects.get().reference == response.json()["reference"]
    refused = client.post(url, {**body, "application": 999999}, content_type="application/json")
    assert refused.status_code == 400 and "不是本次公示的候选对象" in refused.json()["errors"][0]["detail"]

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "objection": "1/hour"},
    }
    assert client.post(url, body, content_type="application/json").status_code == 201
    assert client.post(url, body, content_type="application/json").status_code == 429
    assert Objection.objects.count() == 2
