"""Appeals (21 days, one open, uninvolved decider, "under appeal"), replies and re-inspections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from merchants.models import AppealStatus, Membership, MembershipRole, Merchant, Rating, ReplyStatus
from merchants.services import recourse
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory, UserFactory, make_staff
from tests.merchants.credit_factories import MINOR, inspect, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(regions):
    m = MerchantFactory()
    inspect(m)
    ratings_recompute(merchant_ids=[m.pk])
    m.refresh_from_db()
    return m


def test_appeal_sets_under_appeal_and_decision_clears_it(rated, client):
    appeal = recourse.appeal_file(merchant=rated, grounds="检查当日店主不在，记录有误。", actor=None)
    assert Merchant.objects.get(pk=rated.pk).rating_under_appeal
    assert appeal.decide_by == today() + timedelta(days=21)
    staff = make_staff()
    recourse.appeal_decide(appeal=appeal, upheld=True, reason="经复核，予以纠正", actor=staff)
    assert appeal.status == AppealStatus.UPHELD
    assert not Merchant.objects.get(pk=rated.pk).rating_under_appeal
    assert audit_entries_for(appeal).filter(to_status="upheld", actor=staff).exists()


def test_appeal_after_21_days_is_refused_with_the_deadline(rated):
    Rating.objects.filter(pk=rated.current_rating_id).update(computed_at=timezone.now() - timedelta(days=22))
    with pytest.raises(ValidationFailed, match="21 日内") as exc:
        recourse.appeal_file(merchant=rated, grounds="评定结果与事实不符。", actor=None)
    assert "deadline" in exc.value.details


def test_second_open_appeal_is_refused_with_the_decision_date(rated):
    first = recourse.appeal_file(merchant=rated, grounds="评定结果与事实不符。", actor=None)
    with pytest.raises(ValidationFailed) as exc:
        recourse.appeal_file(merchant=rated, grounds="再次申诉，请尽快处理。", actor=None)
    assert exc.value.details["earliest"] == first.decide_by.isoformat()


def test_unrated_merchant_cannot_appeal(regions):
    with pytest.raises(ValidationFailed, match="暂无"):
        recourse.appeal_file(merchant=MerchantFactory(), grounds="没有评级也要申诉。", actor=None)


def test_staff_who_took_part_in_the_facts_cannot_decide(regions):
    inspector = make_staff(role="inspector")
    m = MerchantFactory()
    inspect(m, actor=inspector)
    ratings_recompute(merchant_ids=[m.pk])
    m.refresh_from_db()
    appeal = recourse.appeal_file(merchant=m, grounds="检查人员认定有误。", actor=None)
    with pytest.raises(NotPermitted):
        recourse.appeal_decide(appeal=appeal, upheld=False, reason="维持", actor=inspector)
    recourse.appeal_decide(appeal=appeal, upheld=False, reason="维持", actor=make_staff())
    with pytest.raises(TransitionNotAllowed):
        recourse.appeal_decide(appeal=appeal, upheld=True, reason="改判", actor=make_staff())


def test_public_page_says_under_appeal(rated, client):
    recourse.appeal_file(merchant=rated, grounds="评定结果与事实不符。", actor=None)
    body = client.get(f"/merchants/{rated.pk}/").content.decode()
    assert "申诉处理中" in body


def test_reply_is_published_after_moderation_and_shown_as_merchants_words(
    rated, client, django_capture_on_commit_callbacks
):
    reply = recourse.reply_submit(merchant=rated, text="我店已整改，欢迎监督。某某是骗子！", actor=None)
    assert "欢迎监督" not in client.get(f"/merchants/{rated.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the published reply replaces the cached page
        recourse.reply_publish(reply=reply, published_text="我店已整改，欢迎监督。", actor=make_staff())
    body = client.get(f"/merchants/{rated.pk}/").content.decode()
    assert "我店已整改，欢迎监督。" in body and "商户自述" in body and "骗子" not in body
    newer = recourse.reply_submit(merchant=rated, text="新的回应。", actor=None)
    recourse.reply_publish(reply=newer, actor=None)
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.WITHDRAWN


def test_reply_too_long_is_refused(rated):
    with pytest.raises(ValidationFailed, match="500"):
        recourse.reply_submit(merchant=rated, text="长" * 501, actor=None)


def test_reinspection_needs_findings_is_due_in_three_months_and_may_lower_the_rating(regions):
    m = MerchantFactory()
    inspect(m)
    with pytest.raises(ValidationFailed, match="无需申请复查"):
        recourse.reinspection_request(merchant=m, improvements="没有问题也想复查一次。", actor=None)
    inspect(m, price_marking=MINOR, days_ago=5)
    ratings_recompute(merchant_ids=[m.pk])
    before = Merchant.objects.get(pk=m.pk).stars
    req = recourse.reinspection_request(merchant=m, improvements="价签已全部补齐并公示。", actor=None)
    assert 89 <= (req.visit_by - today()).days <= 92
    with pytest.raises(ValidationFailed):
        recourse.reinspection_request(merchant=m, improvements="重复申请复查一次。", actor=None)
    with pytest.raises(ValidationFailed, match="三个月内"):
        recourse.reinspection_schedule(request=req, visit_on=req.visit_by + timedelta(days=1), actor=None)
    recourse.reinspection_schedule(request=req, visit_on=today(), actor=None)
    worse = inspect(m, metrology="serious", days_ago=0)
    recourse.reinspection_complete(request=req, inspection=worse, actor=None)
    ratings_recompute(stale_only=True)
    assert Merchant.objects.get(pk=m.pk).stars < before


def test_portal_rating_api_says_under_appeal_from_filing_to_decision(rated, client):
    """The owner's rating endpoint carries the same flag as the open data: on when the appeal is filed, off
    when it is decided (FHRS publishes its "new rating pending" the same way)."""
    owner = UserFactory(username="owner_appeal")
    Membership.objects.create(user=owner, merchant=rated, role=MembershipRole.OWNER)
    client.force_login(owner)
    url = f"/api/v1/portal/merchants/{rated.pk}/rating/"
    before = client.get(url).json()
    assert before["under_appeal"] is False and before["rating_state"] == "rated"
    filed = client.post(f"/api/v1/portal/merchants/{rated.pk}/appeals/", {"grounds": "检查当日店主不在，记录有误。"})
    assert filed.status_code == 201, filed.content
    assert client.get(url).json()["under_appeal"] is True
    appeal = rated.appeals.get()
    recourse.appeal_decide(appeal=appeal, upheld=False, reason="经复核，维持原评定", actor=make_staff())
    assert client.get(url).json()["under_appeal"] is False
