"""Demo data for the campaign (seeder order 50): a past campaign published with its lists, a current
one in review with applications in several states, one in publicity (so the public notice and the
objection form can be tried), this year's PSA quota and reports in mixed states for large venues.

Deterministic (merchants are picked by id order), idempotent (each part is skipped when its campaign
or quota already exists) and fast (bulk inserts; at most a few hundred rows whatever the register size).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import (
    DEFAULT_PSA_THEMES,
    AdLocation,
    AdMedium,
    AdPlacement,
    AdQuota,
    AdReport,
    AdReportStatus,
    Application,
    ApplicationReview,
    ApplicationStatus,
    Campaign,
    CampaignCategory,
    CampaignStatus,
    Category,
    ReviewDecision,
    ReviewLevel,
)

PER_CATEGORY = 4
PSA_VENUES = 80
SCHEME = (
    "一、指导思想：以培育和践行社会主义核心价值观为根本，推动文明诚信经营。\n"
    "二、评选范围：全市市场开办方、企业和个体工商户。\n"
    "三、评选条件：无生效的黑名单记录，无公示期内的严重行政处罚，信用星级不低于四星，签署信用承诺书；"
    "大型商场超市、市场和商业街公益广告刊播达标。\n"
    "四、评选程序：自愿申报、区县初审、市级复审（实地考察、问卷调查）、公示、表彰。"
)


def _eligible_checks() -> list[dict]:
    return [
        {"code": "black_list", "label": "无生效的黑名单记录", "ok": True, "detail": "无生效的黑名单记录。"},
        {
            "code": "serious_penalty",
            "label": "无公示期内的严重行政处罚",
            "ok": True,
            "detail": "无公示期内的严重行政处罚。",
        },
        {"code": "stars", "label": "信用星级达标", "ok": True, "detail": "当前星级不低于4星。"},
        {
            "code": "commitment",
            "label": "信用承诺在有效期内",
            "ok": True,
            "detail": "已签署有效期内的信用承诺书。",
        },
    ]


def _pick(city_code: str, kind: str, count: int, offset: int = 0):
    from merchants.models import Merchant, MerchantStatus

    return list(
        Merchant.objects.filter(region__parent_id=city_code, kind=kind, status=MerchantStatus.OPERATING)
        .order_by("id")
        .values_list("id", flat=True)[offset : offset + count]
    )


def _campaign(
    region_code: str, year: int, status: str, dates: dict, categories: dict, **extra
) -> Campaign | None:
    from merchants.models import Region

    region = Region.objects.filter(pk=region_code).first()
    if region is None or Campaign.objects.filter(year=year, region=region).exists():
        return None
    campaign = Campaign.objects.create(
        year=year,
        region=region,
        title=f"{year}年{region.name}文明诚信经营创建活动",
        scheme_text=SCHEME,
        status=status,
        **dates,
        **extra,
    )
    CampaignCategory.objects.bulk_create(
        [CampaignCategory(campaign=campaign, category=c, quota=q) for c, q in categories.items()]
    )
    return campaign


def _applications(campaign: Campaign, plan: list[tuple[str, int, str]], seed: int) -> list[Application]:
    """``plan``: (category, merchant id, status). Scores are deterministic from the seed and position."""
    apps, reviews = [], []
    for i, (category, merchant_id, status) in enumerate(plan):
        inspection = Decimal(70 + (seed * 7 + i * 13) % 30)
        survey = Decimal(75 + (seed * 5 + i * 11) % 25)
        scored = status in {
            ApplicationStatus.CITY_PASSED,
            ApplicationStatus.CANDIDATE,
            ApplicationStatus.COMMENDED,
        }
        apps.append(
            Application(
                campaign=campaign,
                merchant_id=merchant_id,
                category=category,
                status=status,
                statement="坚持明码标价、守法经营，积极参与公益活动，消费者满意度高。",
                eligibility=_eligible_checks(),
                inspection_score=inspection if scored else None,
                survey_score=survey if scored else None,
                total_score=((inspection * 60 + survey * 40) / 100).quantize(Decimal("0.01"))
                if scored
                else None,
                rejection_reason="初审发现申报材料与实际经营情况不符。"
                if status == ApplicationStatus.REJECTED
                else "",
            )
        )
    Application.objects.bulk_create(apps)
    for app in apps:
        if app.status == ApplicationStatus.SUBMITTED:
            continue
        passed_district = app.status != ApplicationStatus.REJECTED
        reviews.append(
            ApplicationReview(
                application=app,
                level=ReviewLevel.DISTRICT,
                decision=ReviewDecision.PASS if passed_district else ReviewDecision.REJECT,
                reason="材料齐全，符合申报条件。" if passed_district else app.rejection_reason,
            )
        )
        if app.total_score is not None:
            reviews.append(
                ApplicationReview(
                    application=app,
                    level=ReviewLevel.CITY,
                    decision=ReviewDecision.PASS,
                    reason="实地考察和问卷调查结果良好。",
                    inspection_score=app.inspection_score,
                    survey_score=app.survey_score,
                )
            )
    ApplicationReview.objects.bulk_create(reviews)
    return apps


def _rank(campaign: Campaign) -> None:
    for category in campaign.category_values():
        ranked = campaign.applications.filter(
            category=category, status__in=[ApplicationStatus.CITY_PASSED, ApplicationStatus.CANDIDATE]
        ).order_by("-total_score", "id")
        for pos, app in enumerate(ranked, start=1):
            Application.objects.filter(pk=app.pk).update(rank=pos)


def _seed_past(city: str, year: int, seed: int, stdout) -> None:
    from .services.publication import campaign_publish

    dates = {
        "application_start": date(year, 4, 1),
        "application_end": date(year, 4, 30),
        "review_deadline": date(year, 6, 15),
        "publicity_start": date(year, 6, 16),
        "publicity_end": date(year, 6, 22),
    }
    categories = {Category.MARKET: 2, Category.ENTERPRISE: 3, Category.MERCHANT: 4}
    with transaction.atomic():
        campaign = _campaign(
            city,
            year,
            CampaignStatus.PUBLICITY,
            dates,
            categories,
            publicity_started_at=timezone.make_aware(datetime(year, 6, 16, 9)),
        )
        if campaign is None:
            return
        plan = []
        for category, quota in categories.items():
            plan += [(category, mid, ApplicationStatus.CANDIDATE) for mid in _pick(city, category, quota)]
        _applications(campaign, plan, seed)
        _rank(campaign)
        campaign.notice_title = campaign.default_notice_title()
        campaign.notice_number = f"{campaign.region.name}文明诚信公示〔{year}〕1号"
        campaign.notice_text = (
            f"根据《{year}年全市文明诚信经营创建活动方案》，经自愿申报、区县初审、市级复审，"
            f"现将拟表彰的{len(plan)}家文明诚信市场、企业、商户名单予以公示。"
        )
        campaign.save(update_fields=["notice_title", "notice_number", "notice_text"])
        campaign_publish(campaign=campaign, actor=None, today=dates["publicity_end"] + timedelta(days=1))
    stdout.write(f"  campaigns: {year} campaign published with {len(plan)} commended\n")


def _seed_current(city: str, year: int, today: date, seed: int, stdout) -> None:
    dates = {
        "application_start": today - timedelta(days=40),
        "application_end": today - timedelta(days=10),
        "review_deadline": today + timedelta(days=20),
        "publicity_start": today + timedelta(days=21),
        "publicity_end": today + timedelta(days=27),
    }
    categories = {Category.MARKET: 3, Category.ENTERPRISE: 5, Category.MERCHANT: 10}
    states = [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.DISTRICT_PASSED,
        ApplicationStatus.CITY_PASSED,
        ApplicationStatus.REJECTED,
    ]
    with transaction.atomic():
        campaign = _campaign(city, year, CampaignStatus.REVIEWING, dates, categories)
        if campaign is None:
            return
        plan = []
        for category in categories:
            plan += [(category, mid) for mid in _pick(city, category, PER_CATEGORY, offset=PER_CATEGORY)]
        plan = [(category, mid, states[i % len(states)]) for i, (category, mid) in enumerate(plan)]
        _applications(campaign, plan, seed)
    stdout.write(f"  campaigns: {year} campaign in review with {len(plan)} applications\n")


def _seed_publicity(city: str, year: int, today: date, seed: int, stdout) -> None:
    dates = {
        "application_start": today - timedelta(days=70),
        "application_end": today - timedelta(days=40),
        "review_deadline": today - timedelta(days=3),
        "publicity_start": today - timedelta(days=2),
        "publicity_end": today + timedelta(days=5),
    }
    categories = {Category.MARKET: 2, Category.ENTERPRISE: 3, Category.MERCHANT: 5}
    with transaction.atomic():
        campaign = _campaign(
            city, year, CampaignStatus.PUBLICITY, dates, categories, publicity_started_at=timezone.now()
        )
        if campaign is None:
            return
        plan = []
        for category, quota in categories.items():
            plan += [(category, mid, ApplicationStatus.CANDIDATE) for mid in _pick(city, category, quota)]
        _applications(campaign, plan, seed)
        _rank(campaign)
        campaign.notice_title = campaign.default_notice_title()
        campaign.notice_number = f"{campaign.region.name}文明诚信公示〔{year}〕1号"
        campaign.notice_text = (
            f"根据《{year}年全市文明诚信经营创建活动方案》，经自愿申报、区县初审、市级复审（实地考察、问卷调查），"
            f"现将拟表彰的{len(plan)}家文明诚信市场、企业、商户名单予以公示。"
            f"公示期为{dates['publicity_start']:%Y年%m月%d日}至{dates['publicity_end']:%Y年%m月%d日}。"
            "对公示对象有异议的，可通过本页实名提出，异议人信息不予公开。"
        )
        campaign.save(update_fields=["notice_title", "notice_number", "notice_text"])
    stdout.write(f"  campaigns: {year} campaign in publicity with {len(plan)} candidates\n")


def _seed_psa(year: int, seed: int, stdout) -> None:
    from merchants.models import Merchant, MerchantStatus

    if AdQuota.objects.filter(year=year, region__isnull=True).exists():
        return
    with transaction.atomic():
        # The national default (30 %, 31 May); a city may set its own row in the admin.
        quota = AdQuota.objects.create(
            year=year, region=None, deadline=date(year, 5, 31), themes=list(DEFAULT_PSA_THEMES)
        )
        venues = list(
            Merchant.objects.filter(is_large_venue=True, status=MerchantStatus.OPERATING)
            .order_by("id")
            .values_list("id", flat=True)[:PSA_VENUES]
        )
        reports, plans = [], []
        for i, mid in enumerate(venues):
            state = (i + seed) % 5
            if state == 4:
                continue  # not reported yet
            total = 20 + (i * 7) % 30
            psa = total * 40 // 100 if state in (0, 2) else total * 20 // 100
            entrance = min(psa, 2) if state != 3 else 0
            status = {
                0: AdReportStatus.VERIFIED,
                1: AdReportStatus.VERIFIED,
                2: AdReportStatus.SUBMITTED,
                3: AdReportStatus.REJECTED,
            }[state]
            compliant = None if status == AdReportStatus.SUBMITTED else (state == 0)
            reports.append(
                AdReport(
                    quota=quota,
                    merchant_id=mid,
                    period=f"{year}年5月",
                    status=status,
                    total_ads=total,
                    psa_ads=psa,
                    psa_at_entrance=entrance,
                    is_compliant=compliant,
                    verification_note=""
                    if status == AdReportStatus.SUBMITTED
                    else (
                        "现场核查属实。"
                        if status == AdReportStatus.VERIFIED
                        else "现场入口处未见公益广告，与报告不符。"
                    ),
                    verified_at=None if status == AdReportStatus.SUBMITTED else timezone.now(),
                )
            )
            plans.append((total, psa, entrance, i))
        AdReport.objects.bulk_create(reports)
        placements = []
        for report, (total, psa, entrance, i) in zip(reports, plans, strict=True):
            themes = DEFAULT_PSA_THEMES
            if entrance:
                placements.append(
                    AdPlacement(
                        report=report,
                        medium=AdMedium.LED,
                        location=AdLocation.ENTRANCE,
                        total_ads=entrance * 2,
                        psa_ads=entrance,
                        theme=themes[i % 3],
                    )
                )
            placements.append(
                AdPlacement(
                    report=report,
                    medium=AdMedium.BILLBOARD,
                    location=AdLocation.PROMINENT,
                    total_ads=total - entrance * 2,
                    psa_ads=psa - entrance,
                    theme=themes[(i + 1) % 3],
                )
            )
        AdPlacement.objects.bulk_create(placements)
    stdout.write(f"  campaigns: {year} PSA quota, {len(reports)} reports from {len(venues)} large venues\n")


def seed_campaigns(*, seed: int, merchant_count: int, stdout) -> None:
    today = timezone.localdate()
    _seed_past("410800", today.year - 1, seed, stdout)
    _seed_current("410800", today.year, today, seed, stdout)
    _seed_publicity("411000", today.year, today, seed, stdout)
    _seed_psa(today.year, seed, stdout)
