"""Where the register's audit entries belong, for the staff audit log (core.staff_audit): each audited
model's path to its Region and its merchant, and how a typed name or code finds merchants."""

from __future__ import annotations

from django.db.models import Q

from integrity_portal.core.staff_audit import register_audit_merchant_finder, register_audit_scope

from . import models as m

#: Audited models that belong to one merchant (and so to its region).
MERCHANT_FACTS = (
    m.ClaimCode,
    m.Commitment,
    m.CreditRepairRequest,
    m.Inspection,
    m.ListEntry,
    m.ListProposal,
    m.Membership,
    m.Penalty,
    m.RatingAppeal,
    m.RatingReply,
    m.Rating,
    m.ReinspectionRequest,
)


def find_merchants(text: str):
    """Merchants a clerk means by ``text``: the register number, the exact code, or part of the name."""
    text = text.strip()
    q = Q(name__icontains=text) | Q(uscc=text.upper())
    if text.isdigit() and len(text) <= 12:
        q |= Q(pk=int(text))
    return m.Merchant.objects.filter(q).order_by("pk").values_list("pk", flat=True)[:50]


def register_audit_scopes() -> None:
    register_audit_scope(m.Merchant, region="region", merchant="pk")
    for model in MERCHANT_FACTS:
        register_audit_scope(model, region="merchant__region", merchant="merchant")
    register_audit_scope(m.StaffProfile, region="region")
    register_audit_merchant_finder(find_merchants)
