"""The merchant portal: a user's own businesses, claiming one, and one business's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integrity_portal.core.client import client_ip
from integrity_portal.core.errors import DomainError
from integrity_portal.core.panels import merchant_panels_for

from ..forms import ClaimForm
from ..resources import short_label
from ..selectors import member_merchant_or_404, merchants_for_user
from ..selectors.accounts import email_is_confirmed
from ..services import EmailNotConfirmed, TooManyAttempts, merchant_claim


@login_required
def home(request):
    from django.utils import timezone

    from integrity_portal.core.panels import portal_todos

    from ..selectors.portal import member_star_changes

    merchants = merchants_for_user(request.user).order_by("name", "id")
    today = timezone.localdate()
    context = {
        "merchants": merchants,
        "todos": portal_todos(viewer=request.user, today=today),
        "star_changes": member_star_changes(viewer=request.user),
        "today": today,
    }
    return render(request, "portal/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def claim(request):
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            membership = merchant_claim(
                user=request.user,
                registration_number=form.cleaned_data["registration_number"],
                code=form.cleaned_data["code"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code if isinstance(exc, (TooManyAttempts, EmailNotConfirmed)) else 200
        else:
            messages.success(
                request, _("认领成功：您已成为“%(name)s”的负责人。") % {"name": membership.merchant.name}
            )
            return redirect("portal:merchant", pk=membership.merchant_id)
    context = {"form": form, "email_confirmed": email_is_confirmed(request.user)}
    return render(request, "portal/claim.html", context, status=status)


@login_required
def merchant(request, pk: int):
    obj = member_merchant_or_404(request.user, pk)
    membership = obj.memberships.filter(user=request.user).first()
    labels = {
        "kind": short_label(obj.get_kind_display()),
        "industry": short_label(obj.get_industry_display()),
        "status": short_label(obj.get_status_display()),
        "role": short_label(membership.get_role_display()) if membership else "",
    }
    # The panels come from the apps (core.panels): credit from merchants, complaints, campaigns.
    panels = merchant_panels_for(viewer=request.user, merchant=obj)
    context = {"merchant": obj, "membership": membership, "labels": labels, "panels": panels}
    return render(request, "portal/merchant.html", context)
