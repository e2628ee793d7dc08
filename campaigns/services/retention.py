"""Objectors' personal data (name, phone): anonymised after the retention period following the
decision, exported or erased on request (registered with core.retention in CampaignsConfig.ready).
The objection, its content and its outcome stay: they are part of the commendation's record."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.retention import ANONYMISED, retention_cutoff
from integrity_portal.core.scoping import scope_to_user_region

from ..audit_actions import AuditAction
from ..models import Objection, ObjectionStatus


def objection_anonymise(*, objection: Objection, actor: User | None, reason: str = "", cause: str = "retention") -> bool:
    """Replace the objector's name and phone, once; False if already done. Audited without them."""
    with transaction.atomic():
        o = Objection.objects.select_for_update().get(pk=objection.pk)
        if o.anonymised_at is not None:
            return False
        o.objector_name = o.objector_phone = ANONYMISED
        o.anonymised_at = timezone.now()
        o.save(update_fields=["objector_name", "objector_phone", "anonymised_at"])
        audit_log(
            actor=actor, action=AuditAction.OBJECTION_PERSONAL_DATA_ANONYMISED, target=o, note=reason, data={"cause": cause}
        )
    objection.refresh_from_db()
    return True


def objections_anonymise_expired(*, as_of, actor: User | None = None) -> int:
    """Decided objections whose decision is older than the retention period; each commits alone."""
    ids = list(
        Objection.objects.exclude(status=ObjectionStatus.OPEN)
        .filter(resolved_at__isnull=False, resolved_at__lt=retention_cutoff(as_of), anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    return sum(1 for pk in ids if objection_anonymise(objection=Objection(pk=pk), actor=actor))


def objections_of_person(*, phone: str, viewer):
    qs = Objection.objects.filter(objector_phone=phone, anonymised_at__isnull=True)
    return scope_to_user_region(qs, viewer, field=Objection.region_scope_field).order_by("created_at", "pk")


def objection_export(objection: Objection) -> dict:
    return {
        "reference": objection.reference,
        "name": objection.objector_name,
        "phone": objection.objector_phone,
        "content": objection.content,
        "status": objection.status,
        "created_at": objection.created_at.isoformat(),
        "resolved_at": objection.resolved_at.isoformat() if objection.resolved_at else None,
    }


def objection_erase(*, item: Objection, actor: User | None, reason: str) -> bool:
    return objection_anonymise(objection=item, actor=actor, reason=reason, cause="request")
