"""``manage.py create_staff``: appoints staff through the service; bad input is a one-line error."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import ROLE_GROUP_NAMES, StaffRole

User = get_user_model()


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_creates_staff_with_generated_password_printed_once(regions):
    output = run("jf_clerk", "--region", "410802", "--role", "district_branch", "--email", "jf@example.cn")
    password = re.search(r"只显示这一次）：(\S+)", output).group(1)
    user = User.objects.get(username="jf_clerk")
    assert user.is_staff and not user.is_superuser and user.check_password(password)
    assert user.email == "jf@example.cn"
    assert user.staff_profile.region_id == "410802" and user.staff_profile.role == StaffRole.DISTRICT_BRANCH
    assert list(user.groups.values_list("name", flat=True)) == [ROLE_GROUP_NAMES[StaffRole.DISTRICT_BRANCH]]
    assert audit_entries_for(user.staff_profile).get().action == "staff.assign_role"


def test_existing_user_keeps_password_and_changes_role(regions):
    run("city_clerk", "--region", "410800", "--role", "inspector", "--password", "Sturdy-Pass-42")
    output = run("city_clerk", "--region", "410800", "--role", "city_bureau")
    assert "只显示这一次" not in output
    user = User.objects.get(username="city_clerk")
    assert user.check_password("Sturdy-Pass-42") and user.staff_profile.role == StaffRole.CITY_BUREAU


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--region", "999999", "--role", "district_branch"], "999999"),
        (["x2", "--region", "410802", "--role", "mayor"], "未知角色"),
        (["x3", "--region", "410802", "--role", "inspector", "--password", "123"], "密码不符合要求"),
        (
            ["x4", "--region", "410802", "--role", "inspector", "--email", "not-an-email"],
            "电子邮箱格式不正确",
        ),
        (["  ", "--region", "410802", "--role", "inspector"], "用户名不能为空"),
    ],
)
def test_bad_input_is_a_command_error_and_creates_nothing(regions, args, message):
    with pytest.raises(CommandError, match=message) as excinfo:
        run(*args)
    assert "\n" not in str(excinfo.value)
    assert not User.objects.exists()


def test_missing_required_option_fails(regions):
    with pytest.raises(CommandError):
        run("x5", "--region", "410802")
