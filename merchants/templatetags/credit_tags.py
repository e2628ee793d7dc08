"""Template tags for the credit panels: data comes from the selectors in a fixed number of queries."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..models import MerchantStatus
from ..selectors.credit import merchant_credit_profile, merchant_open_appeal
from ..selectors.ratings import public_star_shares

register = template.Library()


@register.inclusion_tag("credit/_public_panel.html")
def credit_panel(merchant):
    """The public profile's credit section. The internal credit-risk class is never put in this context."""
    return merchant_credit_profile(merchant=merchant, as_of=timezone.localdate())


@register.inclusion_tag("credit/_portal_panel.html")
def portal_credit_panel(merchant):
    from ..selectors.repair import repair_earliest_date
    from ..services.recourse import appeal_deadline, raise_rating_suggestions

    context = merchant_credit_profile(merchant=merchant, as_of=timezone.localdate())
    # A black entry in force gives 0 stars: the panel names each entry and when credit repair may be asked
    # for (None: this kind is not repaired here, e.g. a judgment defaulter leaves by court decision).
    context["black_repairs"] = [
        {"entry": e, "earliest": repair_earliest_date(list_entry=e)} for e in context["black_entries"]
    ]
    # No plaque while black-listed or deregistered (the plaque URL refuses too: views.credit.plaque).
    context["plaque_allowed"] = not context["black_entries"] and not context["deregistered"]
    rating = context["rating"]
    context["suggestions"] = raise_rating_suggestions(merchant=merchant)
    context["open_appeal"] = merchant_open_appeal(merchant=merchant)
    context["appeal_until"] = (
        appeal_deadline(rating) if rating is not None and rating.stars is not None else None
    )
    context["today"] = timezone.localdate()
    return context


# The star display depends on its three inputs, the language and the URL prefix only: rendered once per
# process for each (at most 7 × 2 × 2 per language), then reused — the directory shows 20 per page.
_STARS_HTML: dict[tuple, str] = {}


@register.simple_tag
def stars(value, status: str = "", how: bool = True):
    """Stars 0–5, "not yet rated" for anything else (None, or a missing rating resolving to ""), or
    "deregistered" when ``status`` says so (a deregistered business shows no current stars). ``how`` links
    the display to /ratings/how/. Renders ``merchants/_stars.html`` (memoised; not under DEBUG, so template
    edits show at once in development)."""
    context = {
        "stars": value if isinstance(value, int) and not isinstance(value, bool) else None,
        "deregistered": status == MerchantStatus.DEREGISTERED,
        "how": bool(how),
    }
    key = (context["stars"], context["deregistered"], context["how"], get_language(), get_script_prefix())
    html = None if settings.DEBUG else _STARS_HTML.get(key)
    if html is None:
        html = _STARS_HTML[key] = mark_safe(get_template("merchants/_stars.html").render(context))  # noqa: S308
    return html


@register.inclusion_tag("merchants/_star_shares.html")
def star_shares(filterset=None):
    """The share of entities at each star level for the directory's region filter (all regions without one).

    Only the region filter counts (a district's distribution does not change with the text searched); an
    unknown region shows every region's."""
    region = None
    form = getattr(filterset, "form", None)
    if form is not None:
        form.is_valid()  # cleans once (cached by the form); valid fields stay in cleaned_data
        region = getattr(form, "cleaned_data", {}).get("region") or None
    return {"shares": public_star_shares(region_code=region)}
