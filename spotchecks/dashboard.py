"""Spot-check plans (双随机抽查) on the district dashboard (``core.dashboard``): the year's plans and the
progress of their drawn tasks per district. Two grouped queries. State today, for the year of the month viewed.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from integrity_portal.core.dashboard import (
    Chart,
    DashboardScope,
    FigureTable,
    Section,
    rate,
    register_dashboard_provider,
)

from .models import PlanStatus, SpotCheckPlan, SpotCheckTask, TaskStatus

TASK_KEYS = ("drawn", "done", "closed", "open", "overdue")


def register() -> None:
    register_dashboard_provider("spotchecks", figures=spotchecks_section, order=60)


def spotchecks_section(scope: DashboardScope) -> Section:
    """Table ``spotchecks``: per column (and total) the tasks drawn by this year's plans, inspected, merchant
    closed, still open, open past their deadline, and the share finished. ``data``: ``{column name: {…,
    "rate"}, "plans": {status value: n}}``."""
    from merchants.regions import region_and_ancestor_codes

    year = scope.month.year
    plans = dict(
        SpotCheckPlan.objects.filter(
            year=year, region_id__in=[*region_and_ancestor_codes(scope.region_code), *scope.region_codes]
        )
        .exclude(status=PlanStatus.DRAFT)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    open_statuses = [TaskStatus.OPEN, TaskStatus.ESCALATED]
    counts = (
        SpotCheckTask.objects.filter(region_id__in=scope.region_codes, plan__year=year)
        .order_by()
        .values_list("region_id")
        .annotate(
            drawn=Count("id"),
            done=Count("id", filter=Q(status=TaskStatus.DONE)),
            closed=Count("id", filter=Q(status=TaskStatus.MERCHANT_CLOSED)),
            open=Count("id", filter=Q(status__in=open_statuses)),
            overdue=Count("id", filter=Q(status__in=open_statuses, due_on__lt=scope.today)),
        )
    )
    per_region = {row[0]: dict(zip(TASK_KEYS, row[1:], strict=True)) for row in counts}
    names = scope.column_headers()
    rows, data = [], {"plans": plans}
    for name, values in scope.per_column(per_region, TASK_KEYS):
        values["rate"] = rate(values["done"] + values["closed"], values["drawn"])
        data[name] = values
        rows.append([name, *(values[k] for k in TASK_KEYS), values["rate"]])
    plan_note = "；".join(
        f"{label} {plans[value]}" for value, label in PlanStatus.choices if plans.get(value)
    )
    shown = len(scope.columns)
    table = FigureTable(
        key="spotchecks",
        title=_("%(year)s 年度双随机抽查任务") % {"year": year},
        header=[
            _("辖区"),
            _("抽取户数"),
            _("已检查"),
            _("停业／注销"),
            _("待检查"),
            _("逾期未检查"),
            _("完成率（%）"),
        ],
        rows=rows,
        chart=Chart(
            kind="bar",
            categories=names[:shown] if scope.side_by_side else names,
            series=[(_("完成率（%）"), [r[-1] for r in rows[:shown]])],
            unit="%",
        ),
        note=(_("本年度抽查计划：%(plans)s。") % {"plans": plan_note})
        if plan_note
        else _("本年度尚无已批准的抽查计划。"),
        data=data,
    )
    return Section(key="spotchecks", title=_("双随机抽查"), tables=[table])
