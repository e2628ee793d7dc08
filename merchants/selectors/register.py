"""Reads of the register, scoped to the viewer."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404

from ..models import Merchant, MerchantKind, MerchantStatus, Region


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


def public_merchants():
    """Every registered entity (deregistered ones included, marked), with what a list row shows."""
    return (
        Merchant.objects.select_related("region", "region__parent", "parent_market")
        .defer(*PUBLIC_DEFERRED_FIELDS)
        .order_by("name", "id")
    )


def public_merchant_or_404(pk) -> Merchant:
    """One entity for its public profile (all columns: the credit panel reads further facts)."""
    try:
        return Merchant.objects.select_related("region", "region__parent", "parent_market").get(pk=pk)
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


# Public pages and open-data answers are cached under a version number: any change a visitor could
# see bumps it (rating recompute, list entries, credit facts), so every cached page goes stale at once
# and costs nothing to invalidate. The TTL bounds what a change made outside those services can leave.
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
    """A cache key for one public answer under the current version (parts: path, language, host…)."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"public:{kind}:v{public_pages_version()}:{digest}"


# One fixed statement (no ORM compilation: it runs on every cached profile view). The whole merchant row,
# its region's name and parent, the parent market's name and the published reply: anything the profile shows
# that is not covered by a version bump (register edits, appeals, replies) changes this stamp.
_STAMP_SQL = """
SELECT m.*, r.name, r.parent_id, pm.name,
  (SELECT rr.id FROM merchants_ratingreply rr WHERE rr.merchant_id = m.id AND rr.status = %s
   ORDER BY rr.id DESC LIMIT 1),
  (SELECT rr.reviewed_at FROM merchants_ratingreply rr WHERE rr.merchant_id = m.id AND rr.status = %s
   ORDER BY rr.id DESC LIMIT 1)
FROM merchants_merchant m
JOIN merchants_region r ON r.code = m.region_id
LEFT JOIN merchants_merchant pm ON pm.id = m.parent_market_id
WHERE m.id = %s
"""


def merchant_public_stamp(pk: int) -> str | None:
    """A fingerprint of what a merchant's cached public profile depends on; None if there is no such entity."""
    from django.db import connection

    from ..models import ReplyStatus

    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL, [ReplyStatus.PUBLISHED.value, ReplyStatus.PUBLISHED.value, pk])
        row = cursor.fetchone()
    return None if row is None else repr(row)
