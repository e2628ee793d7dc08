"""Reads of the register, scoped to the viewer."""

from __future__ import annotations

from django.http import Http404

from ..models import Merchant


def merchants_for_user(user):
    """The merchants a portal user may act for (through a Membership); none for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return Merchant.objects.none()
    return Merchant.objects.filter(memberships__user=user).select_related("region").distinct()


def member_merchant_or_404(user, pk: int) -> Merchant:
    """One of the user's own merchants; anything else is a 404 (never a 403 that confirms it exists)."""
    try:
        return merchants_for_user(user).get(pk=pk)
    except (Merchant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
