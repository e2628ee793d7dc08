"""Reads about merchant portal accounts."""

from __future__ import annotations

from ..models import EmailConfirmation


def email_is_confirmed(user) -> bool:
    """True unless the account signed itself up and has not opened its confirmation link yet
    (accounts made by staff, demo data and older accounts have no confirmation row: confirmed)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return not EmailConfirmation.objects.filter(user_id=user.pk, confirmed_at__isnull=True).exists()
