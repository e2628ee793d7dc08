"""``{% merchant_spot_checks merchant.pk %}``: a merchant's published 双随机 results on its public profile
(merchants names no app that depends on it, so the profile template loads this library)."""

from django import template

from ..selectors_public import merchant_published_results

register = template.Library()


@register.inclusion_tag("spotchecks/_merchant_results.html")
def merchant_spot_checks(merchant_id: int) -> dict:
    return {"results": merchant_published_results(merchant_id)}
