"""Every write to the register goes through these functions (HackSoft style: services write)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.roles import ROLE_GROUP_NAMES, StaffRole, sync_role_groups

from ..models import Region, StaffProfile


def staff_assign_role(*, user, region_code: str, role: str, actor, unit: str = "") -> StaffProfile:
    """Make ``user`` a staff member of ``region_code`` with ``role`` (and only that role's group)."""
    if role not in StaffRole.values:
        raise ValidationFailed(_("Unknown staff role: %(role)s") % {"role": role})
    try:
        region = Region.objects.get(pk=region_code)
    except Region.DoesNotExist:
        raise ValidationFailed(_("Unknown region code: %(code)s") % {"code": region_code}) from None
    with transaction.atomic():
        if not Group.objects.filter(name=ROLE_GROUP_NAMES[role]).exists():
            sync_role_groups()
        profile, _created = StaffProfile.objects.update_or_create(
            user=user, defaults={"region": region, "role": role, "unit": unit}
        )
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
        user.groups.remove(*role_groups)
        user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
        audit_log(actor=actor, action="staff.assign_role", target=profile, to_status=role, data={"region": region.code})
    return profile


def merchant_mark_rating_stale(*, merchant_ids, reason: str) -> int:
    """Flag merchants whose facts changed, inside the caller's transaction, and queue a recompute.

    The flag is the durable record: if the task message is lost (broker down, worker
    killed) the periodic sweep recomputes every merchant still flagged. Returns the
    number of merchants flagged.
    """
    from ..models import Merchant

    ids = sorted({int(i) for i in merchant_ids if i is not None})
    if not ids:
        return 0
    count = Merchant.objects.filter(pk__in=ids, rating_stale=False).update(rating_stale=True)
    transaction.on_commit(lambda: _queue_recompute(ids, reason))
    return count


def _queue_recompute(ids: list[int], reason: str) -> None:
    import logging

    from .. import tasks

    try:
        tasks.recompute_merchant_ratings.delay(ids)
    except Exception:  # broker down: the merchants stay flagged and the sweep picks them up
        logging.getLogger(__name__).warning("recompute not queued (%s); left to the sweep", reason, exc_info=True)
