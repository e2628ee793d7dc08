"""Who may do what in the campaign: the role says what, the region says where."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from integrity_portal.core.errors import NotPermitted
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import is_unrestricted, staff_role, user_covers_region

CAMPAIGN_MANAGERS = {StaffRole.CITY_BUREAU, StaffRole.CIVILITY_OFFICE}


def _role_in(actor: User | None, roles) -> bool:
    return is_unrestricted(actor) or staff_role(actor) in {str(r) for r in roles}


def require_campaign_manager(actor: User | None, region_code: str | None) -> None:
    """City bureau and civility office staff run the campaign of their own city (or a superuser)."""
    if actor is None:
        return
    if not _role_in(actor, CAMPAIGN_MANAGERS) or not user_covers_region(actor, region_code):
        raise NotPermitted(_("只有本级市场监管局或文明办工作人员可以办理此事项。"))


def require_district_reviewer(actor: User | None, region_code: str | None) -> None:
    if not _role_in(actor, {StaffRole.DISTRICT_BRANCH}) or not user_covers_region(actor, region_code):
        raise NotPermitted(_("初审由申报主体所在区县的市场监管分局办理。"))


def require_city_reviewer(actor: User | None, region_code: str | None) -> None:
    if not _role_in(actor, CAMPAIGN_MANAGERS) or not user_covers_region(actor, region_code):
        raise NotPermitted(_("复审由市级市场监管局或文明办办理。"))


def require_region_staff(actor: User | None, region_code: str | None) -> None:
    """Any staff member whose region covers the object (district branch, city bureau, civility office)."""
    allowed = {StaffRole.CITY_BUREAU, StaffRole.CIVILITY_OFFICE, StaffRole.DISTRICT_BRANCH}
    if not _role_in(actor, allowed) or not user_covers_region(actor, region_code):
        raise NotPermitted(_("该事项不在您的辖区或职责范围内。"))
