"""factory-boy factories shared by every app's tests. Needs the ``regions`` fixture loaded."""

from __future__ import annotations

import itertools

import factory
from django.contrib.auth import get_user_model

from integrity_portal.core.roles import StaffRole
from merchants.models import (
    Industry,
    Membership,
    MembershipRole,
    Merchant,
    MerchantKind,
    Region,
)
from merchants.validators import build_uscc

PASSWORD = "Correct-Horse-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_staff(region_code: str = "410800", role: str = StaffRole.CITY_BUREAU, **user_kwargs):
    """A staff user with a profile in ``region_code`` and the group of ``role``."""
    from merchants.services import staff_assign_role

    user = UserFactory(**user_kwargs)
    staff_assign_role(user=user, region_code=region_code, role=role, actor=None)
    user.refresh_from_db()
    return user


_cert_seq = itertools.count(1)


def make_inspector(region_code: str = "410800", full_name: str | None = None, certificate_number: str | None = None):
    """An inspector on the roster of ``region_code``: inspector role, a name and a certificate number."""
    from merchants.services import staff_assign_role

    n = next(_cert_seq)
    user = UserFactory()
    staff_assign_role(
        user=user,
        region_code=region_code,
        role=StaffRole.INSPECTOR,
        actor=None,
        full_name=full_name or f"检查员{n}",
        certificate_number=certificate_number if certificate_number is not None else f"T{region_code}{n:05d}",
    )
    user.refresh_from_db()
    return user


def _uscc(n: int, region_code: str) -> str:
    return build_uscc(authority="9", entity_type="2", division=region_code, org_body8=f"{n:08d}")


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    kind = MerchantKind.MERCHANT
    name = factory.Sequence(lambda n: f"测试商户{n}号")
    region = factory.LazyFunction(lambda: Region.objects.get(code="410802"))
    uscc = factory.LazyAttributeSequence(lambda o, n: _uscc(n + 1, o.region.code))
    legal_representative = "张三"
    address = factory.Sequence(lambda n: f"民主路{n}号")
    industry = Industry.GENERAL_RETAIL


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = MembershipRole.OWNER
