"""Fixtures for the complaints tests: staff in two districts, a merchant with a member, and helpers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from integrity_portal.core.roles import StaffRole
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff

JIEFANG = "410802"
ZHONGZHAN = "410803"
CITY = "410800"


@pytest.fixture
def city_staff(regions):
    return make_staff(CITY, StaffRole.CITY_BUREAU)


@pytest.fixture
def district_staff(regions):
    return make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def other_district_staff(regions):
    return make_staff(ZHONGZHAN, StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def inspector(regions):
    return make_staff(JIEFANG, StaffRole.INSPECTOR)


@pytest.fixture
def merchant(regions):
    return MerchantFactory(name="测试超市")


@pytest.fixture
def member(merchant):
    return MembershipFactory(merchant=merchant, user=UserFactory(username="shopowner")).user


@pytest.fixture
def on_day(monkeypatch):
    """Pin the services' notion of "today" (deadlines are dates in the working-day calendar)."""
    from integrity_portal.core import workdays

    def set_day(day: date):
        monkeypatch.setattr(workdays, "today", lambda: day)
        return day

    return set_day


def submission(**overrides):
    from complaints.services import Submission
    from integrity_portal.core import workdays

    data = dict(
        kind="complaint",
        category="price",
        description="结账时实际收费高于标价二十元，商家拒绝退还。",
        name="测试王芳",
        phone="13912345678",
        address="测试地址人民路1号",
        harm_known_on=workdays.today() - timedelta(days=3),
        target_name="无名小店",
        target_address="解放路8号",
        region_code=JIEFANG,
        consent=True,
    )
    data.update(overrides)
    return Submission(**data)


def file_complaint(**overrides):
    from complaints.services import complaint_submit

    return complaint_submit(submission=submission(**overrides))[0]
