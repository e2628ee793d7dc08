"""Campaign moves draft → open → reviewing → publicity → published → archived: each allowed move with
its prerequisites, each refused one with what is missing, and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    Category,
    CommendationList,
    Objection,
)
from campaigns.services import (
    campaign_archive,
    campaign_create,
    campaign_open,
    campaign_publish,
    campaign_start_publicity,
    campaign_start_review,
)
from campaigns.workflow import CAMPAIGN_WORKFLOW
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests.factories import MerchantFactory

from .conftest import make_application, make_campaign, today

ALL = list(CampaignStatus.values)
ALLOWED = {
    ("draft", "open"),
    ("open", "reviewing"),
    ("reviewing", "publicity"),
    ("publicity", "published"),
    ("published", "archived"),
}


@pytest.mark.parametrize("source,target", [(s, t) for s in ALL for t in ALL if (s, t) not in ALLOWED])
def test_campaign_workflow_refuses_every_move_outside_the_map(source, target):
    with pytest.raises(TransitionNotAllowed):
        CAMPAIGN_WORKFLOW.check(source, target)


def test_campaign_workflow_map_is_exactly_the_linear_pipeline():
    allowed = {(s, t) for s in ALL for t in ALL if CAMPAIGN_WORKFLOW.can(s, t)}
    assert allowed == ALLOWED


def test_campaign_create_records_categories_and_refuses_second_campaign_for_same_year_and_scope(
    regions, city_staff
):
    from merchants.models import Region

    t = today()
    kwargs = dict(
        year=t.year,
        region=Region.objects.get(pk="410800"),
        title="文明诚信经营创建活动",
        application_start=t,
        application_end=t + timedelta(days=30),
        review_deadline=t + timedelta(days=50),
        publicity_start=t + timedelta(days=51),
        publicity_end=t + timedelta(days=57),
        categories={Category.MERCHANT: 10, Category.MARKET: None},
        actor=city_staff,
    )
    campaign = campaign_create(**kwargs)
    assert sorted(campaign.category_values()) == ["market", "merchant"]
    assert audit_entries_for(campaign).get().action == "campaign.create"
    with pytest.raises(ValidationFailed):
        campaign_create(**kwargs)
    assert Campaign.objects.count() == 1


def test_campaign_create_refuses_publicity_shorter_than_seven_days(regions, city_staff):
    from merchants.models import Region

    t = today()
    with pytest.raises(ValidationFailed, match="公示期不少于7天"):
        campaign_create(
            year=t.year,
            region=Region.objects.get(pk="410800"),
            title="x",
            application_start=t,
            application_end=t + timedelta(days=30),
            review_deadline=t + timedelta(days=50),
            publicity_start=t + timedelta(days=51),
            publicity_end=t + timedelta(days=56),
            categories={Category.MERCHANT: 10},
            actor=city_staff,
        )


def test_district_branch_may_not_run_a_campaign(regions, district_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    with pytest.raises(NotPermitted):
        campaign_open(campaign=campaign, actor=district_staff)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_open_moves_draft_to_open_and_audits(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    campaign_open(campaign=campaign, actor=city_staff)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN
    entry = audit_entries_for(campaign).get()
    assert (entry.from_status, entry.to_status, entry.actor) == ("draft", "open", city_staff)


def test_open_refused_without_categories_or_after_the_window(regions, civility_staff):
    campaign = make_campaign(status=CampaignStatus.DRAFT, categories={})
    with pytest.raises(TransitionNotAllowed, match="尚未设置评选类别"):
        campaign_open(campaign=campaign, actor=civility_staff)
    late = make_campaign(status=CampaignStatus.DRAFT, year=today().year + 1)
    with pytest.raises(TransitionNotAllowed, match="申报截止日期"):
        campaign_open(campaign=late, actor=civility_staff, today=late.application_end + timedelta(days=1))
    assert not audit_entries_for(campaign).exists()


def test_start_review_refused_while_applications_are_still_open(regions, city_staff):
    campaign = make_campaign()
    with pytest.raises(TransitionNotAllowed, match="申报期尚未结束"):
        campaign_start_review(campaign=campaign, actor=city_staff)
    campaign_start_review(
        campaign=campaign, actor=city_staff, today=campaign.application_end + timedelta(days=1)
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REVIEWING


def test_start_publicity_refused_with_unreviewed_applications_listing_them(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    make_application(campaign, status=ApplicationStatus.SUBMITTED)
    make_application(campaign, status=ApplicationStatus.DISTRICT_PASSED)
    make_application(campaign, status=ApplicationStatus.CITY_PASSED, total=Decimal("90"))
    with pytest.raises(TransitionNotAllowed) as exc:
        campaign_start_publicity(campaign=campaign, actor=city_staff, today=campaign.publicity_start)
    assert "2 份申报未完成审核" in exc.value.message and "待初审 1 份" in exc.value.message
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REVIEWING


def test_start_publicity_refused_before_its_date_or_with_under_seven_days_left(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    make_application(campaign, status=ApplicationStatus.CITY_PASSED, total=Decimal("90"))
    with pytest.raises(TransitionNotAllowed, match="公示开始日期"):
        campaign_start_publicity(
            campaign=campaign, actor=city_staff, today=campaign.publicity_start - timedelta(1)
        )
    with pytest.raises(TransitionNotAllowed, match="不足7天"):
        campaign_start_publicity(
            campaign=campaign, actor=city_staff, today=campaign.publicity_start + timedelta(1)
        )


def test_start_publicity_refused_without_any_city_passed_application(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    make_application(campaign, status=ApplicationStatus.REJECTED)
    with pytest.raises(TransitionNotAllowed, match="没有复审通过"):
        campaign_start_publicity(campaign=campaign, actor=city_staff, today=campaign.publicity_start)


def test_start_publicity_ranks_by_weighted_total_and_rejects_beyond_quota(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.REVIEWING, categories={Category.MERCHANT: 2})
    low = make_application(campaign, status=ApplicationStatus.CITY_PASSED, total=Decimal("70"))
    top = make_application(campaign, status=ApplicationStatus.CITY_PASSED, total=Decimal("95"))
    mid = make_application(campaign, status=ApplicationStatus.CITY_PASSED, total=Decimal("88.5"))
    campaign_start_publicity(campaign=campaign, actor=city_staff, today=campaign.publicity_start)
    for app in (low, top, mid):
        app.refresh_from_db()
    assert (top.rank, top.status) == (1, ApplicationStatus.CANDIDATE)
    assert (mid.rank, mid.status) == (2, ApplicationStatus.CANDIDATE)
    assert (low.rank, low.status) == (3, ApplicationStatus.REJECTED)
    assert "超出名额" in low.rejection_reason
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLICITY
    assert campaign.notice_title == f"关于公示全市{campaign.year}年度文明诚信商户的公告"
    assert campaign.notice_number and campaign.notice_text
    assert audit_entries_for(low).filter(to_status="rejected").exists()


def _publicity_over(campaign):
    return campaign.publicity_end + timedelta(days=1)


def test_publish_refused_before_publicity_ends(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.PUBLICITY, notice_number="焦〔2026〕1号")
    make_application(campaign, status=ApplicationStatus.CANDIDATE, rank=1)
    with pytest.raises(TransitionNotAllowed, match="公示期尚未结束"):
        campaign_publish(campaign=campaign, actor=city_staff, today=campaign.publicity_end)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLICITY
    assert not CommendationList.objects.exists()


def test_publish_refused_while_an_objection_is_open(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.PUBLICITY, notice_number="焦〔2026〕1号")
    app = make_application(campaign, status=ApplicationStatus.CANDIDATE, rank=1)
    Objection.objects.create(
        application=app,
        reference="YY1",
        objector_name="李四",
        objector_phone="13800000000",
        content="该商户存在缺斤短两问题。",
    )
    with pytest.raises(TransitionNotAllowed, match="1 件异议未处理"):
        campaign_publish(campaign=campaign, actor=city_staff, today=_publicity_over(campaign))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLICITY
    assert not CommendationList.objects.exists()


def test_publish_freezes_lists_commends_and_puts_merchants_on_red_list(regions, city_staff):
    from merchants.models import ListEntry

    campaign = make_campaign(
        status=CampaignStatus.PUBLICITY,
        notice_number="焦文明诚信〔2026〕1号",
        notice_title="关于公示全市2026年度文明诚信市场、商户的公告",
        red_list_years=2,
    )
    merchant = MerchantFactory(stars=5)
    app = make_application(
        campaign, merchant, status=ApplicationStatus.CANDIDATE, rank=1, total=Decimal("91")
    )
    rejected = make_application(campaign, status=ApplicationStatus.REJECTED)
    lists = campaign_publish(campaign=campaign, actor=city_staff, today=_publicity_over(campaign))
    assert sorted(cl.category for cl in lists) == ["market", "merchant"]
    merchant_list = CommendationList.objects.get(campaign=campaign, category="merchant")
    assert [e.merchant_id for e in merchant_list.entries.all()] == [merchant.pk]
    assert merchant_list.notice_number == "焦文明诚信〔2026〕1号"
    app.refresh_from_db()
    rejected.refresh_from_db()
    assert app.status == ApplicationStatus.COMMENDED and rejected.status == ApplicationStatus.REJECTED
    entry = ListEntry.objects.get(merchant=merchant, list_name="red")
    assert entry.kind == "commended" and entry.decision_number == "焦文明诚信〔2026〕1号"
    assert entry.valid_until == _publicity_over(campaign).replace(year=_publicity_over(campaign).year + 2)
    merchant.refresh_from_db()
    assert merchant.rating_stale is True
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED and campaign.published_at
    assert audit_entries_for(campaign).filter(to_status="published").exists()
    assert audit_entries_for(app).filter(to_status="commended").exists()


@pytest.mark.parametrize(
    "status,call",
    [
        ("draft", campaign_start_publicity),
        ("draft", campaign_start_review),
        ("open", campaign_start_publicity),
        ("open", campaign_publish),
        ("reviewing", campaign_open),
        ("publicity", campaign_start_review),
        ("published", campaign_publish),
        ("archived", campaign_open),
    ],
)
def test_out_of_order_moves_are_refused_saying_what_comes_next(regions, city_staff, status, call):
    campaign = make_campaign(status=status)
    with pytest.raises(TransitionNotAllowed, match="活动当前为") as exc:
        call(campaign=campaign, actor=city_staff)
    assert ("下一步只能是" in exc.value.message) or status == "archived"
    campaign.refresh_from_db()
    assert campaign.status == status
    assert not audit_entries_for(campaign).exists()


def test_archive_only_after_publication(regions, city_staff):
    campaign = make_campaign(status=CampaignStatus.PUBLICITY)
    with pytest.raises(TransitionNotAllowed):
        campaign_archive(campaign=campaign, actor=city_staff)
    campaign.status = CampaignStatus.PUBLISHED
    campaign.save(update_fields=["status"])
    campaign_archive(campaign=campaign, actor=city_staff)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ARCHIVED
