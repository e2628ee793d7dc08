"""Reads of the register, scoped to the viewer."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from integrity_portal.core.public_cache import public_pages_changed
from integrity_portal.core.scoping import scope_to_user_region

from ..models import ListEntry, ListName, Merchant, MerchantKind, MerchantStatus, Region
from .credit import q_entry_in_force
from .search import merchant_search_ranked


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


def merchant_member_users(merchant: Merchant):
    """The active accounts that act for ``merchant`` (its notices' recipients, notifications.kinds)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(memberships__merchant=merchant, is_active=True).order_by("pk")


def merchants_member_users(merchant_ids) -> dict[int, list]:
    """{merchant id: its active accounts, by pk} for many merchants in one query (the bulk fan-out)."""
    from ..models import Membership

    members: dict[int, list] = {}
    rows = (
        Membership.objects.filter(merchant_id__in=list(merchant_ids), user__is_active=True)
        .select_related("user")
        .order_by("merchant_id", "user_id")
    )
    for row in rows:
        users = members.setdefault(row.merchant_id, [])
        if not users or users[-1].pk != row.user_id:  # one account with two roles is told once
            users.append(row.user)
    return members


PUBLIC_HEADLINE_CACHE_KEY = "public:headline_counts:v1"
PUBLIC_HEADLINE_TTL = 300

# Staff-only columns never loaded for public reads (a template or serializer touching them would show up
# as one extra query per row in the query-count tests).
PUBLIC_DEFERRED_FIELDS = ("credit_class", "rating_stale")


def on_list_now(list_name: str = ListName.BLACK):
    """``Exists`` of an entry of ``list_name`` in force today for the outer merchant (badge, banner, API flag,
    open-data files).

    A correlated subquery on the (merchant, list_name) index: one more column on the page's one query,
    never a query per row; ``count()`` drops it, so the directory's total costs nothing more."""
    return Exists(
        ListEntry.objects.filter(
            q_entry_in_force(timezone.localdate()), list_name=list_name, merchant_id=OuterRef("pk")
        )
    )


def on_black_list_now():
    return on_list_now(ListName.BLACK)


def public_merchants():
    """Every registered entity (deregistered ones included, marked), with what a list row shows."""
    return (
        Merchant.objects.select_related("region", "region__parent", "parent_market")
        .defer(*PUBLIC_DEFERRED_FIELDS)
        .annotate(on_black_list=on_black_list_now())
        .order_by("name", "id")
    )


def public_merchants_open_data():
    """``public_merchants`` with what the open-data API adds per row: when the current rating was made
    (``rated_at``, one column of a join on the rating's primary key) and the "new rating pending" flag."""
    return public_merchants().annotate(
        rated_at=F("current_rating__computed_at"), new_rating_pending=F("rating_stale")
    )


def public_merchant_keys():
    """Every registered entity, the primary key only: what the API's filters and cursor narrow down before
    ``public_merchants_open_data_rows`` reads the page's rows. Without the joins and annotations a search
    matching thousands of entities sorts their ids, not thousands of joined rows (docs/BENCHMARKS.md §7).
    Dicts (``{"id": …}``), not model instances: the cursor pagination reads ``id`` from either."""
    return Merchant.objects.values("id")


def public_merchants_open_data_rows(pks) -> list:
    """The rows of ``public_merchants_open_data`` with these primary keys, in the order given."""
    pks = list(pks)
    if not pks:
        return []
    rows = {m.pk: m for m in public_merchants_open_data().filter(pk__in=pks).order_by()}
    return [rows[pk] for pk in pks if pk in rows]


def q_changed_since(moment):
    """Entities whose public record changed at or after ``moment``: a register edit (``updated_at``) or a new
    rating (the recompute writes a rating row, not ``updated_at``). The incremental-sync filter of the API."""
    return Q(updated_at__gte=moment) | Q(current_rating__computed_at__gte=moment)


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


def public_merchant_search(q: str, *, limit: int = 10):
    """The best ``limit`` register entries for ``q`` (name, former name, address, code prefix; the directory's
    ranked search, ``selectors.search``) — public register data only; the complaint form's merchant picker.
    Fewer than two characters find nothing (a picker needs a narrower query than the directory)."""
    if len((q or "").strip()) < 2:
        return Merchant.objects.none()
    return merchant_search_ranked(Merchant.objects.select_related("region"), q)[:limit]


def merchants_for_staff(user):
    """The register within the staff member's region (every region for a superuser or the city-wide
    roles ``core.scoping`` leaves unrestricted)."""
    return scope_to_user_region(Merchant.objects.all(), user)


def public_list_regions():
    """The cities and districts a public list can be filtered by (the province itself is not offered)."""
    return Region.objects.select_related("parent").exclude(level="province")


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
