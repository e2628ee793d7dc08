"""Public pages: home with headline counts and a merchant's profile; the public page cache (the directory: ``directory``)."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import get_language

from integrity_portal.core.cache import reduce_query
from integrity_portal.core.public_cache import (
    PUBLIC_PAGES_TTL,
    public_cache_get,
    public_cache_key,
    public_cache_set,
    public_pages_version_recent,
)

from ..filters.register import (
    INDUSTRY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    region_choices,
    region_groups,
)
from ..models import MerchantStatus
from ..selectors.register import (
    public_headline_counts,
    public_merchant_or_404,
)

# The rendered page is the same for every anonymous visitor except the CSRF token of the language form,
# which is cut out before storing and filled in with this visitor's own token on every hit.
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_SLOT = b"\x00csrf\x00"


def _cacheable_request(request) -> bool:
    """Only anonymous visitors without a session or pending messages: everyone else sees personal bits."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


#: Pages asked for recently in this process: key -> (first asked, times). Bounded; the oldest go first.
_SEEN: OrderedDict[str, tuple[float, int]] = OrderedDict()
_SEEN_MAX = 20_000
_SEEN_LOCK = threading.Lock()


def _asked(key: str) -> int:
    """How many times this process was asked for ``key`` within the TTL, this request included: the
    admission filter of ``_serve_cached``. A page is stored only once this process was asked for it
    ``admit_after`` times within the TTL, so one-off searches do not push the popular pages out of the
    shared cache.

    Counted per process, not in the cache: a Redis round trip on every uncached search cost more than it
    saved (docs/BENCHMARKS.md §7), and a page asked for often reaches the count in every worker soon enough
    (at most ``admit_after`` requests per worker)."""
    now = time.monotonic()
    with _SEEN_LOCK:  # shared by the threads of a threaded server
        first, times = _SEEN.pop(key, (now, 0))
        if now - first > PUBLIC_PAGES_TTL:
            first, times = now, 0
        times += 1
        _SEEN[key] = (first, times)
        while len(_SEEN) > _SEEN_MAX:
            _SEEN.popitem(last=False)
    return times


def _serve_cached(request, key_parts: tuple, produce, admit_after: int = 1):
    """The page from the shared cache, or ``produce(version)`` stored once admitted.

    With an admission count (``admit_after`` > 1), a page this process is asked for the first time is not
    looked up at all: it is rendered (``produce`` with the version this process read last, at most half a
    second ago — ``public_pages_version_recent``). Almost every search is asked once, so this saves the
    cache's round trip on nearly every one (docs/BENCHMARKS.md §7); a page another worker already stored is
    read from the cache from this process's second request for it on."""
    key = public_cache_key("page", request.path, request.GET.urlencode(), get_language() or "", *key_parts)
    asked = _asked(key) if admit_after > 1 else 1
    if asked == 1 and admit_after > 1:
        version, hit = public_pages_version_recent(), None
    else:
        version, hit = public_cache_get(key)
    if hit is not None:
        content_type, body = hit
        return HttpResponse(body.replace(_CSRF_SLOT, get_token(request).encode()), content_type=content_type)
    response = produce(version)
    if asked < admit_after:
        return response
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    content_type = response.get("Content-Type", "")
    if (
        response.status_code == 200
        and not response.streaming
        and content_type.startswith("text/html")
        and not response.has_header("Content-Disposition")
    ):
        body = _CSRF_INPUT.sub(rb"\1" + _CSRF_SLOT + rb"\2", response.content)
        public_cache_set(key, version, (content_type, body))
    return response


def cached_public_page(view=None, *, params: tuple[str, ...] = (), admit_after: int = 1):
    """Serve a public HTML page from the cache under the public pages version (see selectors.register).

    ``params`` names every query parameter the view reads. The view is handed ``request.GET`` reduced to
    them (normalised by ``core.cache.reduce_query``) and the cache key is built from exactly that, so two URLs
    share an entry only when the view sees the same input, and unknown parameters cannot multiply entries.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            reduce_query(request, params)
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            return _serve_cached(request, (), lambda _version: view(request, *args, **kwargs), admit_after)

        return wrapper

    return decorate(view) if view is not None else decorate


def _label(merchant) -> None:
    """Attach the plain Chinese labels the templates show (no queries)."""
    merchant.kind_label = KIND_LABELS.get(merchant.kind, merchant.kind)
    merchant.industry_label = INDUSTRY_LABELS.get(merchant.industry, merchant.industry)
    merchant.status_label = STATUS_LABELS.get(merchant.status, merchant.status)
    merchant.is_deregistered = merchant.status == MerchantStatus.DEREGISTERED
    if merchant.stars is not None:
        merchant.star_glyphs = "★" * merchant.stars + "☆" * (5 - merchant.stars)


@cached_public_page  # reads no parameter: ``/?x=1`` and ``/?y=2`` are the same entry as ``/``
def home(request):
    counts = public_headline_counts()
    groups = region_groups()
    for group in groups:
        group["count"] = counts["by_city"].get(group["code"], 0)
    groups.sort(key=lambda g: (-g["count"], g["code"]))
    return render(
        request,
        "public/home.html",
        {"counts": counts, "region_choices": region_choices(), "region_groups": groups},
    )


@cached_public_page
def merchant_detail(request, pk: int):
    """Cached like the lists: every write a profile shows (register, region, appeal, reply, rating) bumps the
    public pages version, so a hit costs no query. An unknown id raises 404 before anything is stored."""
    merchant = public_merchant_or_404(pk)
    _label(merchant)
    return render(request, "merchants/merchant_detail.html", {"merchant": merchant})


ROBOTS_DISALLOW = ("/admin/", "/portal/", "/accounts/", "/api/", "/i18n/", "/complaints/track/")


def robots_txt(request):
    """Crawlers may index the public register and lists, not the back office, the merchant portal, sign-in,
    the API (open data has its own documentation and files) or complaint tracking. Served by this app, the
    public site's, because the paths are the apps' own (core names no app).

    A plain Django view through every middleware that reads nothing: also the benchmarks' *trivial Django
    view*, the yardstick of the performance targets (docs/BENCHMARKS.md); ``/healthz/`` is answered by a
    middleware before most of the stack and queries the database, so it is a different yardstick."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
