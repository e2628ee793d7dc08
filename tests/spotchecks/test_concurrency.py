"""Two staff drawing (or approving) the same plan at once: exactly one draw (PostgreSQL, real threads)."""

from __future__ import annotations

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ConcurrentUpdate, TransitionNotAllowed
from integrity_portal.core.roles import StaffRole
from spotchecks.audit_actions import AuditAction
from spotchecks.models import PlanStatus, SpotCheckFreeze, SpotCheckPlan, SpotCheckTask
from spotchecks.services import spot_check_plan_approve, spot_check_plan_create, spot_check_plan_draw
from tests.complaints.test_concurrency import _race  # barrier-started threads, one connection each
from tests.factories import make_staff

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.postgres


def test_two_staff_drawing_at_once_make_one_draw(require_postgres, transactional_db, world):
    colleague = make_staff("410800", StaffRole.CITY_BUREAU)
    add_merchants("410802", {"A": 30, "B": 30, "C": 20, "D": 10})
    plan = spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"]))
    spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])
    outcomes = _race(
        lambda: spot_check_plan_draw(plan_id=plan.pk, actor=world["city"]),
        lambda: spot_check_plan_draw(plan_id=plan.pk, actor=colleague),
    )
    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert isinstance(loser, TransitionNotAllowed | ConcurrentUpdate) and loser.message
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAWN
    assert SpotCheckTask.objects.filter(plan=plan).count() == plan.drawn_count > 0
    assert audit_entries_for(plan).filter(action=AuditAction.PLAN_DRAWN).count() == 1


def test_two_staff_approving_at_once_freeze_once(require_postgres, transactional_db, world):
    colleague = make_staff("410800", StaffRole.CITY_BUREAU)
    add_merchants("410802", {"B": 10})
    plan = spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"]))
    outcomes = _race(
        lambda: spot_check_plan_approve(plan_id=plan.pk, actor=world["city"]),
        lambda: spot_check_plan_approve(plan_id=plan.pk, actor=colleague),
    )
    assert outcomes.count("ok") == 1, outcomes
    assert SpotCheckFreeze.objects.filter(plan=plan).count() == 1
    assert SpotCheckPlan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED
