"""Reads of credit facts, lists and ratings, scoped to the viewer.

"In force" has one definition per fact and it lives here, as Q objects the rating
engine, the pages, the API and the campaigns app all share.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.ratingfacts import provider_fact_label
from integrity_portal.core.scoping import scope_to_user_region

from ..models import (
    AppealStatus,
    Commitment,
    Inspection,
    ListEntry,
    ListName,
    Merchant,
    MerchantStatus,
    Penalty,
    PenaltyTier,
    Rating,
    RatingAppeal,
    RatingReply,
    Region,
    ReplyStatus,
)


def q_commitment_in_force(as_of: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}revoked_at__isnull": True, f"{prefix}signed_at__date__lte": as_of}) & Q(
        **{f"{prefix}valid_until__gte": as_of}
    )


def q_penalty_in_publicity(as_of: date, prefix: str = "") -> Q:
    """Published, not revoked, not ended early by credit repair, and within its window."""
    return Q(
        **{
            f"{prefix}published": True,
            f"{prefix}revoked_at__isnull": True,
            f"{prefix}publicity_ended_at__isnull": True,
            f"{prefix}publicity_from__lte": as_of,
            f"{prefix}publicity_until__gte": as_of,
        }
    )


def q_entry_in_force(as_of: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}ended_at__isnull": True, f"{prefix}valid_from__lte": as_of}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": as_of})
    )


# --- contract used by the campaigns app (eligibility checks) -----------------------------


def merchant_has_black_entry_in_force(*, merchant, as_of: date) -> bool:
    return ListEntry.objects.filter(
        q_entry_in_force(as_of), merchant=merchant, list_name=ListName.BLACK
    ).exists()


def merchant_has_serious_penalty_in_publicity(*, merchant, as_of: date) -> bool:
    return Penalty.objects.filter(
        q_penalty_in_publicity(as_of), merchant=merchant, tier=PenaltyTier.SERIOUS
    ).exists()


def merchant_has_commitment_in_force(*, merchant, as_of: date) -> bool:
    return Commitment.objects.filter(q_commitment_in_force(as_of), merchant=merchant).exists()


# --- public lists -------------------------------------------------------------------------

PUBLIC_ENTRY_FIELDS = (
    "id",
    "merchant_id",
    "merchant__name",
    "merchant__uscc",
    "merchant__region_id",
    "merchant__region__name",
    "list_name",
    "kind",
    "reason",
    "legal_basis",
    "decision_number",
    "decided_by",
    "valid_from",
    "valid_until",
)


def list_entries_public(
    *, list_name: str, as_of: date, region_code: str | None = None, kind: str | None = None
):
    """Entries in force for a public list page/API/export: only non-personal columns."""
    from ..regions import region_and_descendant_codes

    qs = ListEntry.objects.filter(q_entry_in_force(as_of), list_name=list_name)
    if region_code:
        qs = qs.filter(merchant__region_id__in=region_and_descendant_codes(region_code))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("merchant", "merchant__region").order_by("-valid_from", "-id")


def list_filter_errors(*, region: str | None, kind: str | None, kinds) -> dict[str, str]:
    """What is wrong with a public list's filters: an unknown region code, or a kind outside ``kinds``.

    One check for the list pages (which drop a bad filter and show the whole list) and the
    open-data API (which answers 400 with these messages)."""
    errors = {}
    if region and not Region.objects.filter(pk=region).exists():
        errors["region"] = str(_("未知的区划代码。"))
    if kind and kind not in kinds:
        errors["kind"] = str(_("类别无效，可选：%(kinds)s") % {"kinds": "、".join(kinds)})
    return errors


def five_star_merchants_public(*, region_code: str | None = None):
    """Merchants currently rated 5 stars (the red list shows them with commended ones)."""
    from ..regions import region_and_descendant_codes

    qs = Merchant.objects.filter(stars=5).exclude(status="deregistered")
    if region_code:
        qs = qs.filter(region_id__in=region_and_descendant_codes(region_code))
    return (
        qs.select_related("region").only("id", "name", "uscc", "region__name", "stars").order_by("name", "id")
    )


# --- one merchant's credit profile --------------------------------------------------------


def merchant_credit_profile(*, merchant: Merchant, as_of: date, viewer=None) -> dict:
    """Everything the public profile and the portal show about one merchant, in a fixed number of queries."""
    rating = (
        Rating.objects.filter(pk=merchant.current_rating_id).select_related("policy").first()
        if merchant.current_rating_id
        else None
    )
    commitments = list(Commitment.objects.filter(q_commitment_in_force(as_of), merchant=merchant))
    inspections = list(Inspection.objects.filter(merchant=merchant, published=True)[:5])
    penalties = list(Penalty.objects.filter(q_penalty_in_publicity(as_of), merchant=merchant))
    entries = list(ListEntry.objects.filter(q_entry_in_force(as_of), merchant=merchant))
    reply = RatingReply.objects.filter(merchant=merchant, status=ReplyStatus.PUBLISHED).first()
    from .ratings import rating_explanation

    black_entries = [e for e in entries if e.list_name == ListName.BLACK]
    deregistered = merchant.status == MerchantStatus.DEREGISTERED
    return {
        "merchant": merchant,
        "rating": rating,
        "breakdown": rating_breakdown(rating),
        "explanation": rating_explanation(
            rating,
            deregistered=deregistered,
            under_appeal=merchant.rating_under_appeal,
            black_listed=bool(black_entries),
        ),
        "deregistered": deregistered,
        "under_appeal": merchant.rating_under_appeal,
        "commitments": commitments,
        "inspections": inspections,
        "penalties": penalties,
        "red_entries": [e for e in entries if e.list_name == ListName.RED],
        "black_entries": black_entries,
        "reply": reply,
        "as_of": as_of,
    }


def merchant_open_appeal(*, merchant) -> RatingAppeal | None:
    return RatingAppeal.objects.filter(merchant=merchant, status=AppealStatus.OPEN).first()


def merchant_rating_history(*, merchant, limit: int = 20) -> QuerySet:
    return Rating.objects.filter(merchant=merchant).select_related("policy").order_by("-id")[:limit]


def merchant_by_plaque_token(token: str) -> Merchant | None:
    if not token or len(token) > 32:
        return None
    return Merchant.objects.filter(plaque_token=token).select_related("region", "current_rating").first()


def staff_scoped(qs: QuerySet, user, field: str = "merchant__region") -> QuerySet:
    return scope_to_user_region(qs, user, field=field)


def inspections_for_staff(user) -> QuerySet[Inspection]:
    """Inspections of merchants in the staff member's region (the staff API's list)."""
    return scope_to_user_region(Inspection.objects.select_related("merchant"), user, field="merchant__region")


# --- breakdown shown under a rating ----------------------------------------------------------

FACT_LABELS = {
    "inspections": _("近两年检查次数"),
    "trading_minor_recent": _("近一年检查一般问题（价格、计量、宣传、食品）"),
    "trading_serious_recent": _("近一年检查严重问题（价格、计量、宣传、食品）"),
    "trading_minor_older": _("一至两年前检查一般问题"),
    "trading_serious_older": _("一至两年前检查严重问题"),
    "premises_minor": _("经营场所一般问题"),
    "premises_serious": _("经营场所严重问题"),
    # The facts other apps provide are labelled by their providers (core.ratingfacts, e.g.
    # complaints.ratingfacts.FACT_LABELS), never here.
    "commitments_in_force": _("有效信用承诺"),
    "commitments_revoked": _("被撤销的信用承诺"),
    "penalties_minor": _("公示中的轻微处罚"),
    "penalties_moderate": _("公示中的一般处罚"),
    "penalties_serious": _("公示中的严重处罚"),
    "black_in_force": _("黑名单在列"),
    "red_in_force": _("红名单在列"),
    "commitment_breaches": _("检查发现违反信用承诺的次数"),  # the window is added from the policy
}
ELEMENT_FACTS = {
    "trading": (
        "inspections",
        "trading_minor_recent",
        "trading_serious_recent",
        "trading_minor_older",
        "trading_serious_older",
        "trading_recent",
        "trading_older",
    ),
    "service": (
        "complaints_closed",
        "complaints_mediated",
        "complaints_unanswered",
        "complaints_late",
        "complaints_settled_fast",
        "satisfaction_count",
        "premises_minor",
        "premises_serious",
    ),
    "credit": (
        "commitments_in_force",
        "commitments_revoked",
        "commitment_breaches",
        "penalties_minor",
        "penalties_moderate",
        "penalties_serious",
        "black_in_force",
        "commended_3y",
        "psa_noncompliant",
    ),
}
ELEMENT_LABELS = {"trading": _("诚信经营"), "service": _("服务质量"), "credit": _("信用管理")}


def _fact_label(name: str, rules: dict) -> str:
    """A fact's public label; a window the policy sets is stated with the policy's own figure."""
    if name == "commitment_breaches":
        months = (rules.get("windows") or {}).get("lookback_months", 24)
        return str(_("近 %(m)s 个月检查发现违反信用承诺的次数") % {"m": months})
    if name in FACT_LABELS:
        return str(FACT_LABELS[name])
    return provider_fact_label(name) or name


def rating_breakdown(rating: Rating | None) -> list[dict]:
    """Per element: demerits, the element maximum and the non-zero facts behind it (for pages and API)."""
    if rating is None:
        return []
    maxima = (rating.policy.rules if rating.policy_id else {}) or {}
    out = []
    for key in ("trading", "service", "credit"):
        facts = [
            {"name": name, "label": _fact_label(name, maxima), "value": rating.facts.get(name, 0)}
            for name in ELEMENT_FACTS[key]
            if rating.facts.get(name)
        ]
        if key == "service" and rating.facts.get("satisfaction_count"):
            avg = rating.facts.get("satisfaction_sum", 0) / rating.facts["satisfaction_count"]
            facts.append(
                {"name": "satisfaction_avg", "label": str(_("平均满意度（5分制）")), "value": round(avg, 1)}
            )
        if key == "credit" and not rating.facts.get("commitments_in_force"):
            facts.append({"name": "no_commitment", "label": str(_("未签署有效信用承诺")), "value": None})
        element_max = maxima.get(key, {}).get("max", 30)
        out.append(
            {
                "key": key,
                "label": str(ELEMENT_LABELS[key]),
                "demerits": getattr(rating, key),
                "max": element_max,
                "percent": min(100, round(100 * getattr(rating, key) / element_max)) if element_max else 0,
                "facts": facts,
            }
        )
    return out
