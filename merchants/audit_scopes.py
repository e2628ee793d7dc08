"""Where the register's audit entries belong, for the staff audit log (core.staff_audit): each audited
model's path to its Region and its merchant, and how a typed name or code finds merchants."""

from __future__ import annotations

from integrity_portal.core.staff_audit import register_audit_merchant_finder, register_audit_scope

from . import models as m
from .selectors.search import merchant_search_filter

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
    """Merchants a clerk means by ``text``: the register's search (name, former name or address containing
    it, USCC or licence number starting with it; index-driven on PostgreSQL), or the register number."""
    text = text.strip()
    every = m.Merchant.objects.all()
    found = merchant_search_filter(every, text)
    if found is every:  # nothing searchable in the text (punctuation only): no merchant, not all of them
        found = every.none()
    if text.isascii() and text.isdigit() and len(text) <= 12:  # "²".isdigit() is True, int("²") fails
        found = found | m.Merchant.objects.filter(pk=int(text))
    return found.order_by().values_list("pk", flat=True)[:50]


def register_audit_scopes() -> None:
    register_audit_scope(m.Merchant, region="region", merchant="pk")
    for model in MERCHANT_FACTS:
        register_audit_scope(model, region="merchant__region", merchant="merchant")
    register_audit_scope(m.StaffProfile, region="region")
    register_audit_merchant_finder(find_merchants)
