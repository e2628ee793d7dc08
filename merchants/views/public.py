"""Public pages: home with headline counts and a merchant's profile; the public page cache (the directory: ``directory``)."""

from __future__ import annotations

import re
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import get_language

from integrity_portal.core.cache import reduce_query
from integrity_portal.core.public_cache import public_cache_key, public_cache_lookup, public_cache_set

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


def _serve_cached(request, key_parts: tuple, produce, admit_after: int = 1):
    """The page from the shared cache, or ``produce(version)``, stored once admitted (``admit_after``:
    ``core.public_cache.public_cache_lookup``)."""
    key = public_cache_key("page", request.path, request.GET.urlencode(), get_language() or "", *key_parts)
    version, hit, admitted = public_cache_lookup(key, admit_after=admit_after)
    if hit is not None:
        content_type, body = hit
        return HttpResponse(body.replace(_CSRF_SLOT, get_token(request).encode()), content_type=content_type)
    response = produce(version)
    if not admitted:
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
