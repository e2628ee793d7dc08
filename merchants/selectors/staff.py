"""Reads of bureau staff: the inspector roster (检查人员名册).

One definition, used by the admin's drop-downs, the API's validation and the
``inspection_record`` service, so a name a form offers is a name the service accepts.
"""

from __future__ import annotations

from django.db.models import QuerySet

from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import region_and_descendants, visible_region_codes

from ..models import StaffProfile
from ..regions import region_and_ancestor_codes


def inspector_roster(*, region: str | None, within: bool = False) -> QuerySet[StaffProfile]:
    """Inspectors who may inspect in ``region`` (a GB/T 2260 code): staff with the inspector role,
    an active staff account, on the roster (``roster_active``), a law-enforcement certificate number
    and no merchant membership,
    posted in ``region`` or a region above it (a city's inspectors work in all its districts).

    ``within=True`` also admits inspectors posted below ``region`` — the choices offered to a
    city-level officer before the merchant is known; the service still checks the merchant's region.
    ``region=None`` means every region (system administrators).
    """
    qs = (
        StaffProfile.objects.filter(
            role=StaffRole.INSPECTOR, roster_active=True, user__is_active=True, user__is_staff=True
        )
        .exclude(certificate_number="")
        .exclude(user__memberships__isnull=False)
        .select_related("user", "region")
        .order_by("region_id", "full_name", "id")
    )
    if region is None:
        return qs
    codes = set(region_and_ancestor_codes(region))
    if within:
        codes |= set(region_and_descendants(region))
    return qs.filter(region_id__in=codes)


def inspector_roster_for_viewer(user) -> QuerySet[StaffProfile]:
    """The roster a staff member may pick from: inspectors of their region, above it and below it."""
    codes = visible_region_codes(user)
    if codes is None:
        return inspector_roster(region=None)
    profile_region = getattr(getattr(user, "staff_profile", None), "region_id", None)
    if not codes or profile_region is None:
        return StaffProfile.objects.none()
    return inspector_roster(region=profile_region, within=True)
