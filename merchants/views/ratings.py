"""The public page that explains the stars (/ratings/how/), generated from the active rating policy."""

from __future__ import annotations

from django.shortcuts import render

from ..selectors.ratings import policy_explanation
from ..services.rating_policy import rating_policy_active
from .public import cached_public_page


@cached_public_page
def ratings_how(request):
    """Always the active policy's own numbers: activating another policy bumps the public pages version
    (``rating_policy_activate``), so the cached page changes with it."""
    return render(
        request, "merchants/ratings_how.html", {"policy": policy_explanation(rating_policy_active())}
    )
