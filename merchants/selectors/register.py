"""Reads of the register, scoped to the viewer."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from ..models import ListEntry, ListName, Merchant, MerchantKind, MerchantStatus, Region
from .credit import q_entry_in_force


def merchants_for_user(user):
    """The merchants a portal user may act for (through a Membership); none for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return Merchant.objects.none()
    return Merchant.objects.filter(memberships__user=user).select_related("region").distinct()


def member_merchant_or_404(user, pk: int) -> Merchant:
    """One of the user's own merchants; anything else is a 404 (never a 403 that confirms it exists)."""
    try:
        return merchants_for_user(user).get(pk=pk)
    except (Merchant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


PUBLIC_HEADLINE_CACHE_KEY = "public:headline_counts:v1"
PUBLIC_HEADLINE_TTL = 300

# Staff-only columns never loaded for public reads (a template or serializer touching them would show up
# as one extra query per row in the query-count tests).
PUBLIC_DEFERRED_FIELDS = ("credit_class", "rating_stale")


def on_black_list_now():
    """``Exists`` of a black-list entry in force today for the outer merchant (badge, banner, API flag).

    A correlated subquery on the (merchant, list_name) index: one more column on the page's one query,
    never a query per row; ``count()`` drops it, so the directory's total costs nothing more."""
    return Exists(
        ListEntry.objects.filter(
            q_entry_in_force(timezone.localdate()), list_name=ListName.BLACK, merchant_id=OuterRef("pk")
        )
    )


def public_merchants():
    """Every registered entity (deregistered ones included, marked), with what a list row shows."""
    return (
        Merchant.objects.select_related("region", "region__parent", "parent_market")
        .defer(*PUBLIC_DEFERRED_FIELDS)
        .annotate(on_black_list=on_black_list_now())
        .order_by("name", "id")
    )


def public_merchant_or_404(pk) -> Merchant:
    """One entity for its public profile (all columns: the credit panel reads further facts)."""
    try:
        return (
            Merchant.objects.select_related("region", "region__parent", "parent_market")
            .annotate(on_black_list=on_black_list_now())
            .get(pk=pk)
        )
    except (Merchant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_regions():
    return Region.objects.select_related("parent").order_by("code")


def public_headline_counts() -> dict:
    """Counts for the home page, in one aggregate query, cached for a few minutes."""

    def compute() -> dict:
        active = ~Q(status=MerchantStatus.DEREGISTERED)
        counts = Merchant.objects.aggregate(
            total=Count("id", filter=active),
            markets=Count("id", filter=active & Q(kind=MerchantKind.MARKET)),
            enterprises=Count("id", filter=active & Q(kind=MerchantKind.ENTERPRISE)),
            merchants=Count("id", filter=active & Q(kind=MerchantKind.MERCHANT)),
            rated=Count("id", filter=active & Q(stars__isnull=False)),
            five_star=Count("id", filter=active & Q(stars=5)),
        )
        counts["by_city"] = dict(
            Merchant.objects.filter(active)
            .values_list("region__parent_id")
            .annotate(n=Count("id"))
            .values_list("region__parent_id", "n")
        )
        return counts

    return cache.get_or_set(PUBLIC_HEADLINE_CACHE_KEY, compute, PUBLIC_HEADLINE_TTL)


def public_headline_counts_clear() -> None:
    cache.delete(PUBLIC_HEADLINE_CACHE_KEY)
    public_pages_changed()


# Public pages and open-data answers are cached with the version number they were rendered under: any
# change a visitor could see bumps it (rating recompute, register saves, appeals, replies, region edits), so
# every cached answer goes stale at once and a hit costs no query. The TTL bounds what a change made outside
# those writes can leave.
PUBLIC_PAGES_VERSION_KEY = "public:pages:version"
PUBLIC_PAGES_TTL = 60


def public_pages_version() -> int:
    version = cache.get(PUBLIC_PAGES_VERSION_KEY)
    if version is None:
        cache.add(PUBLIC_PAGES_VERSION_KEY, 1, None)
        version = cache.get(PUBLIC_PAGES_VERSION_KEY, 1)
    return int(version)


def public_pages_changed() -> None:
    """Invalidate every cached public page and open-data answer (call after the change is committed)."""
    try:
        cache.incr(PUBLIC_PAGES_VERSION_KEY)
    except ValueError:
        cache.add(PUBLIC_PAGES_VERSION_KEY, 2, None)


def public_cache_key(kind: str, *parts: str) -> str:
    """A cache key for one public answer (parts: path, language, host…); the version is stored in the value."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"public:{kind}:{digest}"


def public_cache_get(key: str) -> tuple[int, object | None]:
    """The current version and the answer stored under ``key`` if it was stored under that version.

    Version and answer are read together (one round trip on Redis); an answer stored before the last bump,
    or by a render that began before it, is a miss.
    """
    values = cache.get_many([PUBLIC_PAGES_VERSION_KEY, key])
    version = values.get(PUBLIC_PAGES_VERSION_KEY)
    if version is None:
        return public_pages_version(), None
    stored = values.get(key)
    if stored is not None and stored[0] == version:
        return int(version), stored[1]
    return int(version), None


def public_cache_set(key: str, version: int, answer) -> None:
    """Store an answer rendered under ``version`` (as returned by ``public_cache_get`` before rendering)."""
    cache.set(key, (version, answer), PUBLIC_PAGES_TTL)
