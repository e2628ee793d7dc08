"""Applications: submission rules, the eligibility check and its reasons, district and city review."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from campaigns.models import (
    AdQuota,
    AdReport,
    AdReportStatus,
    Application,
    ApplicationReview,
    ApplicationStatus,
    CampaignStatus,
    Category,
)
from campaigns.services import (
    application_check_eligibility,
    application_review_city,
    application_review_district,
    application_submit,
)
from campaigns.workflow import APPLICATION_WORKFLOW
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests.factories import MerchantFactory

from .conftest import eligible_merchant, make_application, make_campaign, today

A = ApplicationStatus
ALL = list(A.values)
ALLOWED = {
    ("submitted", "district_passed"),
    ("submitted", "rejected"),
    ("district_passed", "city_passed"),
    ("district_passed", "rejected"),
    ("city_passed", "candidate"),
    ("city_passed", "rejected"),
    ("candidate", "commended"),
    ("candidate", "rejected"),
}


def test_application_workflow_map_is_exactly_the_documented_one():
    assert {(s, t) for s in ALL for t in ALL if APPLICATION_WORKFLOW.can(s, t)} == ALLOWED


@pytest.mark.parametrize("source,target", [(s, t) for s in ALL for t in ALL if (s, t) not in ALLOWED])
def test_application_workflow_refuses_every_move_outside_the_map(source, target):
    with pytest.raises(TransitionNotAllowed):
        APPLICATION_WORKFLOW.check(source, target)


# --- submission -------------------------------------------------------------------------------------


def test_submit_records_application_with_passed_checks_and_audit(regions):
    campaign = make_campaign()
    merchant = eligible_merchant()
    app = application_submit(
        campaign=campaign, merchant=merchant, actor=None, statement="明码标价，诚信经营。"
    )
    assert app.status == A.SUBMITTED and app.category == Category.MERCHANT
    assert {c["code"] for c in app.eligibility} == {"black_list", "serious_penalty", "stars", "commitment"}
    assert all(c["ok"] for c in app.eligibility)
    entry = audit_entries_for(app).get()
    assert entry.action == "application.submit" and entry.data["eligibility"] == app.eligibility


def test_submit_outside_the_window_is_refused_with_the_dates(regions):
    campaign = make_campaign(app_start=today() + timedelta(days=1), app_end=today() + timedelta(days=9))
    with pytest.raises(ValidationFailed, match="不在申报期内") as exc:
        application_submit(campaign=campaign, merchant=eligible_merchant(), actor=None)
    assert campaign.application_start.isoformat() in exc.value.message
    assert not Application.objects.exists()


def test_submit_refused_when_campaign_is_not_open(regions):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    with pytest.raises(ValidationFailed, match="不在申报期内"):
        application_submit(campaign=campaign, merchant=eligible_merchant(), actor=None)


def test_submit_twice_is_refused(regions):
    campaign = make_campaign()
    merchant = eligible_merchant()
    application_submit(campaign=campaign, merchant=merchant, actor=None)
    with pytest.raises(ValidationFailed, match="只能申报一次"):
        application_submit(campaign=campaign, merchant=merchant, actor=None)
    assert Application.objects.count() == 1


def test_submit_in_a_category_other_than_the_merchants_kind_is_refused(regions):
    campaign = make_campaign(categories={Category.MERCHANT: 3, Category.ENTERPRISE: 3})
    merchant = eligible_merchant(kind="merchant")
    with pytest.raises(ValidationFailed, match="类别不符"):
        application_submit(campaign=campaign, merchant=merchant, actor=None, category=Category.ENTERPRISE)
    assert not Application.objects.exists()


def test_submit_from_outside_the_campaigns_territory_is_refused(regions):
    campaign = make_campaign(region_code="410800")
    with pytest.raises(ValidationFailed, match="不在本活动的范围"):
        application_submit(campaign=campaign, merchant=eligible_merchant(region_code="411002"), actor=None)
    assert not Application.objects.exists()


def test_submit_by_a_deregistered_merchant_is_refused(regions):
    merchant = eligible_merchant(status="deregistered")
    with pytest.raises(ValidationFailed, match="只有存续经营的主体可以申报"):
        application_submit(campaign=make_campaign(), merchant=merchant, actor=None)


def test_submit_for_a_category_the_campaign_does_not_award_is_refused(regions):
    campaign = make_campaign(categories={Category.MARKET: 3})
    with pytest.raises(ValidationFailed, match="本活动不评选"):
        application_submit(campaign=campaign, merchant=eligible_merchant(kind="merchant"), actor=None)


def test_submit_when_ineligible_is_refused_with_every_reason(regions, monkeypatch):
    from merchants.selectors import credit

    monkeypatch.setattr(credit, "merchant_has_black_entry_in_force", lambda **kw: True)
    monkeypatch.setattr(credit, "merchant_has_serious_penalty_in_publicity", lambda **kw: True)
    monkeypatch.setattr(credit, "merchant_has_commitment_in_force", lambda **kw: False)
    campaign = make_campaign()
    merchant = MerchantFactory(stars=3)
    with pytest.raises(ValidationFailed) as exc:
        application_submit(campaign=campaign, merchant=merchant, actor=None)
    msg = exc.value.message
    assert (
        "黑名单" in msg and "严重行政处罚" in msg and "当前3星，要求不低于4星" in msg and "信用承诺书" in msg
    )
    failed = {c["code"] for c in exc.value.details["eligibility"] if not c["ok"]}
    assert failed == {"black_list", "serious_penalty", "stars", "commitment"}
    assert not Application.objects.exists()


def test_eligibility_uses_real_black_list_and_penalty_facts(regions):
    from merchants.services.credit import list_entry_add_black, penalty_record

    campaign = make_campaign()
    merchant = eligible_merchant()
    assert all(c["ok"] for c in application_check_eligibility(campaign=campaign, merchant=merchant))
    list_entry_add_black(
        merchant=merchant,
        kind="serious_dishonesty",
        reason="提供虚假材料",
        legal_basis="《严重违法失信名单管理办法》",
        decision_number="焦市监失信〔2026〕9号",
        decided_by="焦作市市场监督管理局",
        valid_from=today() - timedelta(days=1),
        actor=None,
    )
    penalty_record(
        merchant=merchant,
        decision_number="焦市监处罚〔2026〕9号",
        decided_on=today() - timedelta(days=3),
        legal_basis="《价格法》",
        kind="fine",
        tier="serious",
        actor=None,
        fine_yuan=5000,
    )
    failed = {
        c["code"] for c in application_check_eligibility(campaign=campaign, merchant=merchant) if not c["ok"]
    }
    assert failed == {"black_list", "serious_penalty"}


def test_unrated_merchant_gets_a_stars_reason(regions):
    campaign = make_campaign()
    merchant = eligible_merchant(stars=None)
    checks = application_check_eligibility(campaign=campaign, merchant=merchant)
    stars = next(c for c in checks if c["code"] == "stars")
    assert not stars["ok"] and "尚未评定星级" in stars["detail"]


def test_thresholds_are_taken_from_the_campaign(regions):
    campaign = make_campaign(min_stars=3, require_commitment=False)
    merchant = MerchantFactory(stars=3)
    checks = application_check_eligibility(campaign=campaign, merchant=merchant)
    assert {c["code"] for c in checks} == {"black_list", "serious_penalty", "stars"}
    assert all(c["ok"] for c in checks)


def test_large_venue_must_be_psa_compliant_to_apply(regions):
    campaign = make_campaign(categories={Category.MARKET: 2})
    venue = eligible_merchant(kind="market", large=True)
    quota = AdQuota.objects.create(year=today().year)
    with pytest.raises(ValidationFailed, match="公益广告刊播尚未经核查达标"):
        application_submit(campaign=campaign, merchant=venue, actor=None)
    AdReport.objects.create(
        quota=quota,
        merchant=venue,
        period="5月",
        total_ads=10,
        psa_ads=4,
        psa_at_entrance=1,
        status=AdReportStatus.VERIFIED,
        is_compliant=True,
    )
    app = application_submit(campaign=campaign, merchant=venue, actor=None)
    assert next(c for c in app.eligibility if c["code"] == "psa")["ok"]


# --- reviews ----------------------------------------------------------------------------------------


@pytest.fixture
def submitted(regions):
    campaign = make_campaign(status=CampaignStatus.REVIEWING, weight_inspection=60, weight_survey=40)
    return make_application(campaign, MerchantFactory(stars=5))


def test_district_review_pass_records_decision_and_moves_on(submitted, district_staff):
    application_review_district(
        application=submitted, decision="pass", reason="材料属实", actor=district_staff
    )
    submitted.refresh_from_db()
    assert submitted.status == A.DISTRICT_PASSED
    review = ApplicationReview.objects.get(application=submitted)
    assert (review.level, review.decision, review.reviewer) == ("district", "pass", district_staff)
    moves = audit_entries_for(submitted).exclude(action__startswith="notice.")  # no account: undeliverable
    assert moves.get().action == "application.review_district"


def test_district_review_reject_keeps_the_reason(submitted, district_staff):
    application_review_district(
        application=submitted, decision="reject", reason="经营场所与申报不符", actor=district_staff
    )
    submitted.refresh_from_db()
    assert submitted.status == A.REJECTED and submitted.rejection_reason == "经营场所与申报不符"


def test_district_review_needs_a_reason(submitted, district_staff):
    with pytest.raises(ValidationFailed, match="理由"):
        application_review_district(application=submitted, decision="pass", reason="  ", actor=district_staff)


def test_district_review_by_another_district_or_by_city_is_refused(
    submitted, other_district_staff, city_staff
):
    for actor in (other_district_staff, city_staff):
        with pytest.raises(NotPermitted):
            application_review_district(application=submitted, decision="pass", reason="x", actor=actor)
    submitted.refresh_from_db()
    assert submitted.status == A.SUBMITTED and not ApplicationReview.objects.exists()


def test_district_review_twice_is_refused(submitted, district_staff):
    application_review_district(application=submitted, decision="pass", reason="ok", actor=district_staff)
    with pytest.raises(TransitionNotAllowed):
        application_review_district(application=submitted, decision="pass", reason="ok", actor=district_staff)


def test_city_review_before_district_review_is_refused(submitted, city_staff):
    with pytest.raises(TransitionNotAllowed, match="初审通过"):
        application_review_city(
            application=submitted,
            decision="pass",
            reason="ok",
            actor=city_staff,
            inspection_score=90,
            survey_score=90,
        )


def test_city_review_records_scores_and_weighted_total(submitted, district_staff, civility_staff):
    application_review_district(application=submitted, decision="pass", reason="ok", actor=district_staff)
    application_review_city(
        application=submitted,
        decision="pass",
        reason="考察良好",
        actor=civility_staff,
        inspection_score="92.5",
        survey_score=80,
    )
    submitted.refresh_from_db()
    assert submitted.status == A.CITY_PASSED
    assert submitted.inspection_score == Decimal("92.50") and submitted.survey_score == Decimal("80.00")
    assert submitted.total_score == Decimal("87.50")  # 92.5×60% + 80×40%
    review = ApplicationReview.objects.get(application=submitted, level="city")
    assert review.inspection_score == Decimal("92.50")


def test_city_review_pass_needs_both_scores_in_range(submitted, district_staff, city_staff):
    application_review_district(application=submitted, decision="pass", reason="ok", actor=district_staff)
    with pytest.raises(ValidationFailed, match="实地考察得分和问卷调查"):
        application_review_city(
            application=submitted, decision="pass", reason="ok", actor=city_staff, inspection_score=90
        )
    with pytest.raises(ValidationFailed, match="0到100"):
        application_review_city(
            application=submitted,
            decision="pass",
            reason="ok",
            actor=city_staff,
            inspection_score=101,
            survey_score=90,
        )
    submitted.refresh_from_db()
    assert submitted.status == A.DISTRICT_PASSED


def test_city_review_reject_by_district_branch_is_refused_and_city_reject_records_reason(
    submitted, district_staff, city_staff
):
    application_review_district(application=submitted, decision="pass", reason="ok", actor=district_staff)
    with pytest.raises(NotPermitted):
        application_review_city(application=submitted, decision="reject", reason="x", actor=district_staff)
    application_review_city(
        application=submitted,
        decision="reject",
        reason="问卷满意度低",
        actor=city_staff,
        inspection_score=70,
        survey_score=40,
    )
    submitted.refresh_from_db()
    assert submitted.status == A.REJECTED and submitted.rejection_reason == "问卷满意度低"


def test_review_refused_once_campaign_is_in_publicity(regions, district_staff):
    campaign = make_campaign(status=CampaignStatus.PUBLICITY)
    app = make_application(campaign)
    with pytest.raises(TransitionNotAllowed, match="不在申报或评审阶段"):
        application_review_district(application=app, decision="pass", reason="ok", actor=district_staff)
