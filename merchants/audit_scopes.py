"""Where the register's audit entries belong, for the staff audit log (core.staff_audit): each audited
model's path to its Region and its merchant, and how a typed name or code finds merchants."""

from __future__ import annotations

from django.db.models import Q

from integrity_portal.core.staff_audit import register_audit_merchant_finder, register_audit_scope

from .models import (
    ClaimCode,
    Commitment,
    CreditRepairRequest,
    Inspection,
    ListEntry,
    ListProposal,
    Membership,
    Merchant,
    Penalty,
    RatingAppeal,
    RatingReply,
    ReinspectionRequest,
    StaffProfile,
)
from .models import Rating as RatingRow

MERCHANT_FACTS = (
    ClaimCode,
    Commitment,
    CreditRepairRequest,
    Inspection,
    ListEntry,
    ListProposal,
    Membership,
    Penalty,
    RatingAppeal,
    RatingReply,
    RatingRow,
    ReinspectionRequest,
)


def find_merchants(text: str):
    """Merchants a clerk means by ``text``: the register number, the exact code, or part of the name."""
    text = text.strip()
    q = Q(name__icontains=text) | Q(uscc=text.upper())
    if text.isdigit() and len(text) <= 12:
        q |= Q(pk=int(text))
    return Merchant.objects.filter(q).order_by("pk").values_list("pk", flat=True)[:50]


def register_audit_scopes() -> None:
    register_audit_scope(Merchant, region="region", merchant="pk")
    for model in MERCHANT_FACTS:
        register_audit_scope(model, region="merchant__region", merchant="merchant")
    register_audit_scope(StaffProfile, region="region")
    register_audit_merchant_finder(find_merchants)
