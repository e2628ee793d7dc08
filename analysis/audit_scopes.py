"""Where analysis audit entries belong, for the staff audit log (core.staff_audit)."""

from __future__ import annotations

from integrity_portal.core.staff_audit import register_audit_scope

from .models import ActionItem, MonthlyReport, QuarterlyMeeting


def register_audit_scopes() -> None:
    register_audit_scope(MonthlyReport, region="region")
    register_audit_scope(QuarterlyMeeting, region="region")
    register_audit_scope(ActionItem, region="owner_region")
