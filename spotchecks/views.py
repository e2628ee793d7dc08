"""Public pages of 双随机、一公开 (一公开): the published plans, one plan's commitment, seed and results, the
verification record and the script that recomputes the draw. Only ``selectors``' public reads: never a
credit class, never an inspector, no personal data (docs/SPOT_CHECKS.md, "Publication")."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response

from integrity_portal.core.api_conditional import body_etag
from integrity_portal.core.exports import attachment_disposition
from merchants.models import FindingLevel
from merchants.views.public import cached_public_page

from . import draw as draw_algorithm
from .models import SHARE_BANDS, PlanStatus
from .selectors import draw_record as public_draw_record
from .selectors import public_plan, public_plan_results, public_plan_summary, public_plans

PER_PAGE = 20
DRAW_SCRIPT = Path(draw_algorithm.__file__)
FINDING_LABELS = dict(FindingLevel.choices)


def shares_with_bands(summary: dict) -> list[dict]:
    """Each class's share with the band the rules allow (the shares are public; a merchant's class is not)."""
    return [
        {"cls": cls, "share": summary["shares"][cls], "low": low, "high": high}
        for cls, (low, high) in SHARE_BANDS.items()
    ]


@cached_public_page(params=("page",))
def plan_list(request):
    """The published plans with their results (newest first), and below them the plans announced but not yet
    published (their seed commitment is public from approval, so anyone can later check the revealed seed)."""
    page = Paginator(public_plans(published_only=True), PER_PAGE).get_page(request.GET.get("page"))
    announced = public_plans().exclude(status=PlanStatus.PUBLISHED)[:PER_PAGE]
    return render(
        request,
        "spotchecks/plan_list.html",
        {
            "page": page,
            "plans": [_with_shares(public_plan_summary(p)) for p in page.object_list],
            "announced": [_with_shares(public_plan_summary(p)) for p in announced],
        },
    )


def _with_shares(summary: dict) -> dict:
    summary["share_rows"] = shares_with_bands(summary)
    return summary


def _plan_or_404(pk: int):
    plan = public_plan(pk)
    if plan is None:  # a draft (or no such plan) is not public
        raise Http404
    return plan


@cached_public_page
def plan_detail(request, pk: int):
    plan = _plan_or_404(pk)
    summary = _with_shares(public_plan_summary(plan))
    results = public_plan_results(plan)
    for row in results:
        for item in row["items"]:
            item["finding_label"] = FINDING_LABELS.get(item["finding"], "")
    return render(
        request,
        "spotchecks/plan_detail.html",
        {"plan": summary, "results": results, "published": plan.status == PlanStatus.PUBLISHED},
    )


def draw_record(request, pk: int):
    """The public verification record (``selectors.draw_record`` without openings) as a JSON download, with an
    ETag of its body: what ``python3 draw.py record.json`` checks."""
    record = public_draw_record(_plan_or_404(pk))
    if record is None:
        raise Http404
    body = json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    etag = body_etag(body)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = attachment_disposition(f"spot-check-{pk}-record.json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    return response


def draw_script(request):
    """``spotchecks/draw.py`` itself (standard library only), to run next to a downloaded record."""
    response = FileResponse(DRAW_SCRIPT.open("rb"), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition("draw.py")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response
