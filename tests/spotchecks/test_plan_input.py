"""Bad input to a plan is refused with a clear message and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.roles import StaffRole
from spotchecks.models import PlanStatus, SpotCheckFreeze, SpotCheckPlan
from spotchecks.services import (
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
    spot_check_plan_update,
)
from tests.factories import make_inspector, make_staff

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"A": "-1"}, "0% 至 100%"),
        ({"D": "101"}, "0% 至 100%"),
        ({"A": "6"}, "A 类抽查比例须在 0% 至 5%"),
        ({"B": "4.99"}, "B 类抽查比例须在 5% 至 20%"),
        ({"C": "20.5"}, "C 类抽查比例须在 21% 至 60%"),
        ({"D": "60"}, "D 类抽查比例须在 61% 至 100%"),
        ({"B": "abc"}, "不是有效数字"),
    ],
)
def test_a_share_outside_0_100_or_its_band_is_refused(world, shares, message):
    with pytest.raises(ValidationFailed, match=message):
        spot_check_plan_create(actor=world["city"], shares=shares, **plan_kwargs(world["regions"]["410800"]))
    assert not SpotCheckPlan.objects.exists()


def test_shares_at_the_band_edges_are_accepted(world):
    plan = spot_check_plan_create(
        actor=world["city"],
        shares={"A": "0", "B": "20", "C": "21", "D": "100"},
        **plan_kwargs(world["regions"]["410800"]),
    )
    assert {c: str(v) for c, v in plan.shares().items()} == {"A": "0", "B": "20", "C": "21", "D": "100"}


def test_districts_outside_the_planners_region_are_refused_by_name(world):
    regions = world["regions"]
    # A district plans for its own district only.
    with pytest.raises(NotPermitted):
        spot_check_plan_create(actor=world["district"], **plan_kwargs(regions["410800"]))
    with pytest.raises(ValidationFailed, match="中站区"):
        spot_check_plan_create(actor=world["district"], districts=["410803"], **plan_kwargs(regions["410802"]))
    # The city plans for its districts, not another city's.
    with pytest.raises(ValidationFailed, match="魏都区"):
        spot_check_plan_create(actor=world["city"], districts=["410802", "411002"], **plan_kwargs(regions["410800"]))
    assert not SpotCheckPlan.objects.exists()
    plan = spot_check_plan_create(actor=world["district"], districts=["410802"], **plan_kwargs(regions["410802"]))
    assert list(plan.districts.values_list("code", flat=True)) == ["410802"]


def test_inspectors_and_other_cities_may_not_plan(world):
    with pytest.raises(NotPermitted):
        spot_check_plan_create(actor=world["inspectors_802"][0], **plan_kwargs(world["regions"]["410802"]))
    other_city = make_staff("411000", StaffRole.CITY_BUREAU)
    with pytest.raises(NotPermitted):
        spot_check_plan_create(actor=other_city, **plan_kwargs(world["regions"]["410800"]))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"items": []}, "检查事项"),
        ({"items": ["bogus"]}, "未知的检查事项"),
        ({"merchant_kinds": ["ghost"]}, "未知的主体类型"),
        ({"min_count": 5, "max_count": 3}, "最多抽取户数"),
        ({"due_on": timezone.localdate() - timedelta(days=1)}, "期限"),
        ({"exclude_inspected_months": 61}, "月数"),
        ({"year": 1999}, "年度"),
        ({"title": "计" * 121}, "120"),
    ],
)
def test_other_bad_scope_is_refused(world, overrides, message):
    with pytest.raises(ValidationFailed, match=message):
        spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"], **overrides))
    assert not SpotCheckPlan.objects.exists()


def test_editing_the_scope_after_approval_is_refused_but_the_title_may_change_until_the_draw(world):
    add_merchants("410802", {"B": 5})
    plan = spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"]))
    spot_check_plan_update(plan_id=plan.pk, actor=world["city"], changes={"share_b": "15", "districts": ["410802"]})
    plan.refresh_from_db()
    assert str(plan.share_b) == "15.00" and list(plan.districts.values_list("code", flat=True)) == ["410802"]
    spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])
    for changes in ({"share_b": "20"}, {"districts": ["410802", "410803"]}, {"items": ["premises"]}, {"max_count": 1}):
        with pytest.raises(TransitionNotAllowed, match="抽查范围和抽查比例不能再修改"):
            spot_check_plan_update(plan_id=plan.pk, actor=world["city"], changes=changes)
    spot_check_plan_update(plan_id=plan.pk, actor=world["city"], changes={"title": "改名后的计划"})
    spot_check_plan_draw(plan_id=plan.pk, actor=world["city"])
    with pytest.raises(TransitionNotAllowed):
        spot_check_plan_update(plan_id=plan.pk, actor=world["city"], changes={"title": "再改名"})
    with pytest.raises(TransitionNotAllowed, match="抽查范围"):
        spot_check_plan_update(plan_id=plan.pk, actor=world["city"], changes={"share_b": "6"})
    plan.refresh_from_db()
    assert plan.title == "改名后的计划" and str(plan.share_b) == "15.00"


def test_fewer_than_two_eligible_inspectors_refuses_approval_naming_the_district(world):
    add_merchants("410802", {"B": 5})
    add_merchants("410804", {"B": 5})  # 马村区: one inspector only
    make_inspector("410804")
    plan = spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"]))
    with pytest.raises(ValidationFailed, match="马村区") as exc:
        spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])
    assert exc.value.details["districts"] == ["410804"] and "解放区" not in exc.value.message
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.seed_commitment == "" and not SpotCheckFreeze.objects.exists()


def test_an_empty_scope_cannot_be_approved(world):
    plan = spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"]))
    with pytest.raises(ValidationFailed, match="没有可抽取"):
        spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
