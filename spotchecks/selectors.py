"""Every read of the spot-check app, scoped to the viewer: staff (their region), an inspector (their own
tasks), the public (plans from approval on; results once published; never a credit class, never
inspectors' personal data). Pages, API, admin, open data and ``verify_draw`` use these.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from integrity_portal.core.scoping import scope_to_user_region
from merchants.models import INSPECTION_ITEMS

from . import draw as draw_algorithm
from .models import PlanStatus, SpotCheckFreeze, SpotCheckPlan, SpotCheckTask, TaskStatus

#: Plans the public sees: from approval (the seed commitment and frozen lists are published then).
PUBLIC_PLAN_STATUSES = (
    PlanStatus.APPROVED,
    PlanStatus.DRAWN,
    PlanStatus.IN_PROGRESS,
    PlanStatus.COMPLETED,
    PlanStatus.PUBLISHED,
)


# --- staff ---------------------------------------------------------------------------------------


def plans_for_staff(user) -> QuerySet[SpotCheckPlan]:
    """Plans issued in the viewer's region or below it."""
    return scope_to_user_region(SpotCheckPlan.objects.select_related("region"), user, field="region")


def plan_for_staff(user, plan_id) -> SpotCheckPlan | None:
    return plans_for_staff(user).filter(pk=plan_id).first()


def tasks_for_staff(user) -> QuerySet[SpotCheckTask]:
    """Tasks whose merchant lies in the viewer's region."""
    return scope_to_user_region(
        SpotCheckTask.objects.select_related("plan", "merchant", "region", "inspector_1", "inspector_2"),
        user,
        field="region",
    )


def tasks_for_inspector(user, *, open_only: bool = True) -> QuerySet[SpotCheckTask]:
    """"My spot-check tasks": the tasks naming ``user`` as one of the two inspectors, escalated and
    earliest due first."""
    qs = tasks_for_staff(user).filter(Q(inspector_1=user) | Q(inspector_2=user))
    if open_only:
        qs = qs.filter(status__in=(TaskStatus.OPEN, TaskStatus.ESCALATED))
    return qs.order_by("-status", "due_on", "plan_id", "draw_rank")


def plan_progress(plan: SpotCheckPlan) -> dict[str, int]:
    """Task counts per status (and ``total``)."""
    counts = dict(plan.tasks.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {**{s: counts.get(s, 0) for s in TaskStatus.values}, "total": sum(counts.values())}


# --- the public ----------------------------------------------------------------------------------


def public_plans(*, published_only: bool = False) -> QuerySet[SpotCheckPlan]:
    """Plans the public may see, newest first. ``published_only`` for the results list (/spot-checks/)."""
    statuses = (PlanStatus.PUBLISHED,) if published_only else PUBLIC_PLAN_STATUSES
    return (
        SpotCheckPlan.objects.filter(status__in=statuses)
        .select_related("region")
        .prefetch_related("districts")
        .order_by("-year", "-approved_at", "-id")
    )


def public_plan(plan_id) -> SpotCheckPlan | None:
    return public_plans().filter(pk=plan_id).first()


def public_plan_summary(plan: SpotCheckPlan) -> dict:
    """What a public page or the API shows of a plan: scope, shares, counts, commitment and seed.

    The seed is included only once drawn (before, it is the secret the commitment binds)."""
    drawn = plan.status not in (PlanStatus.DRAFT, PlanStatus.APPROVED)
    progress = plan_progress(plan) if drawn else {}
    return {
        "id": plan.pk,
        "title": plan.title,
        "year": plan.year,
        "period": plan.period,
        "region": plan.region.name,
        "region_code": plan.region_id,
        "districts": [r.full_name for r in plan.districts.all()] or [plan.region.name],
        "merchant_kinds": plan.kind_labels,
        "industries": plan.industry_labels,
        "items": plan.item_labels,
        "shares": {c: str(s) for c, s in plan.shares().items()},
        "min_count": plan.min_count,
        "max_count": plan.max_count,
        "exclude_inspected_months": plan.exclude_inspected_months,
        "due_on": plan.due_on,
        "status": plan.status,
        "status_label": plan.get_status_display(),
        "seed_commitment": plan.seed_commitment,
        "frozen_digest": plan.frozen_digest,
        "seed": plan.seed if drawn else "",
        "drawn_count": plan.drawn_count if drawn else None,
        "done_count": progress.get(TaskStatus.DONE, 0),
        "closed_count": progress.get(TaskStatus.MERCHANT_CLOSED, 0),
        "approved_at": plan.approved_at,
        "drawn_at": plan.drawn_at,
        "completed_at": plan.completed_at,
        "published_at": plan.published_at,
    }


def public_plan_results(plan: SpotCheckPlan) -> list[dict]:
    """The results per drawn merchant of a *published* plan (else empty): merchant name and USCC, date,
    the items the plan checked with their findings, outcome; a closed merchant is listed as such.
    No credit class, no inspector."""
    if plan.status != PlanStatus.PUBLISHED:
        return []
    items = [(name, label) for name, label in INSPECTION_ITEMS if name in set(plan.items or [])]
    rows = []
    # By name, never in draw order: the public draw record lists the drawn tokens in draw order with their
    # class, so rows in the same order would tell each merchant's class.
    tasks = plan.tasks.select_related("merchant", "inspection").order_by("merchant__name", "merchant_id")
    for task in tasks:
        inspection = task.inspection if task.status == TaskStatus.DONE else None
        rows.append(
            {
                "merchant_id": task.merchant_id,
                "merchant_name": task.merchant.name,
                "uscc": task.merchant.uscc or "",
                "status": task.status,
                "status_label": task.get_status_display(),
                "inspected_on": inspection.inspected_on if inspection else None,
                "items": [
                    {"item": name, "label": str(label), "finding": getattr(inspection, name) if inspection else ""}
                    for name, label in items
                ],
                "outcome": inspection.outcome if inspection else "",
                "outcome_label": inspection.get_outcome_display() if inspection else "",
            }
        )
    return rows


def draw_record(plan: SpotCheckPlan, *, with_openings: bool = False, with_tasks: bool = False) -> dict | None:
    """The record ``draw.verify`` checks (None before approval).

    Public (default): algorithm, commitment, ``frozen_digest``, the frozen lists (merchant *tokens*), and
    once drawn the seed and the drawn tokens with their inspector ids. The per-class token lists reveal no
    merchant's class; ``with_openings`` adds each drawn token's merchant id and salt, which proves who was
    drawn but also shows the stratum each drawn merchant came from — for auditors (``verify_draw``), not
    the public page. ``with_tasks`` adds the tasks as assigned (merchant id and inspector ids).
    """
    if plan.status == PlanStatus.DRAFT:
        return None
    freeze = SpotCheckFreeze.objects.defer("merchant_index", "secret_seed", "salt_key").filter(plan=plan).first()
    if freeze is None:
        return None
    frozen = freeze.frozen
    record = {
        "algorithm": draw_algorithm.ALGORITHM,
        "plan": plan.pk,
        "commitment": plan.seed_commitment,
        "frozen_digest": plan.frozen_digest,
        "frozen": frozen,
        "seed": plan.seed,
        "drawn": [],
    }
    if not plan.seed:
        return record
    tasks = list(plan.tasks.order_by("draw_rank"))
    record["drawn"] = [
        {
            "token": t.token,
            "class": t.credit_class,
            "district": t.region_id,
            "inspectors": [t.inspector_1_id, t.inspector_2_id],
        }
        for t in tasks
    ]
    if with_openings:
        record["openings"] = {t.token: {"merchant": t.merchant_id, "salt": t.salt} for t in tasks}
    if with_tasks:
        record["tasks"] = [{"merchant": t.merchant_id, "inspectors": [t.inspector_1_id, t.inspector_2_id]} for t in tasks]
    return record
