"""Template tags for the credit panels: data comes from the selectors in a fixed number of queries."""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..selectors.credit import merchant_credit_profile, merchant_open_appeal

register = template.Library()


@register.inclusion_tag("credit/_public_panel.html")
def credit_panel(merchant):
    """The public profile's credit section. The internal credit-risk class is never put in this context."""
    return merchant_credit_profile(merchant=merchant, as_of=timezone.localdate())


@register.inclusion_tag("credit/_portal_panel.html")
def portal_credit_panel(merchant):
    from ..services.recourse import appeal_deadline, raise_rating_suggestions

    context = merchant_credit_profile(merchant=merchant, as_of=timezone.localdate())
    rating = context["rating"]
    context["suggestions"] = raise_rating_suggestions(merchant=merchant)
    context["open_appeal"] = merchant_open_appeal(merchant=merchant)
    context["appeal_until"] = (
        appeal_deadline(rating) if rating is not None and rating.stars is not None else None
    )
    context["today"] = timezone.localdate()
    return context


@register.inclusion_tag("merchants/_stars.html")
def stars(value):
    """Stars 0–5, or "not yet rated" for anything else (None, or a missing rating resolving to "")."""
    return {"stars": value if isinstance(value, int) and not isinstance(value, bool) else None}
