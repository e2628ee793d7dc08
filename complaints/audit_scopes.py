"""Where complaint audit entries belong, for the staff audit log (core.staff_audit)."""

from __future__ import annotations

from integrity_portal.core.staff_audit import register_audit_scope

from .models import Complaint, Escalation, MerchantReply


def register_audit_scopes() -> None:
    register_audit_scope(Complaint, region="region", merchant="merchant")
    register_audit_scope(MerchantReply, region="complaint__region", merchant="complaint__merchant")
    register_audit_scope(Escalation, region="complaint__region", merchant="complaint__merchant")
