"""A person's request to see or erase their data (core.retention, PIPL): the SMS number a member or staff
user saved on the notice preferences page (``NoticeProfile.phone``) and the SMS notices sent to it.

Found by the exact number, like every app's data. Region scope: a profile belongs to the regions its
user's notices were about (``Notice.region_code``): staff see the profiles of users told about their
region; a profile never used for a notice is visible to system administrators only.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.scoping import visible_region_codes

from .audit_actions import AuditAction
from .models import Notice, NoticeChannel, NoticeProfile, NoticeStatus
from .workflow import NOTICE_WORKFLOW


def _sms_notices(profile: NoticeProfile, phone: str):
    return Notice.objects.filter(
        recipient_id=profile.user_id, channel=NoticeChannel.SMS, address=phone, anonymised_at__isnull=True
    )


def profiles_of_person(*, phone: str, viewer: User):
    """The notice profiles holding exactly ``phone`` within the viewer's region."""
    profiles = NoticeProfile.objects.filter(phone=phone).select_related("user").order_by("pk")
    codes = visible_region_codes(viewer)
    if codes is None:
        return profiles
    users = Notice.objects.filter(recipient__isnull=False, region_code__in=codes).values("recipient_id")
    return profiles.filter(user_id__in=users)


def profile_export(profile: NoticeProfile) -> dict:
    return {
        "user": profile.user.get_username(),
        "phone": profile.phone,
        "language": profile.language,
        "updated_at": profile.updated_at.isoformat(),
        "sms_notices": [
            {
                "key": key,
                "status": status,
                "created_at": created.isoformat(),
                "sent_at": sent and sent.isoformat(),
            }
            for key, status, created, sent in _sms_notices(profile, profile.phone)
            .order_by("created_at")
            .values_list("key", "status", "created_at", "sent_at")
        ],
    }


def profile_erase(*, item: NoticeProfile, actor: User | None, reason: str) -> bool:
    """Clear the number and anonymise the SMS notices sent to it (one still queued becomes undeliverable
    first, so nothing is sent to a blank address). False if the number was cleared already."""
    with transaction.atomic():
        profile = NoticeProfile.objects.select_for_update().filter(pk=item.pk).first()
        if profile is None or not profile.phone:
            return False
        notices = _sms_notices(profile, profile.phone)
        NOTICE_WORKFLOW.check(NoticeStatus.QUEUED, NoticeStatus.UNDELIVERABLE)
        notices.filter(status=NoticeStatus.QUEUED).update(
            status=NoticeStatus.UNDELIVERABLE, next_attempt_at=None
        )
        anonymised = notices.update(
            address="", subject="", body="", sms_params={}, anonymised_at=timezone.now()
        )
        profile.phone = ""
        profile.save(update_fields=["phone", "updated_at"])
        audit_log(
            actor=actor,
            action=AuditAction.NOTICE_PROFILE_ERASED,
            target=profile,
            note=reason,
            data={"sms_notices": anonymised},
        )
    return True
