from django.contrib.auth.models import Group

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import StaffRole
from tests.factories import MerchantFactory, make_staff


def test_staff_profile_gets_role_group_and_audit(regions):
    user = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    assert user.is_staff
    assert user.staff_profile.region_id == "410802"
    assert list(user.groups.values_list("name", flat=True)) == ["分局（区县）"]
    assert Group.objects.get(name="分局（区县）").permissions.filter(codename="change_merchant").exists()
    entry = audit_entries_for(user.staff_profile).get()
    assert entry.action == "staff.assign_role" and entry.to_status == StaffRole.DISTRICT_BRANCH


def test_merchant_factory_makes_valid_uscc(regions):
    m = MerchantFactory()
    m.full_clean()
    assert m.uscc[2:8] == "410802"
