"""``manage.py create_staff USERNAME --region CODE --role ROLE``: appoint a bureau staff member.

Never prompts (it runs from deployment scripts): without ``--password`` a random
password is generated and printed once.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.crypto import get_random_string

from integrity_portal.core.errors import DomainError
from integrity_portal.core.roles import StaffRole
from merchants.models import StaffProfile
from merchants.services import staff_assign_role

GENERATED_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class Command(BaseCommand):
    help = "创建（或更新）一名市场监管工作人员账号，并指定辖区和角色。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--region", required=True, help="GB/T 2260 区划代码，例如 410802")
        parser.add_argument("--role", required=True, help="角色：" + ", ".join(StaffRole.values))
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None, help="不提供时自动生成并只显示一次")
        parser.add_argument("--unit", default="", help="单位名称，例如 解放区市场监管局")
        parser.add_argument("--name", default=None, help="真实姓名（检查人员名册中显示）")
        parser.add_argument(
            "--certificate", default=None, help="执法证号；检查员（inspector）须有执法证号才列入检查人员名册"
        )

    def handle(self, *args, username, region, role, email, password, unit, name, certificate, **options):
        username = username.strip()
        if not username:
            raise CommandError("用户名不能为空。")
        if role not in StaffRole.values:
            raise CommandError(f"未知角色“{role}”，可选：{', '.join(StaffRole.values)}")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"电子邮箱格式不正确：{email}") from None
        User = get_user_model()
        generated = password is None
        if generated:
            password = get_random_string(16, GENERATED_CHARS)
        try:
            with transaction.atomic():
                user, created = User.objects.get_or_create(username=username, defaults={"email": email})
                if not created and email and user.email != email:
                    user.email = email
                    user.save(update_fields=["email"])
                if created or not generated:
                    try:
                        password_validation.validate_password(password, user)
                    except ValidationError as exc:
                        raise CommandError("密码不符合要求：" + " ".join(exc.messages)) from None
                    user.set_password(password)
                    user.save(update_fields=["password"])
                staff_assign_role(
                    user=user,
                    region_code=region,
                    role=role,
                    actor=None,
                    unit=unit,
                    full_name=name,
                    certificate_number=certificate,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        verb = "已创建" if created else "已更新"
        self.stdout.write(f"{verb}工作人员 {username}（辖区 {region}，角色 {role}）。")
        if role == StaffRole.INSPECTOR and StaffProfile.objects.filter(user=user, certificate_number="").exists():
            self.stdout.write("提示：未登记执法证号，该检查员暂不列入检查人员名册（用 --certificate 补登）。")
        if generated and created:
            self.stdout.write(f"初始密码（只显示这一次）：{password}")
