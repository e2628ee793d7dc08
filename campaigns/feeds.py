"""Atom feed of commendation notices (表彰名单公告) per city and district (merchants.feeds.RegionFeed).

A region's feed holds every published commendation list of a campaign of that region (or, for a district,
of its city) that commends at least one business of the region, newest first: the notice's title, number
and text, and the names of the region's commended businesses — never a person's data.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from merchants.feeds import FEED_ITEMS, RegionFeed

from . import selectors


class CommendationFeed(RegionFeed):
    page_url_name = "campaigns:notice_list"
    feed_url_name = "feed_commendations"

    def title(self, obj):
        return _("%(region)s 诚信经营示范表彰公告") % {"region": obj.full_name}

    def subtitle(self, obj):
        return _("诚信门户发布的表彰名单公告。")

    def items(self, obj):
        lists = (
            selectors.public_commendation_lists()
            .filter(Q(campaign__region_id__in=obj.codes) | Q(entries__merchant__region_id__in=obj.codes))
            .distinct()
            .order_by("-published_at", "-id")[:FEED_ITEMS]
        )
        lists = list(lists)
        names: dict[int, list[str]] = {}
        entries = (
            selectors.public_commendation_entries()
            .filter(commendation_list__in=lists, merchant__region_id__in=obj.codes)
            .order_by("rank", "id")
        )
        for entry in entries:
            names.setdefault(entry.commendation_list_id, []).append(entry.merchant.name)
        for item in lists:
            item.region_names = names.get(item.pk, [])
        return lists

    def item_title(self, item):
        return f"{item.notice_title}（{item.get_category_display()}）"

    def item_description(self, item):
        text = _("公告文号：%(number)s") % {"number": item.notice_number}
        if item.region_names:
            text += "\n" + _("本地区受表彰的市场主体：%(names)s") % {"names": "、".join(item.region_names)}
        return text + "\n\n" + item.notice_text

    def item_link(self, item):
        return reverse("campaigns:notice", args=[item.campaign_id]) + f"#commendation-{item.pk}"

    def item_pubdate(self, item):
        return item.published_at
