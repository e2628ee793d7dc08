"""Complaints and reports on the district dashboard (``core.dashboard``): received, closed, closed on time,
overdue, per month and per district, by category and channel. Three grouped queries whatever the region.

Definitions (docs/DASHBOARD.md):

* received in a month: ``received_at`` in that calendar month (local time);
* closed in a month: a closing status with ``closed_at`` in that month; on time when the item was never
  handled after a deadline (``closed_late`` false), late otherwise;
* on-time rate: closed on time / closed, in percent (none when nothing was closed);
* overdue (open): still open today and its current deadline (``due_on``) has passed; counted in the month the
  deadline fell in ("earlier" before the window).
"""

from __future__ import annotations

from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from integrity_portal.core.dashboard import (
    Chart,
    DashboardScope,
    FigureTable,
    Section,
    month_key,
    month_label,
    rate,
    register_dashboard_provider,
)

from .models import CLOSED_STATUSES, OPEN_STATUSES, Category, Channel, Complaint, ComplaintKind

MONTH_FIELDS = ("received", "complaints", "reports", "closed", "on_time", "late", "overdue")


def register() -> None:
    register_dashboard_provider("complaints", figures=complaints_section, order=10)


def _counts(scope: DashboardScope):
    """Three grouped queries: {month: {region: {field: n}}}, overdue before the window, and the category and
    channel counts ({value: ({region: n in the window}, {region: n in the month viewed})})."""
    qs = Complaint.objects.filter(region_id__in=scope.region_codes).order_by()
    start, end = scope.window_start, scope.window_end
    cells: dict = {}

    def add(m, code, key, n):
        region = cells.setdefault(m, {}).setdefault(code, dict.fromkeys(MONTH_FIELDS, 0))
        region[key] += n

    # One scan for the received items: by month, region, kind, category and channel (a few thousand rows at
    # most), folded here into the monthly cells and the category and channel counts.
    received = (
        qs.filter(received_at__gte=start, received_at__lt=end)
        .annotate(m=TruncMonth("received_at", output_field=DateField()))
        .values_list("m", "region_id", "kind", "category", "channel")
        .annotate(n=Count("*"))
    )
    # The rows are dates already (truncated in the database); sums by plain tuple keys, folded afterwards.
    per_kind: dict = {}  # (month, region, "complaints" | "reports") -> n
    window: dict = {}  # ("category" | "channel", value, region) -> n in the window
    this_month: dict = {}  # the same, in the month viewed
    for m, code, kind, category, channel, n in received:
        key = (m, code, "complaints" if kind == ComplaintKind.COMPLAINT else "reports")
        per_kind[key] = per_kind.get(key, 0) + n
        for key in (("category", category, code), ("channel", channel, code)):
            window[key] = window.get(key, 0) + n
            if m == scope.month:
                this_month[key] = this_month.get(key, 0) + n
    for (m, code, kind), n in per_kind.items():
        add(month_key(m), code, "received", n)
        add(month_key(m), code, kind, n)
    by_category: dict = {}
    by_channel: dict = {}
    for (what, value, code), n in window.items():
        target = by_category if what == "category" else by_channel
        in_window, in_month = target.setdefault(value, ({}, {}))
        in_window[code] = n
        in_month[code] = this_month.get((what, value, code), 0)
    closed = (
        qs.filter(status__in=CLOSED_STATUSES, closed_at__gte=start, closed_at__lt=end)
        .annotate(m=TruncMonth("closed_at", output_field=DateField()))
        .values_list("m", "region_id")
        .annotate(n=Count("*"), late=Count("closed_late", filter=Q(closed_late=True)))
    )
    for m, code, n, late in closed:
        add(month_key(m), code, "closed", n)
        add(month_key(m), code, "late", late)
        add(month_key(m), code, "on_time", n - late)
    overdue = (
        qs.filter(status__in=OPEN_STATUSES, due_on__lt=scope.today)
        .annotate(m=TruncMonth("due_on"))
        .values_list("m", "region_id")
        .annotate(n=Count("*"))
    )
    earlier: dict = {}
    for m, code, n in overdue:
        m = month_key(m)
        if m in scope.months:
            add(m, code, "overdue", n)
        elif m < scope.months[0]:
            earlier[code] = earlier.get(code, 0) + n
    return cells, earlier, by_category, by_channel


def _sum(cells: dict, months, key: str, *, code=None) -> int:
    return sum(v[key] for m in months for c, v in cells.get(m, {}).items() if code is None or c == code)


def complaints_section(scope: DashboardScope) -> Section:
    """Tables:

    * ``complaints_monthly``: per month, received (complaints, reports), closed, on time, late, on-time
      rate, overdue open items by deadline month; ``data`` ``{month (date): {field: n, "on_time_rate": %}}``;
    * ``complaints_districts``: per column (and total), this month's and the window's received, closed, on-time
      rate, and the open items overdue today; ``data`` ``{column name: {…}}``;
    * ``complaints_on_time_by_district`` (city only): on-time rate per month and district;
    * ``complaints_by_category``, ``complaints_by_channel``: received in the window per column, total, and
      this month; ``data`` ``{value: {"window": n, "month": n}}``.
    """
    cells, earlier, by_category, by_channel = _counts(scope)
    monthly_rows, monthly_data = [], {}
    for m in scope.months:
        totals = {k: _sum(cells, [m], k) for k in MONTH_FIELDS}
        totals["on_time_rate"] = rate(totals["on_time"], totals["closed"])
        monthly_data[m] = totals
        monthly_rows.append(
            [
                month_label(m),
                totals["received"],
                totals["complaints"],
                totals["reports"],
                totals["closed"],
                totals["on_time"],
                totals["late"],
                totals["on_time_rate"],
                totals["overdue"],
            ]
        )
    labels = [r[0] for r in monthly_rows]
    monthly = FigureTable(
        key="complaints_monthly",
        title=_("投诉举报受理与办结（按月）"),
        header=[
            _("月份"),
            _("登记"),
            _("其中投诉"),
            _("其中举报"),
            _("办结"),
            _("按期办结"),
            _("超期办结"),
            _("按期办结率（%）"),
            _("逾期未办结（按期限月份）"),
        ],
        rows=monthly_rows,
        chart=Chart(
            kind="bar",
            categories=labels,
            series=[
                (_("登记"), [r[1] for r in monthly_rows]),
                (_("办结"), [r[4] for r in monthly_rows]),
                (_("逾期未办结"), [r[8] for r in monthly_rows]),
            ],
            unit=_("件"),
        ),
        note=_(
            "登记按登记时间、办结按办结时间计；逾期未办结为至今仍未办结且已过办理期限的件，计入期限所在月份。"
        ),
        data=monthly_data,
    )

    per_code: dict = {}
    for code in scope.region_codes:
        month_cells = {k: _sum(cells, [scope.month], k, code=code) for k in ("received", "closed", "on_time")}
        window_cells = {k: _sum(cells, scope.months, k, code=code) for k in ("received", "closed", "on_time")}
        overdue_now = _sum(cells, scope.months, "overdue", code=code) + earlier.get(code, 0)
        per_code[code] = (month_cells, window_cells, overdue_now)

    def spread(pick):
        return scope.spread({code: pick(v) for code, v in per_code.items()})

    columns = {
        "month_received": spread(lambda v: v[0]["received"]),
        "month_closed": spread(lambda v: v[0]["closed"]),
        "month_on_time": spread(lambda v: v[0]["on_time"]),
        "window_received": spread(lambda v: v[1]["received"]),
        "window_closed": spread(lambda v: v[1]["closed"]),
        "window_on_time": spread(lambda v: v[1]["on_time"]),
        "overdue_now": spread(lambda v: v[2]),
    }
    names = scope.column_headers()
    district_rows, district_data = [], {}
    for i, name in enumerate(names):
        row = {k: v[i] for k, v in columns.items()}
        row["month_on_time_rate"] = rate(row["month_on_time"], row["month_closed"])
        row["window_on_time_rate"] = rate(row["window_on_time"], row["window_closed"])
        district_data[name] = row
        district_rows.append(
            [
                name,
                row["month_received"],
                row["month_closed"],
                row["month_on_time_rate"],
                row["window_received"],
                row["window_closed"],
                row["window_on_time_rate"],
                row["overdue_now"],
            ]
        )
    n = len(scope.months)
    shown = len(scope.columns)
    districts = FigureTable(
        key="complaints_districts",
        title=_("各辖区投诉举报办理（%(month)s）") % {"month": month_label(scope.month)},
        header=[
            _("辖区"),
            _("本月登记"),
            _("本月办结"),
            _("本月按期办结率（%）"),
            _("近%(n)s个月登记") % {"n": n},
            _("近%(n)s个月办结") % {"n": n},
            _("近%(n)s个月按期办结率（%%）") % {"n": n},
            _("当前逾期未办结"),
        ],
        rows=district_rows,
        chart=Chart(
            kind="bar",
            categories=names[:shown],
            series=[
                (_("本月登记"), columns["month_received"][:shown]),
                (_("本月办结"), columns["month_closed"][:shown]),
                (_("当前逾期未办结"), columns["overdue_now"][:shown]),
            ],
            unit=_("件"),
        )
        if scope.side_by_side
        else None,
        data=district_data,
    )
    tables = [monthly, districts]

    if scope.side_by_side:
        rate_rows = []
        for m in scope.months:
            closed = scope.spread({code: v["closed"] for code, v in cells.get(m, {}).items()})
            on_time = scope.spread({code: v["on_time"] for code, v in cells.get(m, {}).items()})
            rate_rows.append([month_label(m), *(rate(o, c) for o, c in zip(on_time, closed, strict=True))])
        tables.append(
            FigureTable(
                key="complaints_on_time_by_district",
                title=_("各辖区按期办结率（%）"),
                header=[_("月份"), *names],
                rows=rate_rows,
                chart=Chart(
                    kind="line",
                    categories=labels,
                    series=[(name, [r[i + 1] for r in rate_rows]) for i, name in enumerate(names)],
                    unit="%",
                ),
                note=_("无办结件的月份不计比率（空白）。"),
            )
        )

    for key, title, label, choices, counts in (
        ("complaints_by_category", _("按问题类别"), _("问题类别"), Category.choices, by_category),
        ("complaints_by_channel", _("按渠道"), _("渠道"), Channel.choices, by_channel),
    ):
        rows, data = [], {}
        for value, choice_label in choices:
            window, month = counts.get(value, ({}, {}))
            spread_window = scope.spread(window)
            month_total = sum(month.values())
            rows.append([str(choice_label), *spread_window, month_total])
            data[value] = {"window": spread_window[-1], "month": month_total}
        tables.append(
            FigureTable(
                key=key,
                title=_("%(what)s登记（近%(n)s个月）") % {"what": title, "n": n},
                header=[label, *scope.column_headers(_("近%(n)s个月合计") % {"n": n}), _("本月")],
                rows=rows,
                chart=Chart(
                    kind="bar",
                    categories=[r[0] for r in rows],
                    series=[
                        (_("近%(n)s个月") % {"n": n}, [d["window"] for d in data.values()]),
                        (_("本月"), [d["month"] for d in data.values()]),
                    ],
                    unit=_("件"),
                ),
                data=data,
            )
        )
    return Section(key="complaints", title=_("投诉举报"), tables=tables)
