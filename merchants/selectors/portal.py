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


# --- the portal home (to-do list and star changes across the viewer's businesses) ---------------------

#: How far ahead an expiring commitment and how far back a decision received show on the portal home.
PORTAL_HOME_DAYS = 30


def portal_todos(*, viewer, today: date) -> list:
    """The portal home's to-do items of this app (``core.panels``): decisions on the viewer's appeals and
    credit-repair requests taken in the last 30 days, and commitments ending within 30 days with no
    later one of the same kind signed."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from integrity_portal.core.panels import PortalTodo

    from .credit import q_commitment_in_force

    own = merchants_for_user(viewer).values("pk")
    since, until = today - timedelta(days=PORTAL_HOME_DAYS), today + timedelta(days=PORTAL_HOME_DAYS)
    items = []
    for appeal in RatingAppeal.objects.filter(merchant__in=own, decided_at__date__gte=since).select_related("merchant"):
        items.append(
            PortalTodo(
                kind="decision",
                label=_("星级申诉已处理：%(status)s") % {"status": appeal.get_status_display()},
                merchant_name=appeal.merchant.name,
                url=reverse("portal_credit:appeal", args=[appeal.merchant_id]),
                note=appeal.decision_reason,
            )
        )
    for repair in CreditRepairRequest.objects.filter(merchant__in=own, decided_at__date__gte=since).select_related(
        "merchant"
    ):
        items.append(
            PortalTodo(
                kind="decision",
                label=_("信用修复申请已审核：%(status)s") % {"status": repair.get_status_display()},
                merchant_name=repair.merchant.name,
                url=reverse("portal_credit:repair", args=[repair.merchant_id]),
            )
        )
    in_force = Commitment.objects.filter(q_commitment_in_force(today), merchant__in=own)
    later = {(c.merchant_id, c.kind) for c in in_force.filter(valid_until__gt=until).only("merchant_id", "kind")}
    for c in in_force.filter(valid_until__lte=until).select_related("merchant").order_by("valid_until"):
        if (c.merchant_id, c.kind) in later:
            continue
        items.append(
            PortalTodo(
                kind="commitment",
                label=_("信用承诺即将到期，请续签：%(kind)s") % {"kind": c.get_kind_display()},
                merchant_name=c.merchant.name,
                url=reverse("portal_credit:commitment", args=[c.merchant_id]),
                due=c.valid_until,
            )
        )
    return items


def member_star_changes(*, viewer, limit: int = 10) -> list[dict]:
    """The latest star changes of the viewer's businesses, newest first, each with the reason: the
    deduction elements that moved and the rating's own explanation (``rating_explanation``)."""
    from .credit import ELEMENT_LABELS
    from .ratings import ELEMENTS, rating_explanation

    ratings = (
        Rating.objects.filter(merchant__in=merchants_for_user(viewer).values("pk"))
        .select_related("merchant", "policy")
        .order_by("merchant_id", "computed_at", "id")
    )
    changes, previous = [], {}
    for rating in ratings:
        before = previous.get(rating.merchant_id)
        previous[rating.merchant_id] = rating
        if before is None or (before.stars, before.black_listed) == (rating.stars, rating.black_listed):
            continue
        moved = [
            {"label": str(ELEMENT_LABELS[key]), "before": getattr(before, key), "after": getattr(rating, key)}
            for key in ELEMENTS
            if getattr(before, key) != getattr(rating, key)
        ]
        changes.append(
            {
                "merchant": rating.merchant,
                "at": rating.computed_at,
                "before": before.stars,
                "after": rating.stars,
                "moved": moved,
                "reasons": rating_explanation(rating)["lines"],
            }
        )
    changes.sort(key=lambda c: c["at"], reverse=True)
    return changes[:limit]
