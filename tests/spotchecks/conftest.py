"""A small world for spot checks: city 焦作 (410800) with districts 解放区 (410802) and 中站区 (410803),
planners at both levels, three inspectors per district and a spread of merchants over the credit classes."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from integrity_portal.core.roles import StaffRole
from merchants.models import Merchant
from tests.factories import MerchantFactory, make_inspector, make_staff

_n = itertools.count(1)


def add_merchants(region_code: str, per_class: dict[str, int]) -> list[Merchant]:
    """``per_class``: credit class ("" = unrated) → how many operating merchants to add in ``region_code``."""
    from merchants.models import Region

    region = Region.objects.get(code=region_code)
    made = []
    for cls, count in per_class.items():
        made += MerchantFactory.create_batch(count, region=region, credit_class=cls)
    return made


def plan_kwargs(region, **overrides) -> dict:
    values = {
        "region": region,
        "title": f"2026年第{next(_n)}批双随机抽查",
        "year": 2026,
        "due_on": timezone.localdate() + timedelta(days=60),
        "items": ["price_marking", "metrology"],
    }
    values.update(overrides)
    return values


@pytest.fixture
def world(regions):
    city = make_staff("410800", StaffRole.CITY_BUREAU)
    district = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    other_district = make_staff("410803", StaffRole.DISTRICT_BRANCH)
    inspectors_802 = [make_inspector("410802") for _ in range(3)]
    inspectors_803 = [make_inspector("410803") for _ in range(3)]
    return {
        "regions": regions,
        "city": city,
        "district": district,
        "other_district": other_district,
        "inspectors_802": inspectors_802,
        "inspectors_803": inspectors_803,
    }
