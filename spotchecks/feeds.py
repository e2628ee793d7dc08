"""Atom feed of published spot-check results (双随机抽查结果公示) per city and district
(merchants.feeds.RegionFeed): the plans the public selector lists as published, issued by the region or
covering one of its districts, newest first. Plan titles and public summaries only."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from merchants.feeds import FEED_ITEMS, RegionFeed

from .selectors import public_plans


class SpotCheckFeed(RegionFeed):
    page_url_name = "spotchecks:plan_list"
    feed_url_name = "feed_spot_checks"

    def title(self, obj):
        return _("%(region)s 双随机抽查结果公示") % {"region": obj.full_name}

    def subtitle(self, obj):
        return _("诚信门户公示的双随机抽查计划及结果。")

    def items(self, obj):
        return list(
            public_plans(published_only=True)
            .filter(Q(region_id__in=obj.codes) | Q(districts__code__in=obj.codes))
            .distinct()
            .order_by("-published_at", "-id")[:FEED_ITEMS]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return _("%(year)s年度抽查计划，发布单位辖区：%(region)s。") % {
            "year": item.year,
            "region": item.region.full_name,
        }

    def item_link(self, item):
        return reverse("spotchecks:plan_detail", args=[item.pk])

    def item_pubdate(self, item):
        return item.published_at
