"""Atom feeds of what the public follows (issue #19 item 7; docs/NOTIFICATIONS.md, "Feeds").

``RegionFeed`` is the shared base: one feed per city or district (``/feeds/<name>/<region code>.atom``;
an unknown code is a 404), Atom 1.0 (``Atom1Feed``), cached under the public pages version like the
public pages (``core.public_cache``): every change that shows on a public page bumps the version, so a
new entry is in the feed at the next request. Items carry public columns only (business names, list
kinds, decision numbers, notice texts): never a person's name, phone or address.

This app's feed: new black-list entries. Campaigns (commendation notices) and spot checks (published
plans) subclass the base in their own ``feeds.py``.
"""

from __future__ import annotations

import re

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from integrity_portal.core.public_cache import public_cache_get, public_cache_key, public_cache_set

from .models import ListName
from .regions import region_and_descendant_codes, region_exists
from .selectors.credit import list_entries_public

FEED_ITEMS = 50
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
#: Characters XML 1.0 cannot carry; one in a stored text (pasted from a word processor) made the feed a 500.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(value):
    return _XML_ILLEGAL.sub("", value) if isinstance(value, str) else value


class RegionFeed(Feed):
    """A public Atom feed of one region (a city covers its districts)."""

    feed_type = Atom1Feed
    #: The URL name of the matching public page (a ``region`` query parameter filters it).
    page_url_name = ""
    #: The URL name of this feed (``<name>`` with a ``region_code`` argument).
    feed_url_name = ""

    def __call__(self, request, *args, **kwargs):
        key = public_cache_key("feed", request.path, get_language() or "")
        version, hit = public_cache_get(key)
        if hit is not None:
            return HttpResponse(hit, content_type=ATOM_CONTENT_TYPE)
        response = super().__call__(request, *args, **kwargs)
        response["Content-Type"] = ATOM_CONTENT_TYPE
        if response.status_code == 200:
            public_cache_set(key, version, response.content)
        return response

    def get_feed(self, obj, request):
        """The feed with control characters dropped from every text (titles, descriptions, links)."""
        feed = super().get_feed(obj, request)
        feed.feed = {key: _xml_safe(value) for key, value in feed.feed.items()}
        for item in feed.items:
            item.update({key: _xml_safe(value) for key, value in item.items()})
        return feed

    def get_object(self, request, region_code: str):
        if not region_exists(region_code):
            raise Http404(_("未知的区划代码。"))
        from .selectors.register import public_regions

        region = public_regions().filter(code=region_code).first()
        if region is None or region.level == "province":
            raise Http404(_("订阅源只按市或区县提供。"))
        region.codes = region_and_descendant_codes(region_code)
        return region

    def link(self, obj):
        return reverse(self.page_url_name) + f"?region={obj.code}"

    def feed_url(self, obj):
        return reverse(self.feed_url_name, args=[obj.code])

    def item_updateddate(self, item):
        return self.item_pubdate(item)


class BlackListFeed(RegionFeed):
    """Black-list entries in force in the region, newest first."""

    page_url_name = "credit:black_list"
    feed_url_name = "feed_black_list"

    def title(self, obj):
        return _("%(region)s 严重失信主体名单（黑名单）新增") % {"region": obj.full_name}

    def subtitle(self, obj):
        return _("诚信门户公布的黑名单记录，仅含市场主体名称、类别、事由、依据和决定书文号。")

    def items(self, obj):
        entries = list_entries_public(list_name=ListName.BLACK, as_of=timezone.localdate())
        return entries.filter(merchant__region_id__in=obj.codes).order_by("-created_at", "-id")[:FEED_ITEMS]

    def item_title(self, item):
        return f"{item.merchant.name}（{item.get_kind_display()}）"

    def item_description(self, item):
        return _(
            "列入事由：%(reason)s；列入依据：%(basis)s；决定书文号：%(number)s；作出决定机关：%(by)s；列入日期：%(date)s"
        ) % {
            "reason": item.reason,
            "basis": item.legal_basis,
            "number": item.decision_number,
            "by": item.decided_by,
            "date": item.valid_from.isoformat(),
        }

    def item_link(self, item):
        return reverse("public:merchant_detail", args=[item.merchant_id]) + f"#list-entry-{item.pk}"

    def item_pubdate(self, item):
        return item.created_at
