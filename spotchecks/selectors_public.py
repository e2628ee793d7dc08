"""Public reads beyond ``selectors``: a merchant's published spot-check results (its profile) and the rows
of the ``spot_checks`` open-data file. Published plans only; never a credit class, never an inspector."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone

from merchants.models import INSPECTION_ITEMS, Region
from merchants.regions import region_and_descendant_codes

from .models import PlanStatus, SpotCheckTask, TaskStatus

CHUNK = 2000


def merchant_published_results(merchant_id: int, *, limit: int = 20) -> list[dict]:
    """The results of the published plans that drew this merchant, newest first (for its public profile)."""
    tasks = (
        SpotCheckTask.objects.filter(merchant_id=merchant_id, plan__status=PlanStatus.PUBLISHED)
        .select_related("plan", "inspection")
        .order_by("-plan__published_at", "-plan_id")[:limit]
    )
    rows = []
    for task in tasks:
        inspection = task.inspection if task.status == TaskStatus.DONE else None
        rows.append(
            {
                "plan_id": task.plan_id,
                "plan_title": task.plan.title,
                "status_label": task.get_status_display(),
                "inspected_on": inspection.inspected_on if inspection else None,
                "outcome": inspection.outcome if inspection else "",
                "outcome_label": inspection.get_outcome_display() if inspection else "",
            }
        )
    return rows


def open_data_spot_check_rows(region_code: str, as_of=None) -> Iterator[tuple]:
    """One row per drawn merchant of every published plan, for the merchants of ``region_code`` and below it,
    in the column order of ``spotchecks.open_data.SPOT_CHECK_COLUMNS``. Streamed in chunks."""
    names = {r.code: r.full_name for r in Region.objects.select_related("parent")}
    items = [name for name, _label in INSPECTION_ITEMS]
    tasks = (
        SpotCheckTask.objects.filter(
            plan__status=PlanStatus.PUBLISHED, merchant__region_id__in=region_and_descendant_codes(region_code)
        )
        .order_by("plan_id", "merchant_id")
        .values_list(
            "plan_id",
            "plan__title",
            "plan__year",
            "plan__period",
            "plan__region_id",
            "plan__items",
            "plan__published_at",
            "merchant_id",
            "merchant__name",
            "merchant__uscc",
            "merchant__licence_number",
            "merchant__region_id",
            "status",
            "inspection__inspected_on",
            *(f"inspection__{name}" for name in items),
            "inspection__outcome",
        )
    )
    for row in tasks.iterator(chunk_size=CHUNK):
        (plan_id, title, year, period, plan_region, plan_items, published_at, merchant_id, name, uscc, licence,
         region, status, inspected_on, *findings, outcome) = row
        done = status == TaskStatus.DONE
        checked = set(plan_items or [])
        yield (
            plan_id,
            title,
            year,
            period,
            plan_region,
            names.get(plan_region, ""),
            timezone.localtime(published_at).date() if published_at else None,
            merchant_id,
            name,
            uscc or "",
            licence or "",
            region,
            names.get(region, ""),
            status,
            inspected_on if done else None,
            *((finding if done and item in checked else "") for item, finding in zip(items, findings, strict=True)),
            outcome if done else "",
        )
