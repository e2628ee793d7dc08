"""Fixtures for the campaign tests: staff per role, eligible merchants, campaigns at each stage.

Dates are relative to the real today, because commitments (an eligibility condition) are
signed today through the ratings service; services that move the campaign take ``today=``
so a test can stand on any day of the calendar without sleeping.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import (
    Application,
    ApplicationStatus,
    Campaign,
    CampaignCategory,
    CampaignStatus,
    Category,
)
from integrity_portal.core.roles import StaffRole
from tests.factories import MerchantFactory, make_staff


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def city_staff(regions):
    return make_staff("410800", StaffRole.CITY_BUREAU)


@pytest.fixture
def civility_staff(regions):
    return make_staff("410800", StaffRole.CIVILITY_OFFICE)


@pytest.fixture
def district_staff(regions):
    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def other_district_staff(regions):
    return make_staff("410803", StaffRole.DISTRICT_BRANCH)


def sign_commitment(merchant):
    from merchants.services.credit import commitment_sign

    return commitment_sign(merchant=merchant, kind="comprehensive", actor=None)


def eligible_merchant(
    *, kind: str = "merchant", region_code: str = "410802", stars: int = 5, large=False, **kw
):
    from merchants.models import Region

    merchant = MerchantFactory(
        kind=kind, stars=stars, is_large_venue=large, region=Region.objects.get(pk=region_code), **kw
    )
    sign_commitment(merchant)
    merchant.refresh_from_db()
    return merchant


def make_campaign(
    *,
    status: str = CampaignStatus.OPEN,
    year: int | None = None,
    region_code: str = "410800",
    app_start: date | None = None,
    app_end: date | None = None,
    publicity_start: date | None = None,
    publicity_days: int = 7,
    categories: dict | None = None,
    **extra,
) -> Campaign:
    """A campaign straight in the database (the services that move it are tested on their own)."""
    t = today()
    app_start = app_start or t - timedelta(days=5)
    app_end = app_end or t + timedelta(days=5)
    publicity_start = publicity_start or app_end + timedelta(days=20)
    campaign = Campaign.objects.create(
        year=year or t.year,
        region_id=region_code,
        title=f"{year or t.year}年全市文明诚信经营创建活动",
        status=status,
        application_start=app_start,
        application_end=app_end,
        review_deadline=publicity_start - timedelta(days=1),
        publicity_start=publicity_start,
        publicity_end=publicity_start + timedelta(days=publicity_days - 1),
        **extra,
    )
    default = {Category.MERCHANT: 2, Category.MARKET: None}
    for category, quota in (default if categories is None else categories).items():
        CampaignCategory.objects.create(campaign=campaign, category=category, quota=quota)
    return campaign


def make_application(campaign, merchant=None, *, status=ApplicationStatus.SUBMITTED, rank=None, total=None):
    merchant = merchant or MerchantFactory(stars=5)
    return Application.objects.create(
        campaign=campaign,
        merchant=merchant,
        category=merchant.kind,
        status=status,
        rank=rank,
        total_score=total,
        eligibility=[{"code": "stars", "label": "信用星级达标", "ok": True, "detail": "当前5星"}],
    )


def publicity_campaign(*, candidates: int = 2, region_code: str = "410800") -> Campaign:
    """A campaign whose publicity window contains today, with ``candidates`` merchant candidates."""
    t = today()
    campaign = make_campaign(
        status=CampaignStatus.PUBLICITY,
        region_code=region_code,
        app_start=t - timedelta(days=60),
        app_end=t - timedelta(days=30),
        publicity_start=t - timedelta(days=1),
        notice_title=f"关于公示全市{t.year}年度文明诚信市场、企业、商户的公告",
        notice_number=f"焦文明诚信公示〔{t.year}〕1号",
        notice_text="现将拟表彰名单予以公示。",
    )
    for i in range(candidates):
        make_application(
            campaign,
            MerchantFactory(stars=5, name=f"候选商户{i + 1}号"),
            status=ApplicationStatus.CANDIDATE,
            rank=i + 1,
        )
    return campaign


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
