"""Template tags of issue #19 items 6 and 7: a merchant's published role-model stories, the follow form,
and the ``<link rel="alternate">`` of a page's Atom feeds (one per city, or the filtered region's)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..filters.register import region_groups
from ..regions import region_exists
from ..selectors.engagement import merchant_role_models_public

register = template.Library()


@register.inclusion_tag("merchants/partials/role_model_stories.html")
def merchant_role_models(merchant):
    return {"stories": merchant_role_models_public(merchant)}


@register.inclusion_tag("merchants/partials/follow_form.html", takes_context=True)
def follow_form(context, merchant):
    return {"merchant": merchant, "csrf_token": context.get("csrf_token")}


def _feeds(url_name: str, region: str | None) -> list[tuple[str, str]]:
    if region and region_exists(region):
        return [(reverse(url_name, args=[region]), region)]
    return [(reverse(url_name, args=[g["code"]]), g["name"]) for g in region_groups()]


@register.simple_tag
def feed_alternates(url_name: str, title: str, region: str | None = None):
    """``<link rel="alternate" type="application/atom+xml">`` for the region's feed (unfiltered: each city's)."""
    return format_html_join(
        "\n",
        '<link rel="alternate" type="application/atom+xml" title="{} · {}" href="{}">',
        ((title, name, url) for url, name in _feeds(url_name, region)),
    )


@register.simple_tag
def feed_link(url_name: str, region: str | None = None):
    """A visible "订阅（Atom）" link for a filtered page (nothing when no region is chosen)."""
    if not region or not region_exists(region):
        return ""
    from django.utils.translation import gettext as _

    return format_html(
        '<a class="feed-link" href="{}" type="application/atom+xml">{}</a>',
        reverse(url_name, args=[region]),
        _("订阅本辖区更新（Atom）"),
    )
