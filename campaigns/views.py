"""Public pages: the notices (公示公告 and commendation lists), the objection form, print and exports."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integrity_portal.core import ratelimit
from integrity_portal.core.client import rate_key
from integrity_portal.core.errors import DomainError
from integrity_portal.core.exports import table_response

from . import selectors
from .forms import ObjectionForm
from .models import CampaignStatus, Category
from .services import objection_file


def objection_rate_limited(request, phone: str) -> bool:
    """Count this attempt per client address and per phone (the API endpoint's scope and keys)."""
    return not ratelimit.hit("objection", [rate_key(request), ratelimit.phone_ident(phone)]).allowed


def notice_list(request):
    campaigns = list(selectors.public_campaigns())
    lists = list(selectors.public_commendation_lists())
    return render(request, "campaigns/notice_list.html", {"campaigns": campaigns, "lists": lists})


def _grouped(items, key):
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(getattr(item, key), []).append(item)
    return [(Category(k).label, v) for k, v in groups.items()]


def _notice_context(campaign) -> dict:
    ctx: dict = {"campaign": campaign, "in_publicity": campaign.status == CampaignStatus.PUBLICITY}
    ctx["heading"] = campaign.public_heading
    if ctx["in_publicity"]:
        candidates = list(selectors.public_candidates(campaign))
        ctx["candidates"] = candidates
        ctx["candidate_groups"] = _grouped(candidates, "category")
    else:
        clists = list(
            selectors.public_commendation_lists(campaign).prefetch_related("entries__merchant__region")
        )
        ctx["lists"] = clists
    return ctx


@require_http_methods(["GET", "POST"])
def notice_detail(request, key: int):
    campaign = selectors.public_campaign_or_404(key)
    ctx = _notice_context(campaign)
    form = None
    if ctx["in_publicity"]:
        form = ObjectionForm(request.POST or None, candidates=ctx["candidates"])
        if request.method == "POST" and form.is_valid():
            application = next(
                (a for a in ctx["candidates"] if a.pk == form.cleaned_data["application"]), None
            )
            if objection_rate_limited(request, form.cleaned_data["phone"]):
                form.add_error(None, _("提交过于频繁，请稍后再试。"))
            else:  # a choice that is no candidate is the service's refusal (shown as its message)
                try:
                    objection = objection_file(
                        application=application,
                        name=form.cleaned_data["name"],
                        phone=form.cleaned_data["phone"],
                        content=form.cleaned_data["content"],
                        actor=request.user,
                    )
                except DomainError as exc:
                    for field, message in exc.details.items():
                        if field in form.fields and field != "application":
                            form.add_error(field, message)
                    if not exc.details:
                        form.add_error(None, exc.message)
                else:
                    request.session["campaigns_objection_ref"] = objection.reference
                    return redirect("campaigns:objection_done", key=key)
    elif request.method == "POST":
        messages.error(request, _("公示期已结束，不再受理异议。"))
    ctx["form"] = form
    ctx["objection_limit"] = (ratelimit.scope_rate("objection") or (0, 0))[0]
    return render(
        request, "campaigns/notice_detail.html", ctx, status=400 if form is not None and form.errors else 200
    )


def objection_done(request, key: int):
    campaign = selectors.public_campaign_or_404(key)
    reference = request.session.get("campaigns_objection_ref")
    if not reference:
        return redirect("campaigns:notice", key=key)
    return render(request, "campaigns/objection_done.html", {"campaign": campaign, "reference": reference})


def notice_print(request, key: int):
    campaign = selectors.public_campaign_or_404(key)
    return render(request, "campaigns/notice_print.html", _notice_context(campaign))


def notice_export(request, key: int, fmt: str):
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    campaign = selectors.public_campaign_or_404(key)
    header = [_("类别"), _("排名"), _("名称"), _("统一社会信用代码"), _("所在区县"), _("加权总分")]
    if campaign.status == CampaignStatus.PUBLICITY:
        rows = [
            (
                a.get_category_display(),
                a.rank,
                a.merchant.name,
                a.merchant.registration_number,
                a.merchant.region.name,
                a.total_score,
            )
            for a in selectors.public_candidates(campaign)
        ]
        name = f"publicity-{campaign.year}-{campaign.pk}"
    else:
        entries = selectors.public_commendation_entries().filter(commendation_list__campaign=campaign)
        header.append(_("红榜有效期至"))
        rows = [
            (
                e.commendation_list.get_category_display(),
                e.rank,
                e.merchant.name,
                e.merchant.registration_number,
                e.merchant.region.name,
                e.total_score,
                e.red_list_until.isoformat(),
            )
            for e in entries.order_by("commendation_list__category", "rank")
        ]
        name = f"commendation-{campaign.year}-{campaign.pk}"
    return table_response(filename=name, fmt=fmt, header=header, rows=rows, title=str(campaign.year))
