"""Public campaign pages (/campaigns/): the campaign with its scheme (活动方案), categories, eligibility
rules, timetable and how to apply; and the outcome of an objection looked up by its reference number.

Nothing personal is shown: an objection's page carries its status, the candidate and the campaign, never
the objector's name, phone or text."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from integrity_portal.core import ratelimit
from integrity_portal.core.client import rate_key

from . import selectors
from .models import CampaignStatus


def eligibility_rules(campaign) -> list[str]:
    """The campaign's eligibility rules in words (the thresholds the apply page checks)."""
    rules = [_("诚信星级不低于%(n)d星。") % {"n": campaign.min_stars}]
    if campaign.require_no_black_entry:
        rules.append(_("无生效的黑名单（严重违法失信、经营异常名录）记录。"))
    if campaign.require_no_serious_penalty:
        rules.append(_("无公示中的严重行政处罚。"))
    if campaign.require_commitment:
        rules.append(_("信用承诺在有效期内。"))
    if campaign.require_psa_compliance:
        rules.append(_("大型场所的公益广告刊播经核查达标。"))
    return rules


def timetable(campaign) -> list[tuple[str, object, object]]:
    return [
        (_("申报"), campaign.application_start, campaign.application_end),
        (_("评审"), None, campaign.review_deadline),
        (_("公示"), campaign.publicity_start, campaign.publicity_end),
    ]


@require_GET
def campaign_list(request):
    campaigns = list(selectors.public_announced_campaigns())
    open_now = [c for c in campaigns if c.status == CampaignStatus.OPEN]
    return render(
        request,
        "campaigns/public_list.html",
        {"open_campaigns": open_now, "other_campaigns": [c for c in campaigns if c not in open_now]},
    )


@require_GET
def campaign_detail(request, pk: int):
    campaign = selectors.public_announced_campaign_or_404(pk)
    today = timezone.localdate()
    context = {
        "campaign": campaign,
        "categories": list(campaign.categories.all()),
        "rules": eligibility_rules(campaign),
        "timetable": timetable(campaign),
        "accepting": campaign.status == CampaignStatus.OPEN
        and campaign.application_start <= today <= campaign.application_end,
        "has_notice": campaign.status in selectors.PUBLIC_STATUSES,
    }
    return render(request, "campaigns/public_detail.html", context)


@require_GET
def objection_lookup(request):
    """``?reference=`` opens the objection's outcome. Look-ups are rate-limited per client (the tracking
    scope), so references cannot be enumerated."""
    reference = (request.GET.get("reference") or "").strip()
    objection, error, status = None, "", 200
    if reference:
        if not ratelimit.hit("tracking", [rate_key(request)]).allowed:
            error, status = _("查询过于频繁，请一小时后再试。"), 429
        else:
            objection = selectors.public_objection_outcome(reference)
            if objection is None:
                error, status = _("没有找到该受理编号的异议，请核对后重试。"), 404
    return render(
        request,
        "campaigns/objection_lookup.html",
        {"reference": reference, "objection": objection, "error": error},
        status=status,
    )
