"""Where campaign audit entries belong, for the staff audit log (core.staff_audit)."""

from __future__ import annotations

from integrity_portal.core.staff_audit import register_audit_scope

from .models import AdQuota, AdReport, Application, Campaign, CommendationList, Objection, ReminderLog


def register_audit_scopes() -> None:
    register_audit_scope(Campaign, region="region")
    register_audit_scope(CommendationList, region="campaign__region")
    register_audit_scope(AdQuota, region="region")
    for model in (Application, AdReport, ReminderLog):
        register_audit_scope(model, region="merchant__region", merchant="merchant")
    register_audit_scope(Objection, region="application__merchant__region", merchant="application__merchant")
