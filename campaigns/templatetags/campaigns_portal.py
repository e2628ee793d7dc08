"""Data for the portal's campaigns panel (the panel is included by the portal home for one merchant)."""

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag
def campaigns_panel_data(merchant) -> dict:
    return {
        "open_campaigns": list(selectors.open_campaigns_for_merchant(merchant)),
        "applications": list(selectors.applications_for_merchant(merchant)[:5]),
        "psa": selectors.psa_status_for_merchant(merchant),
    }
