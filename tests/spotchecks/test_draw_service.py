"""Approval freezes the lists and commits to a secret seed; the draw is the published function of both."""

from __future__ import annotations

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import TransitionNotAllowed
from spotchecks import draw as draw_algorithm
from spotchecks.audit_actions import AuditAction
from spotchecks.models import PlanStatus, SpotCheckTask
from spotchecks.selectors import draw_record
from spotchecks.services import spot_check_plan_approve, spot_check_plan_create, spot_check_plan_draw

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db


def _approved(world, **overrides):
    plan = spot_check_plan_create(actor=world["city"], **plan_kwargs(world["regions"]["410800"], **overrides))
    return spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])


def test_shares_are_honoured_per_class_within_rounding(world):
    add_merchants("410802", {"A": 40, "B": 30, "C": 20, "D": 10, "": 10})
    add_merchants("410803", {"A": 20, "B": 10, "C": 10, "D": 5})
    plan = _approved(world, shares={"A": "5", "B": "12.5", "C": "30", "D": "80"})
    plan = spot_check_plan_draw(plan_id=plan.pk, actor=world["city"])
    tasks = SpotCheckTask.objects.filter(plan=plan)
    drawn = {c: tasks.filter(credit_class=c).count() for c in "ABCD"}
    # eligible: A 60, B 40 + 10 unrated = 50, C 30, D 15 → ceil(share × n)
    assert drawn == {"A": 3, "B": 7, "C": 9, "D": 12}
    assert plan.drawn_count == 31 and plan.status == PlanStatus.DRAWN
    unrated = set(tasks.filter(merchant__credit_class="").values_list("credit_class", flat=True))
    assert unrated <= {"B"}


def test_commitment_published_at_approval_matches_the_seed_revealed_by_the_draw(world):
    add_merchants("410802", {"B": 10, "D": 3})
    plan = _approved(world)
    assert plan.status == PlanStatus.APPROVED and plan.seed == "" and len(plan.seed_commitment) == 64
    record = draw_record(plan)
    assert record["seed"] == "" and draw_algorithm.frozen_digest(record["frozen"]) == plan.frozen_digest
    commitment = plan.seed_commitment
    plan = spot_check_plan_draw(plan_id=plan.pk, actor=world["city"])
    assert plan.seed and draw_algorithm.commitment(plan.seed) == commitment
    entry = audit_entries_for(plan).get(action=AuditAction.PLAN_DRAWN)
    assert entry.data["seed"] == plan.seed and entry.from_status == PlanStatus.APPROVED


def test_the_draw_is_reproducible_from_the_published_record_and_changes_with_another_seed(world):
    add_merchants("410802", {"A": 30, "B": 30, "C": 30, "D": 30})
    plan = spot_check_plan_draw(plan_id=_approved(world).pk, actor=world["city"])
    record = draw_record(plan, with_openings=True, with_tasks=True)
    assert draw_algorithm.verify(record, tasks=record["tasks"]) == []
    recomputed = draw_algorithm.draw(record["seed"], record["frozen"])
    assert recomputed == record["drawn"]
    other = draw_algorithm.draw("00" * 32, record["frozen"])
    assert [r["token"] for r in other] != [r["token"] for r in recomputed]
    assert len(other) == len(recomputed)  # same shares, other merchants


def test_public_record_names_tokens_never_merchant_ids(world):
    merchants = add_merchants("410802", {"A": 5, "D": 5})
    plan = spot_check_plan_draw(plan_id=_approved(world).pk, actor=world["city"])
    record = draw_record(plan)
    assert "openings" not in record and "tasks" not in record and "merchant_ids" not in record["frozen"]
    text = str(record["frozen"]["merchants"])
    assert all(f"'{m.pk}'" not in text and f" {m.pk}," not in text for m in merchants)
    assert draw_algorithm.verify(record) == []


def test_a_second_draw_is_refused_and_writes_nothing(world):
    add_merchants("410802", {"B": 10})
    plan = spot_check_plan_draw(plan_id=_approved(world).pk, actor=world["city"])
    before = list(SpotCheckTask.objects.filter(plan=plan).values_list("merchant_id", "inspector_1_id", "inspector_2_id"))
    with pytest.raises(TransitionNotAllowed, match="已抽取"):
        spot_check_plan_draw(plan_id=plan.pk, actor=world["city"])
    after = list(SpotCheckTask.objects.filter(plan=plan).values_list("merchant_id", "inspector_1_id", "inspector_2_id"))
    assert before == after
    assert audit_entries_for(plan).filter(action=AuditAction.PLAN_DRAWN).count() == 1
