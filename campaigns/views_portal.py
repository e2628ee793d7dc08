"""Merchant portal: apply to the campaign, follow applications, report public-service ads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.errors import DomainError
from merchants.selectors import member_merchant_or_404, merchants_for_user

from . import selectors
from .forms import AdReportForm, ApplyForm, PlacementFormSet, placement_totals
from .models import DEFAULT_PSA_THEMES, MAX_PLACEMENTS, Category
from .services import ad_report_submit, application_check_eligibility, application_submit


def _submitted(request, form, call, success: str) -> bool:
    """Run ``call()``: a refusal becomes a form error, success is announced. True if it went through."""
    try:
        call()
    except DomainError as exc:
        form.add_error(None, exc.message)
        return False
    messages.success(request, success)
    return True


@login_required
def overview(request):
    rows = [
        {"merchant": merchant, "panel": selectors.portal_merchant_panel(viewer=request.user, merchant=merchant)}
        for merchant in merchants_for_user(request.user)
    ]
    return render(request, "campaigns/portal/overview.html", {"rows": rows})


@login_required
def apply(request, merchant_pk: int, campaign_pk: int):
    merchant = member_merchant_or_404(request.user, merchant_pk)
    campaign = selectors.open_campaigns_for_merchant(merchant).filter(pk=campaign_pk).first()
    if campaign is None:
        already = selectors.applications_for_merchant(merchant).filter(campaign_id=campaign_pk).exists()
        if already:
            messages.info(request, _("您已申报过该活动。"))
            return redirect("portal_campaigns:applications", merchant_pk=merchant.pk)
        campaign = selectors.campaign_announced(campaign_pk)
        if campaign is None:
            raise Http404
    checks = application_check_eligibility(campaign=campaign, merchant=merchant)
    form = ApplyForm(request.POST or None)
    status = 200
    if request.method == "POST":

        def submit():
            statement = form.cleaned_data["statement"]
            application_submit(campaign=campaign, merchant=merchant, actor=request.user, statement=statement)

        if form.is_valid() and _submitted(request, form, submit, _("申报已提交，请等待区县初审。")):
            return redirect("portal_campaigns:applications", merchant_pk=merchant.pk)
        status = 400
    return render(
        request,
        "campaigns/portal/apply.html",
        {
            "merchant": merchant,
            "campaign": campaign,
            "checks": checks,
            "form": form,
            "eligible": all(c["ok"] for c in checks),
            "category_label": Category(merchant.kind).label,
        },
        status=status,
    )


@login_required
def applications(request, merchant_pk: int):
    merchant = member_merchant_or_404(request.user, merchant_pk)
    return render(
        request,
        "campaigns/portal/applications.html",
        {
            "merchant": merchant,
            "applications": selectors.applications_for_merchant(merchant),
            "open_campaigns": selectors.open_campaigns_for_merchant(merchant),
        },
    )


def _placement_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and f.has_changed()]


@login_required
def ad_report(request, merchant_pk: int):
    """The PSA report: a month, any number of placement rows, the share of public-service ads.

    "添加点位" is a submit button (``add_row``): without JavaScript it posts the rows typed so far and
    gets them back with one more (nothing is checked or saved); campaigns-psa.js adds the row in the page
    instead and shows the live share. A report whose share is below the quota's minimum is saved only
    with ``confirm_below_quota`` ticked; otherwise the page says so and nothing is saved."""
    merchant = member_merchant_or_404(request.user, merchant_pk)
    if not merchant.is_large_venue:
        raise Http404
    today = timezone.localdate()
    quota = selectors.ad_quota_for(region=merchant.region_id, year=today.year)
    data = request.POST if request.method == "POST" else None
    adding = data is not None and "add_row" in data
    if adding:
        data = data.copy()
        try:
            rows = int(data.get("p-TOTAL_FORMS") or 1)
        except ValueError:
            rows = 1
        data["p-TOTAL_FORMS"] = str(max(1, min(rows + 1, MAX_PLACEMENTS)))
    form = AdReportForm(data, initial={"period": f"{today:%Y-%m}"}, today=today)
    formset = PlacementFormSet(data, request.FILES or None, prefix="p")
    status, below_quota = 200, None
    if data is not None and not adding and quota is not None:

        def submit():
            ad_report_submit(
                quota=quota,
                merchant=merchant,
                period=form.cleaned_data["period"],
                placements=_placement_rows(formset),
                actor=request.user,
            )

        if form.is_valid() and formset.is_valid():
            total, psa = placement_totals(formset)
            if total and psa * 100 < quota.min_share_percent * total and not form.cleaned_data["confirm_below_quota"]:
                below_quota = round(psa * 100 / total, 1)
                form.add_error(
                    "confirm_below_quota",
                    _("公益广告占比 %(share)s%% 低于任务要求的 %(min)s%%。请确认后再提交，或补充公益广告点位。")
                    % {"share": below_quota, "min": quota.min_share_percent},
                )
            elif _submitted(request, form, submit, _("刊播情况已报告，请等待属地监管部门核查。")):
                return redirect("portal_campaigns:ad_report", merchant_pk=merchant.pk)
        status = 400
    return render(
        request,
        "campaigns/portal/ad_report.html",
        {
            "merchant": merchant,
            "quota": quota,
            "form": form,
            "formset": formset,
            "adding": adding,
            "below_quota": below_quota,
            "max_placements": MAX_PLACEMENTS,
            "psa": selectors.psa_status_for_merchant(merchant, today=today),
            "reports": selectors.ad_reports_for_merchant(merchant)[:10],
            "themes": quota.themes if quota else DEFAULT_PSA_THEMES,
        },
        status=status,
    )
