"""Reads for role-model stories and followers (issue #19 items 6 and 7).

Public reads show only published stories of merchants the public may see (no personal data: a story is
about a business). Followers are read only by the notification fan-out, in batches of merchant ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from integrity_portal.core.scoping import scope_to_user_region

from ..models import MerchantFollower, RoleModelStatus, RoleModelStory

FOLLOWER_BATCH = 1000


def public_role_models(*, region_code: str | None = None) -> QuerySet[RoleModelStory]:
    """Published stories, newest year first (the ``/role-models/`` page)."""
    from ..regions import region_and_descendant_codes

    qs = RoleModelStory.objects.filter(status=RoleModelStatus.PUBLISHED).exclude(
        merchant__status="deregistered"
    )
    if region_code:
        qs = qs.filter(merchant__region_id__in=region_and_descendant_codes(region_code))
    return qs.select_related("merchant", "merchant__region").order_by("-year", "-published_at", "-id")


def public_role_model(pk) -> RoleModelStory | None:
    try:
        return public_role_models().filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def merchant_role_models_public(merchant) -> list[RoleModelStory]:
    """A merchant's published stories for its public profile."""
    return list(public_role_models().filter(merchant=merchant))


def merchant_ids_with_story(merchant_ids: Iterable[int]) -> set[int]:
    """Which of these merchants have a published story (one query for a page of the red list)."""
    ids = [int(i) for i in merchant_ids]
    if not ids:
        return set()
    return set(
        RoleModelStory.objects.filter(status=RoleModelStatus.PUBLISHED, merchant_id__in=ids).values_list(
            "merchant_id", flat=True
        )
    )


def role_models_for_staff(user) -> QuerySet[RoleModelStory]:
    return scope_to_user_region(
        RoleModelStory.objects.select_related("merchant"), user, field="merchant__region"
    )


def confirmed_followers(merchant_ids: Iterable[int]) -> dict[int, list[MerchantFollower]]:
    """Confirmed, still subscribed followers of these merchants, by merchant id: one query per
    ``FOLLOWER_BATCH`` merchants (on the partial index ``follower_active_idx``)."""
    ids = sorted({int(i) for i in merchant_ids})
    found: dict[int, list[MerchantFollower]] = defaultdict(list)
    for start in range(0, len(ids), FOLLOWER_BATCH):
        rows = MerchantFollower.objects.filter(
            merchant_id__in=ids[start : start + FOLLOWER_BATCH],
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        ).only("id", "merchant_id", "email", "language")
        for row in rows:
            found[row.merchant_id].append(row)
    return dict(found)
