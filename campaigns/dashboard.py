"""Campaign figures on the district dashboard (``core.dashboard``): PSA (公益广告) compliance of the large
venues against the year's quota (the progress board's figures, per district) and the progress of the year's
campaign (applications per status and district). Both are the state today, for the year of the month viewed.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from integrity_portal.core.dashboard import (
    Chart,
    DashboardScope,
    FigureTable,
    Section,
    rate,
    register_dashboard_provider,
)

from .models import Application, ApplicationStatus, Campaign, CampaignStatus
from .selectors import ad_progress_board, ad_quota_for

PSA_KEYS = ("required", "reported", "verified", "compliant")


def register() -> None:
    register_dashboard_provider("campaigns.psa", figures=psa_section, order=40)
    register_dashboard_provider("campaigns.campaign", figures=campaign_section, order=50)


def psa_section(scope: DashboardScope) -> Section:
    """Table ``psa``: per column (and total) large venues required to show PSAs under the year's quota,
    venues that reported, verified, compliant (verified and compliant), compliance rate.
    ``data``: ``{column name: {"required", "reported", "verified", "compliant", "rate"}}``; no table when the
    year has no quota."""
    year = scope.month.year
    quota = ad_quota_for(region=scope.region_code, year=year)
    if quota is None:
        return Section(
            key="psa",
            title=_("公益广告刊播"),
            tables=[],
            note=_("%(year)s 年度未下达公益广告刊播任务。") % {"year": year},
        )
    board = ad_progress_board(quota=quota, user=scope.viewer, today=scope.today)
    per_region = {row["region"]: row for row in board["rows"] if row["region"] in scope.column_of}
    names = scope.column_headers()
    rows, data = [], {}
    for name, values in scope.per_column(per_region, PSA_KEYS):
        values["rate"] = rate(values["compliant"], values["required"])
        data[name] = values
        rows.append([name, *(values[k] for k in PSA_KEYS), values["rate"]])
    shown = len(scope.columns)
    table = FigureTable(
        key="psa",
        title=_("%(year)s 年度公益广告刊播达标（期限 %(deadline)s）")
        % {"year": year, "deadline": quota.deadline.isoformat()},
        header=[_("辖区"), _("应刊播场所"), _("已报告"), _("已核查"), _("核查达标"), _("达标率（%）")],
        rows=rows,
        chart=Chart(
            kind="bar",
            categories=names[:shown] if scope.side_by_side else names,
            series=[(_("达标率（%）"), [r[5] for r in rows[:shown]])],
            unit="%",
        ),
        note=_("大型场所按本年度适用的刊播任务计；达标指经核查属实且占比达标。"),
        data=data,
    )
    return Section(key="psa", title=_("公益广告刊播"), tables=[table])


def _campaign_for(scope: DashboardScope) -> Campaign | None:
    from merchants.regions import region_and_ancestor_codes

    return (
        Campaign.objects.filter(
            region_id__in=[*region_and_ancestor_codes(scope.region_code), *scope.region_codes],
            year__lte=scope.month.year,
        )
        .exclude(status=CampaignStatus.DRAFT)
        .order_by("-year", "region_id")
        .first()
    )


def campaign_section(scope: DashboardScope) -> Section:
    """Table ``campaign``: the latest announced campaign of the region (or the city above it) up to the
    year viewed: applications per status (rows) and column (districts of the applicants).
    ``data``: ``{"campaign": title, "status": label, status value: total}``."""
    campaign = _campaign_for(scope)
    if campaign is None:
        return Section(key="campaign", title=_("创建活动"), tables=[], note=_("尚无已发布的创建活动。"))
    counts = (
        Application.objects.filter(campaign=campaign, merchant__region_id__in=scope.region_codes)
        .order_by()
        .values_list("status", "merchant__region_id")
        .annotate(n=Count("id"))
    )
    per_status: dict = {}
    for status, code, n in counts:
        per_status.setdefault(status, {})[code] = n
    rows = []
    data = {"campaign": campaign.title, "status": campaign.get_status_display()}
    for value, label in ApplicationStatus.choices:
        spread = scope.spread(per_status.get(value, {}))
        rows.append([str(label), *spread])
        data[value] = spread[-1]
    all_statuses: dict = {}
    for by_code in per_status.values():
        for code, n in by_code.items():
            all_statuses[code] = all_statuses.get(code, 0) + n
    total = scope.spread(all_statuses)
    rows.append([_("申报合计"), *total])
    data["total"] = total[-1]
    table = FigureTable(
        key="campaign",
        title=_("%(title)s（%(status)s）")
        % {"title": campaign.title, "status": campaign.get_status_display()},
        header=[_("申报状态"), *scope.column_headers()],
        rows=rows,
        chart=Chart(
            kind="bar",
            categories=[r[0] for r in rows[:-1]],
            series=[(_("申报数"), [r[-1] for r in rows[:-1]])],
            unit=_("家"),
        ),
        note=_("申报截止 %(end)s，评审截止 %(review)s，公示截止 %(publicity)s。")
        % {
            "end": campaign.application_end.isoformat(),
            "review": campaign.review_deadline.isoformat(),
            "publicity": campaign.publicity_end.isoformat(),
        },
        data=data,
    )
    return Section(key="campaign", title=_("创建活动"), tables=[table])
