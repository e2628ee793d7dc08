"""Reads for the merchant portal: one merchant's own records, for a member of that merchant.

Every selector takes the viewer and the merchant (as ``member_merchant_or_404`` found it) and keeps
only rows of a merchant the viewer holds a ``Membership`` for, so a page or endpoint that skipped
the membership check still shows nothing of another merchant's. Default model ordering; callers slice.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from ..models import (
    Commitment,
    CreditRepairRequest,
    ListEntry,
    Penalty,
    Rating,
    RatingAppeal,
    RatingReply,
    ReinspectionRequest,
)
from .register import merchants_for_user
from .repair import q_repairable_entry, q_repairable_penalty, repair_earliest_date


def _own(qs: QuerySet, viewer, merchant) -> QuerySet:
    return qs.filter(merchant=merchant, merchant__in=merchants_for_user(viewer).values("pk"))


def member_commitments(*, viewer, merchant) -> QuerySet[Commitment]:
    return _own(Commitment.objects.all(), viewer, merchant)


def member_repair_requests(*, viewer, merchant) -> QuerySet[CreditRepairRequest]:
    return _own(CreditRepairRequest.objects.select_related("list_entry", "penalty"), viewer, merchant)


def member_appeals(*, viewer, merchant) -> QuerySet[RatingAppeal]:
    return _own(RatingAppeal.objects.all(), viewer, merchant)


def member_replies(*, viewer, merchant) -> QuerySet[RatingReply]:
    return _own(RatingReply.objects.all(), viewer, merchant)


def member_reinspection_requests(*, viewer, merchant) -> QuerySet[ReinspectionRequest]:
    return _own(ReinspectionRequest.objects.all(), viewer, merchant)


def member_current_rating(*, viewer, merchant) -> Rating | None:
    """The merchant's current rating with its policy (for the breakdown); None when not rated."""
    if not merchant.current_rating_id:
        return None
    return _own(Rating.objects.select_related("policy"), viewer, merchant).filter(pk=merchant.current_rating_id).first()


def member_repair_candidates(*, viewer, merchant, as_of: date) -> list[tuple[str, ListEntry | Penalty, date | None]]:
    """The facts the portal offers for credit repair, as ``(key, fact, earliest date)``.

    The definition of a repairable fact is ``selectors.repair`` (the service checks the chosen one
    by it). A fact whose earliest date is None is listed, so the merchant sees why, but is not
    repaired early here (e.g. a judgment defaulter, who leaves by court decision).
    """
    out = []
    for e in _own(ListEntry.objects.filter(q_repairable_entry(as_of)), viewer, merchant):
        out.append((f"entry:{e.pk}", e, repair_earliest_date(list_entry=e)))
    for p in _own(Penalty.objects.filter(q_repairable_penalty(as_of)), viewer, merchant):
        out.append((f"penalty:{p.pk}", p, repair_earliest_date(penalty=p)))
    return out
