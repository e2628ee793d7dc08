"""The market operator's pages in the portal (issue #20 item 1): the market's stalls and summary, claim
letters (PDF) and commitment invitations. Members of a market only; another market's page is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from integrity_portal.core.errors import DomainError

from ..claim_letters import claim_letters_pdf
from ..models import CommitmentKind, MembershipRole
from ..selectors.markets import (
    market_invitations,
    market_stall_rows,
    market_summary,
    operator_market_or_404,
)
from ..services.markets import market_claim_letters_issue, market_commitments_invite


def _page(request, market, *, status: int = 200, error: str = ""):
    today = timezone.localdate()
    membership = market.memberships.filter(user=request.user).first()
    context = {
        "market": market,
        "is_owner": membership is not None and membership.role == MembershipRole.OWNER,
        "rows": market_stall_rows(viewer=request.user, market=market, today=today),
        "summary": market_summary(viewer=request.user, market=market, today=today),
        "invitations": market_invitations(viewer=request.user, market=market)[:100],
        "kinds": CommitmentKind.choices,
        "today": today,
        "error": error,
    }
    return render(request, "portal/market.html", context, status=status)


@login_required
def market(request, pk: int):
    return _page(request, operator_market_or_404(request.user, pk))


@login_required
@require_POST
def claim_letters(request, pk: int):
    """Issue new codes to the stalls ticked and answer with the letters to print (never stored)."""
    market_obj = operator_market_or_404(request.user, pk)
    try:
        letters = market_claim_letters_issue(
            market=market_obj, stall_ids=request.POST.getlist("stall"), actor=request.user
        )
    except DomainError as exc:
        return _page(request, market_obj, status=exc.status_code if exc.status_code != 404 else 400, error=exc.message)
    pdf = claim_letters_pdf(
        letters=letters, market_name=market_obj.name, claim_url=request.build_absolute_uri(reverse("portal:claim"))
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="claim-letters-{market_obj.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def invite(request, pk: int):
    market_obj = operator_market_or_404(request.user, pk)
    raw_due = (request.POST.get("due_on") or "").strip()
    due_on = parse_date(raw_due) if raw_due else None
    if raw_due and due_on is None:
        return _page(request, market_obj, status=400, error=_("签署期限的日期格式不正确。"))
    try:
        created = market_commitments_invite(
            market=market_obj,
            stall_ids=request.POST.getlist("stall"),
            kind=request.POST.get("kind", ""),
            due_on=due_on,
            actor=request.user,
        )
    except (DomainError, ValueError) as exc:
        message = getattr(exc, "message", _("签署期限的日期格式不正确。"))
        return _page(request, market_obj, status=getattr(exc, "status_code", 400), error=message)
    messages.success(request, _("已邀请 %(n)d 个摊位签署信用承诺。") % {"n": len(created)})
    return redirect("portal:market", pk=market_obj.pk)
