"""One seeded "world" per test module: two districts of 焦作市, one merchant owner in each, staff of
every role, and at least one object of every region-scoped admin model per district.

Objects the demo seeders do not produce are filled in generically (required fields get a plain
value, foreign keys point into the same district), so a model added tomorrow is covered without
editing this file. The world is built once per module inside an outer transaction that is rolled
back afterwards; every test still runs in its own savepoint (``db`` fixture).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import region_and_descendants

DISTRICT_A = "410802"  # 解放区
DISTRICT_B = "410803"  # 中站区
CITY = "410800"  # 焦作市


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


# A small valid PNG, used wherever a model needs a file.
PNG_1PX = _png_bytes()


@dataclass
class World:
    users: dict[str, object]
    merchant_a: object
    merchant_b: object
    # model label -> {district code -> object}
    objects: dict[str, dict[str, object]] = field(default_factory=dict)
    # model label -> reason the world could not build one (a coverage gap the matrix reports)
    unbuilt: dict[str, str] = field(default_factory=dict)

    def obj(self, label: str, district: str):
        return self.objects.get(label, {}).get(district)


# Child rows without an admin of their own: where their district comes from.
CHILD_PATHS = {
    "complaints.Attachment": "complaint__region",
    "merchants.RepairEvidence": "request__merchant__region",
    "campaigns.AdPlacement": "report__merchant__region",
}


def region_path_of(model) -> str | None:
    """The admin's ``region_field`` for ``model``, or the model's own ``region_scope_field``."""
    if model._meta.label in CHILD_PATHS:
        return CHILD_PATHS[model._meta.label]
    model_admin = admin.site._registry.get(model)
    path = getattr(model_admin, "region_field", None) or getattr(model, "region_scope_field", None)
    if path is None and any(f.name == "region" for f in model._meta.fields):
        path = "region"
    if path is None and any(f.name == "merchant" for f in model._meta.fields):
        path = "merchant__region"
    return path


def in_district(model, district: str):
    path = region_path_of(model)
    if path is None:
        return model.objects.none()
    lookup = "pk__in" if path == "pk" else f"{path}__in"
    return model._default_manager.filter(**{lookup: region_and_descendants(district)})


class _Builder:
    """Fill a model's required fields with plain values and same-district foreign keys."""

    def __init__(self, world: World, staff_by_district: dict[str, object]):
        self.world = world
        self.staff = staff_by_district
        self.other_staff: dict[str, object] = {}
        self.counter = 0

    def merchant_for(self, district: str):
        return self.world.merchant_a if district == DISTRICT_A else self.world.merchant_b

    def get_or_build(self, model, district: str):
        from merchants.models import Merchant, Region

        if model is Merchant:
            return self.merchant_for(district)
        if model is Region:
            return Region.objects.get(pk=district)
        path = region_path_of(model)
        if path is None:
            # Not region-scoped (e.g. the yearly ad quota): any existing row will do.
            return model._default_manager.order_by("pk").first() or self.build(model, district)
        qs = in_district(model, district)
        if path and path.endswith("merchant__region"):
            own = qs.filter(**{path[: -len("__region")]: self.merchant_for(district)})
            if path == "merchant__region" or own.exists():
                qs = own
        if "merchant" in {f.name for f in model._meta.fields} and path == "region":
            own = qs.filter(merchant=self.merchant_for(district))
            qs = own if own.exists() else qs
        found = qs.order_by("-pk").first()
        if found is not None:
            return found
        return self.build(model, district)

    def second_user(self, district: str):
        """Another staff member of ``district`` (an inspector): for a row that names two different people,
        e.g. a spot-check task's two inspectors (constraint spotchecktask_two_inspectors)."""
        from tests.factories import make_inspector

        if district not in self.other_staff:
            self.other_staff[district] = make_inspector(district)
        return self.other_staff[district]

    def value_for(self, f, district: str, *, users_so_far: int = 0):
        from django.contrib.auth import get_user_model

        if f.is_relation:
            target = f.related_model
            if target is get_user_model():
                return self.staff[district] if users_so_far == 0 else self.second_user(district)
            if target._meta.app_label in ("merchants", "complaints", "campaigns"):
                return self.get_or_build(target, district)
            return target._default_manager.first()
        if f.choices:
            return f.choices[0][0]
        self.counter += 1
        n = self.counter
        if isinstance(f, models.FileField):
            return ContentFile(PNG_1PX, name=f"evidence{n}.png")
        if isinstance(f, models.DateTimeField):
            return timezone.now()
        if isinstance(f, models.DateField):
            return timezone.localdate() - dt.timedelta(days=1)
        if isinstance(f, models.DecimalField):
            return Decimal("1")
        if isinstance(f, (models.IntegerField, models.FloatField)):
            if _in_unique_constraint(f):
                # e.g. a spot-check task's draw rank, unique within its plan: 1 is taken whenever the demo's
                # draw already ranked a task in the plan the builder picks (which draw it is varies by run)
                top = f.model._default_manager.aggregate(top=models.Max(f.name))["top"] or 0
                return top + 1
            return 1
        if isinstance(f, models.BooleanField):
            return False
        if isinstance(f, models.JSONField):
            return {}
        if isinstance(f, (models.CharField, models.TextField)):
            text = f"安全测试{n}"
            return text[: f.max_length] if f.max_length else text
        return None

    def build(self, model, district: str):
        from django.contrib.auth import get_user_model

        kwargs = {}
        users = 0
        for f in model._meta.concrete_fields:
            if f.primary_key or f.auto_created:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            required = not f.null and not f.has_default() and not (f.blank and not f.is_relation)
            if f.is_relation and f.name in (
                "merchant",
                "region",
                "campaign",
                "complaint",
                "application",
                "request",
                "list_entry",
            ):
                required = True
            if not required:
                continue
            kwargs[f.name] = self.value_for(f, district, users_so_far=users)
            users += f.is_relation and f.related_model is get_user_model()
        # A model scoped by a plain code column (the outbox's ``region_code``) belongs to the district only
        # if that column says so; left blank, the row is in no region and its district's staff cannot see it.
        path = region_path_of(model)
        if path and path != "pk" and "__" not in path and not model._meta.get_field(path).is_relation:
            kwargs[path] = district
        try:
            with transaction.atomic():
                return model._default_manager.create(**kwargs)
        except (IntegrityError, ValueError, TypeError) as exc:
            self.world.unbuilt[model._meta.label] = f"{type(exc).__name__}: {exc}"
            return None


def _in_unique_constraint(f) -> bool:
    """Whether ``f`` is part of a unique constraint (or ``unique_together``) of its model."""
    meta = f.model._meta
    together = [set(names) for names in meta.unique_together]
    together += [set(c.fields) for c in meta.constraints if isinstance(c, models.UniqueConstraint) and c.fields]
    return f.unique or any(f.name in names for names in together)


def _ensure_visible_complaint(merchant):
    """Merchant-visible complaint (not a report) for ``merchant`` so the portal has something to deny."""
    from complaints.models import MERCHANT_VISIBLE_STATUSES, Complaint, ComplaintKind

    qs = Complaint.objects.filter(merchant=merchant, kind=ComplaintKind.COMPLAINT)
    visible = qs.filter(status__in=MERCHANT_VISIBLE_STATUSES).first()
    if visible:
        return visible
    other = (
        Complaint.objects.filter(kind=ComplaintKind.COMPLAINT, status__in=MERCHANT_VISIBLE_STATUSES)
        .exclude(merchant=merchant)
        .first()
    )
    Complaint.objects.filter(pk=other.pk).update(merchant=merchant, region=merchant.region)
    other.refresh_from_db()
    return other


def _ensure_report_in_visible_status(merchant) -> None:
    """A report (举报) about ``merchant`` in a status merchants see for complaints: it must stay hidden."""
    from complaints.models import MERCHANT_VISIBLE_STATUSES, Complaint, ComplaintKind

    report = Complaint.objects.filter(kind=ComplaintKind.REPORT).order_by("pk").first()
    Complaint.objects.filter(pk=report.pk).update(
        merchant=merchant, region=merchant.region, status=MERCHANT_VISIBLE_STATUSES[0]
    )


def build_world() -> World:
    from merchants.models import Membership, MembershipRole, Merchant, MerchantKind
    from tests.factories import UserFactory, make_staff

    call_command("loaddata", "regions", verbosity=0)
    from merchants import regions as region_tree

    region_tree.clear_cache()
    call_command("seed_demo", merchants=300, seed=7, verbosity=0)

    def pick(district):
        from complaints.models import Complaint

        base = Merchant.objects.filter(region_id=district).exclude(kind=MerchantKind.MARKET)
        with_complaint = base.filter(pk__in=Complaint.objects.values("merchant_id")).order_by("pk").first()
        return with_complaint or base.order_by("pk").first()

    merchant_a, merchant_b = pick(DISTRICT_A), pick(DISTRICT_B)
    users = {
        "anonymous": None,
        "owner_a": UserFactory(username="sec_owner_a"),
        "owner_b": UserFactory(username="sec_owner_b"),
        "staff_x": make_staff(DISTRICT_A, StaffRole.DISTRICT_BRANCH, username="sec_staff_x"),
        "staff_y": make_staff(DISTRICT_B, StaffRole.DISTRICT_BRANCH, username="sec_staff_y"),
        "city": make_staff(CITY, StaffRole.CITY_BUREAU, username="sec_city"),
        "civility": make_staff(CITY, StaffRole.CIVILITY_OFFICE, username="sec_civility"),
    }
    Membership.objects.create(user=users["owner_a"], merchant=merchant_a, role=MembershipRole.OWNER)
    Membership.objects.create(user=users["owner_b"], merchant=merchant_b, role=MembershipRole.OWNER)
    world = World(users=users, merchant_a=merchant_a, merchant_b=merchant_b)
    _ensure_visible_complaint(merchant_a)
    _ensure_visible_complaint(merchant_b)
    _ensure_report_in_visible_status(merchant_a)

    builder = _Builder(world, {DISTRICT_A: users["staff_x"], DISTRICT_B: users["staff_y"]})
    for model in admin.site._registry:
        if region_path_of(model) is None:
            continue
        for district in (DISTRICT_A, DISTRICT_B):
            obj = builder.get_or_build(model, district)
            if obj is not None:
                world.objects.setdefault(model._meta.label, {})[district] = obj
    # Rows that hang off scoped objects without an admin of their own (attachments, evidence, placements).
    from campaigns.models import AdPlacement
    from complaints.models import Attachment
    from merchants.models import RepairEvidence

    for model in (Attachment, RepairEvidence, AdPlacement):
        for district in (DISTRICT_A, DISTRICT_B):
            obj = builder.get_or_build(model, district)
            if obj is not None:
                world.objects.setdefault(model._meta.label, {})[district] = obj
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    old_media = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("security-media")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            settings.MEDIA_ROOT = old_media
