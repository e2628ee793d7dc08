"""Staff see their region's plans and tasks, inspectors their own tasks; the public sees plans from approval,
the seed only once drawn, results only once published, and never a credit class or an inspector."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.roles import StaffRole
from merchants.models import InspectionOutcome
from spotchecks.models import PlanStatus, SpotCheckPlan, SpotCheckTask
from spotchecks.selectors import (
    plans_for_staff,
    public_plan,
    public_plan_results,
    public_plan_summary,
    public_plans,
    tasks_for_inspector,
    tasks_for_staff,
)
from spotchecks.services import (
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
    spot_check_plan_publish,
    spot_check_task_record,
)
from tests.factories import make_staff

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db


def _plan(world, actor, region):
    return spot_check_plan_create(actor=actor, shares={"D": "100"}, **plan_kwargs(world["regions"][region]))


def test_staff_see_plans_and_tasks_of_their_region_only(world):
    add_merchants("410802", {"D": 2})
    add_merchants("410803", {"D": 2})
    city_plan = _plan(world, world["city"], "410800")
    own = _plan(world, world["district"], "410802")
    other = _plan(world, world["other_district"], "410803")
    assert set(plans_for_staff(world["city"])) == {city_plan, own, other}
    assert set(plans_for_staff(world["district"])) == {own}
    for plan in (city_plan,):
        spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])
        spot_check_plan_draw(plan_id=plan.pk, actor=world["city"])
    assert {t.region_id for t in tasks_for_staff(world["district"])} == {"410802"}
    assert tasks_for_staff(world["city"]).count() == 4
    # The draw's seed is random, so which of the three inspectors got a task differs per run: take each
    # inspector's own tasks from the drawn pairs (an inspector drawn for none sees none).
    drawn = list(SpotCheckTask.objects.filter(region_id="410802"))
    assert len(drawn) == 2
    for inspector in world["inspectors_802"]:
        expected = {t.pk for t in drawn if inspector.pk in (t.inspector_1_id, t.inspector_2_id)}
        assert {t.pk for t in tasks_for_inspector(inspector)} == expected
    assert any(tasks_for_inspector(i).exists() for i in world["inspectors_802"])
    # Another district's officer cannot approve or draw this district's plan.
    from integrity_portal.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        spot_check_plan_approve(plan_id=own.pk, actor=world["other_district"])


def test_public_sees_commitment_from_approval_seed_after_draw_results_after_publication(world):
    merchants = add_merchants("410802", {"D": 2, "A": 1})
    plan = _plan(world, world["district"], "410802")
    assert public_plan(plan.pk) is None
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    plan = public_plan(plan.pk)
    summary = public_plan_summary(plan)
    assert summary["seed_commitment"] and summary["seed"] == "" and summary["drawn_count"] is None
    spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])
    plan.refresh_from_db()
    assert public_plan_summary(plan)["seed"] == plan.seed and public_plan_results(plan) == []
    assert list(public_plans(published_only=True)) == []
    for task in SpotCheckTask.objects.filter(plan=plan):
        spot_check_task_record(
            task_id=task.pk, actor=world["district"], inspected_on=timezone.localdate(), findings={},
            outcome=InspectionOutcome.SATISFACTORY,
        )
    spot_check_plan_publish(plan_id=plan.pk, actor=world["district"])
    plan.refresh_from_db()
    assert list(public_plans(published_only=True)) == [plan]
    rows = public_plan_results(plan)
    assert {r["merchant_id"] for r in rows} <= {m.pk for m in merchants} and len(rows) == plan.drawn_count
    text = repr(rows) + repr(public_plan_summary(plan))
    for forbidden in ("credit_class", "inspector", "'D'", "certificate"):
        assert forbidden not in text
    names = {p.full_name for p in (i.staff_profile for i in world["inspectors_802"])}
    assert not any(name in text for name in names)


def test_admin_is_region_scoped_and_decides_through_the_buttons(world, client):
    add_merchants("410802", {"D": 2})
    own = _plan(world, world["district"], "410802")
    client.force_login(world["other_district"])
    assert client.get(reverse("admin:spotchecks_spotcheckplan_change", args=[own.pk])).status_code == 404
    url = reverse("admin:spotchecks_spotcheckplan_decide", args=[own.pk, "approve"])
    assert client.post(url, {"reason": ""}).status_code == 404
    client.force_login(world["district"])
    page = client.get(reverse("admin:spotchecks_spotcheckplan_change", args=[own.pk]))
    assert page.status_code == 200 and "批准并公布种子承诺值" in page.content.decode()
    client.post(url, {"reason": ""})
    own.refresh_from_db()
    assert own.status == PlanStatus.APPROVED
    client.post(reverse("admin:spotchecks_spotcheckplan_decide", args=[own.pk, "draw"]), {"reason": ""})
    own.refresh_from_db()
    assert own.status == PlanStatus.DRAWN and own.seed
    # A second click writes nothing more.
    response = client.post(reverse("admin:spotchecks_spotcheckplan_decide", args=[own.pk, "draw"]), {"reason": ""})
    assert response.status_code == 302 and SpotCheckTask.objects.filter(plan=own).count() == 2


def test_admin_creates_a_plan_and_shows_a_bad_share_as_a_form_error(world, client):
    client.force_login(world["district"])
    url = reverse("admin:spotchecks_spotcheckplan_add")
    data = {
        "region": "410802", "title": "解放区抽查", "year": 2026, "districts": ["410802"],
        "items": ["price_marking"], "share_a": "3", "share_b": "25", "share_c": "30", "share_d": "70",
        "min_count": 0, "exclude_inspected_months": 0, "due_on": str(timezone.localdate()),
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "B 类抽查比例须在 5% 至 20%" in response.content.decode()
    assert not SpotCheckPlan.objects.exists()
    data["share_b"] = "10"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = SpotCheckPlan.objects.get()
    assert plan.created_by == world["district"] and list(plan.districts.values_list("code", flat=True)) == ["410802"]


def test_inspector_lists_my_tasks_and_records_a_result_in_the_admin(world, client):
    add_merchants("410802", {"D": 3})
    plan = _plan(world, world["district"], "410802")
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])
    task = SpotCheckTask.objects.filter(plan=plan).first()
    inspector = task.inspector_1
    client.force_login(inspector)
    listing = client.get(reverse("admin:spotchecks_spotchecktask_changelist") + "?mine=1")
    assert listing.status_code == 200 and task.merchant.name in listing.content.decode()
    url = reverse("admin:spotchecks_spotchecktask_record", args=[task.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "inspected_on": str(timezone.localdate()), "outcome": InspectionOutcome.SATISFACTORY,
        "item_price_marking": "pass", "item_metrology": "minor",
    })
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.inspection.metrology == "minor"
    other = make_staff("410803", StaffRole.DISTRICT_BRANCH)
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_conflicts_are_declared_in_the_admin_from_the_roster_by_name(world, client):
    from spotchecks.models import InspectorConflict

    merchant = add_merchants("410802", {"B": 1})[0]
    inspector = world["inspectors_802"][0]
    client.force_login(world["district"])
    url = reverse("admin:spotchecks_inspectorconflict_add")
    page = client.get(url).content.decode()
    assert inspector.staff_profile.roster_label in page and world["city"].get_username() not in page
    response = client.post(url, {"inspector": inspector.pk, "merchant": merchant.pk, "reason": "亲属关系"})
    assert response.status_code == 302
    conflict = InspectorConflict.objects.get()
    assert (conflict.inspector, conflict.merchant, conflict.declared_by) == (inspector, merchant, world["district"])
    response = client.post(url, {"inspector": world["city"].pk, "merchant": merchant.pk, "reason": "x"})
    assert response.status_code == 200 and InspectorConflict.objects.count() == 1
