"""Complainants' and reporters' personal data: anonymised after the retention period, exported or
erased on the person's request (registered with core.retention in ComplaintsConfig.ready).

What goes: name and phone (replaced by "已匿名化": a complaint must keep a non-empty name and phone,
constraint ``complaint_requires_identity``), address, ID number, e-mail, the satisfaction comment, the
notification language, and every attachment (file deleted from storage after commit, row deleted).
The tracking page stops working (no phone left to match). What stays for the statistics: kind,
category, amount, region, merchant, status, dates and outcome.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.retention import ANONYMISED, retention_cutoff
from integrity_portal.core.scoping import scope_to_user_region
from notifications.services import notices_anonymise_about

from ..audit_actions import PERSONAL_DATA_ANONYMISED_BY_KIND
from ..models import CLOSED_STATUSES, Attachment, Complaint
from .common import locked

logger = logging.getLogger("complaints.retention")

PERSONAL_FIELDS = {
    "complainant_name": ANONYMISED,
    "complainant_phone": ANONYMISED,
    "complainant_address": "",
    "complainant_id_number": "",
    "complainant_email": "",
    "satisfaction_comment": "",
    "language": "",
}


def _delete_files(names: list[str], storage) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone either way; an operator must remove the file by hand (name is random).
            logger.warning("attachment file %s could not be deleted after anonymisation", name)


def complaint_anonymise(*, complaint: Complaint, actor: User | None, reason: str = "", cause: str = "retention") -> bool:
    """Remove the personal data of one complaint, once. Returns False if it was already anonymised.
    The audit entry says why (retention or a request, with the staff's reason), never what was removed."""
    with transaction.atomic():
        c = locked(complaint)
        if c.anonymised_at is not None:
            return False
        attachments = list(Attachment.objects.filter(complaint=c))
        files = [a.file.name for a in attachments if a.file]
        storage = Attachment._meta.get_field("file").storage
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        for field, value in PERSONAL_FIELDS.items():
            # An anonymous report had no name or phone: it stays empty rather than gaining a marker.
            setattr(c, field, value if getattr(c, field) else "")
        c.anonymised_at = timezone.now()
        c.save(update_fields=[*PERSONAL_FIELDS, "anonymised_at", "updated_at"])
        # Its notices carry the phone, e-mail and text (with the tracking code): erased with it.
        notices_anonymise_about(about=c, actor=actor)
        audit_log(
            actor=actor,
            action=PERSONAL_DATA_ANONYMISED_BY_KIND[c.kind],
            target=c,
            note=reason,
            data={"cause": cause, "attachments_deleted": len(files)},
        )
        transaction.on_commit(lambda: _delete_files(files, storage))
    complaint.refresh_from_db()
    return True


def complaints_anonymise_expired(*, as_of, actor: User | None = None) -> int:
    """Every closed complaint/report closed longer than the retention period ago and not yet anonymised.
    Each one commits on its own, so an interrupted run continues tomorrow."""
    cutoff = retention_cutoff(as_of)
    ids = list(
        Complaint.objects.filter(
            status__in=CLOSED_STATUSES, closed_at__isnull=False, closed_at__lt=cutoff, anonymised_at__isnull=True
        ).values_list("pk", flat=True)
    )
    return sum(1 for pk in ids if complaint_anonymise(complaint=Complaint(pk=pk), actor=actor))


def complaints_of_person(*, phone: str, viewer):
    """The complaints and reports with exactly this phone, in the viewer's region (and below)."""
    qs = Complaint.objects.filter(complainant_phone=phone, anonymised_at__isnull=True).select_related("region")
    return scope_to_user_region(qs, viewer).order_by("received_at", "pk")


def complaint_export(complaint: Complaint) -> dict:
    return {
        "kind": complaint.kind,
        "tracking_code": complaint.tracking_code,
        "status": complaint.status,
        "received_at": complaint.received_at.isoformat() if complaint.received_at else None,
        "closed_at": complaint.closed_at.isoformat() if complaint.closed_at else None,
        "region": complaint.region_id,
        "name": complaint.complainant_name,
        "phone": complaint.complainant_phone,
        "address": complaint.complainant_address,
        "id_number": complaint.complainant_id_number,
        "email": complaint.complainant_email,
        "target": complaint.target_name or (str(complaint.merchant) if complaint.merchant_id else ""),
        "category": complaint.category,
        "description": complaint.description,
        "amount": str(complaint.amount) if complaint.amount is not None else None,
        "outcome_note": complaint.outcome_note,
        "attachments": [a.original_name for a in complaint.attachments.all()],
    }


def complaint_erase(*, item: Complaint, actor: User | None, reason: str) -> bool:
    return complaint_anonymise(complaint=item, actor=actor, reason=reason, cause="request")
