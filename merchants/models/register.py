"""The register: territories, market entities, who may act for them, and staff profiles.

Further merchant facts (commitments, inspections, penalties, list entries,
ratings…) live in sibling modules of this package's models when they grow.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from integrity_portal.core.fields import actor_fk
from integrity_portal.core.roles import StaffRole

from ..validators import validate_uscc


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")


class Region(models.Model):
    """A territory by its GB/T 2260 code; the code is the key so URLs and filters read naturally."""

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("级别"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="region_code_6_digits")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        return self.compose_full_name(self.name, self.level, self.parent.name if self.parent_id else None)

    @staticmethod
    def compose_full_name(name: str, level: str, parent_name: str | None) -> str:
        """A district is shown with its city's name before its own (``焦作市山阳区``); from read columns too."""
        return f"{parent_name}{name}" if parent_name and level == RegionLevel.DISTRICT else name


class MerchantKind(models.TextChoices):
    MARKET = "market", _("市场")
    ENTERPRISE = "enterprise", _("企业")
    MERCHANT = "merchant", _("商户")


class Industry(models.TextChoices):
    CATERING = "catering", _("餐饮")
    FOOD_RETAIL = "food_retail", _("食品零售")
    GENERAL_RETAIL = "general_retail", _("百货零售")
    HOTEL = "hotel", _("住宿")
    TOURISM = "tourism", _("旅游")
    TRANSPORT = "transport", _("交通运输")
    SERVICES = "services", _("居民服务")
    MARKET_OPERATION = "market_operation", _("市场开办")
    MANUFACTURING = "manufacturing", _("制造")
    OTHER = "other", _("其他")


class MerchantStatus(models.TextChoices):
    OPERATING = "operating", _("存续")
    SUSPENDED = "suspended", _("停业")
    DEREGISTERED = "deregistered", _("注销")


class CreditClass(models.TextChoices):
    A = "A", _("A 低风险")
    B = "B", _("B 一般风险")
    C = "C", _("C 较高风险")
    D = "D", _("D 高风险")


def new_plaque_token() -> str:
    """A random, unguessable token for the plaque's verification URL (never derived from the id)."""
    return secrets.token_urlsafe(16)


class Merchant(models.Model):
    """A market entity (市场主体): a market operator, an enterprise or a shop/stall."""

    kind = models.CharField(_("主体类型"), max_length=12, choices=MerchantKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    former_names = models.TextField(
        _("曾用名"), blank=True, default="", help_text=_("每行一个；改名时原名称自动记入。")
    )
    uscc = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_uscc],
    )
    licence_number = models.CharField(
        _("注册号"),
        max_length=40,
        null=True,
        blank=True,
        unique=True,
        help_text=_("用于没有统一社会信用代码的个体摊位。"),
    )
    legal_representative = models.CharField(_("法定代表人/经营者"), max_length=60)
    address = models.CharField(_("地址"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="merchants", db_index=False
    )
    parent_market = models.ForeignKey(
        "self",
        verbose_name=_("所在市场"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stalls",
        limit_choices_to={"kind": MerchantKind.MARKET},
    )
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices)
    is_large_venue = models.BooleanField(_("大型场所（须刊播公益广告）"), default=False)
    is_time_honored = models.BooleanField(_("老字号"), default=False)
    status = models.CharField(
        _("经营状态"), max_length=14, choices=MerchantStatus.choices, default=MerchantStatus.OPERATING
    )
    registered_on = models.DateField(_("成立日期"), null=True, blank=True)
    stars = models.SmallIntegerField(_("诚信星级"), null=True, blank=True, help_text=_("为空表示尚未评级。"))
    credit_class = models.CharField(_("信用风险分类"), max_length=1, choices=CreditClass.choices, blank=True)
    rating_stale = models.BooleanField(_("待重新评级"), default=False)
    odr_enrolled = models.BooleanField(_("已加入在线消费纠纷解决（ODR）"), default=False)
    rating_under_appeal = models.BooleanField(_("评级申诉中"), default=False)
    current_rating = models.ForeignKey(
        "merchants.Rating",
        verbose_name=_("当前评定"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        # A pointer to the newest derived row, written only by the recompute; the rating it names is deleted
        # only with this merchant. Neither an index nor a database-level constraint: each would turn the
        # recompute's in-place update into a slower one (an index entry, a check per row at commit).
        db_index=False,
        db_constraint=False,
    )
    # The current rating's digest, beside the pointer: the recompute compares it for every merchant in
    # scope, and reading it here spares a join with the whole rating history (which only grows).
    rating_digest = models.BigIntegerField(_("当前评定摘要"), null=True, blank=True, editable=False)
    plaque_token = models.CharField(
        _("牌匾验证码"), max_length=32, unique=True, default=new_plaque_token, editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Derived from name, former names and address by ``Merchant.save`` and bulk seeding (merchants.search,
    # docs/SEARCH.md): what the directory and API search read through their indexes.
    search_name = models.CharField(_("检索名称"), max_length=120, blank=True, default="", editable=False)
    search_text = models.TextField(_("检索文本"), blank=True, default="", editable=False)

    history = HistoricalRecords(
        excluded_fields=["rating_stale", "rating_digest", "updated_at", "search_name", "search_text"]
    )

    class Meta:
        verbose_name = _("市场主体")
        verbose_name_plural = _("市场主体")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__isnull=False) | Q(licence_number__isnull=False),
                name="merchant_has_uscc_or_licence",
            ),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=0, stars__lte=5), name="merchant_stars_0_5"
            ),
        ]
        # Few, deliberate indexes, and none on the columns a recompute writes (stars, credit_class,
        # current_rating, rating_digest): PostgreSQL can then rewrite a rated row in place (a HOT update, with the
        # fillfactor set in migration 0003) without touching any index. Region-scoped filters use the
        # region-led index; city-wide star filters match a fifth of the table, where an index does not help.
        indexes = [
            models.Index(fields=["region", "kind", "industry"], name="merchant_region_kind_idx"),
            models.Index(fields=["name", "id"], name="merchant_name_idx"),
            models.Index(fields=["kind"], name="merchant_kind_idx"),
            models.Index(
                fields=["region"], condition=Q(is_large_venue=True), name="merchant_large_venue_idx"
            ),
            models.Index(fields=["id"], condition=Q(rating_stale=True), name="merchant_stale_idx"),
            # Search (docs/SEARCH.md): exact and prefix name matches (``LIKE 'x%'`` needs the pattern operator
            # class under a non-C collation; USCC and licence prefixes use the ``*_like`` indexes Django creates
            # beside their unique constraints). The GIN index over the grams of ``search_text`` is
            # PostgreSQL-only SQL: ``merchants.search.install_search_index``.
            models.Index(fields=["search_name"], opclasses=["varchar_pattern_ops"], name="merchant_search_name_idx"),
            # The dashboard's star distribution (docs/DASHBOARD.md "Performance"): one index-only scan of a city's
            # entities per (region, stars), with created_at for "existed at the month end" (5.5 MB instead of the
            # 58 MB table on the 140k demo). The one exception to "nothing a recompute writes": PostgreSQL compares
            # the indexed values, so a recompute that leaves the stars as they were stays a HOT update; only a
            # real change of stars (rare against the nightly recomputes) touches the indexes.
            models.Index(fields=["region", "stars"], include=["created_at"], name="merchant_region_stars_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        """Keep the search columns in step with their sources, also for ``update_fields`` saves
        (``core.services.model_update``): whenever a source is written, so are they."""
        from ..search import SEARCH_FIELDS, SEARCH_SOURCE_FIELDS, merchant_fill_search

        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            merchant_fill_search(self)
        elif SEARCH_SOURCE_FIELDS.intersection(update_fields):
            merchant_fill_search(self)
            kwargs["update_fields"] = [*update_fields, *(f for f in SEARCH_FIELDS if f not in update_fields)]
        super().save(*args, **kwargs)

    @property
    def registration_number(self) -> str:
        return self.uscc or self.licence_number or ""


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("负责人")
    CLERK = "clerk", _("经办人")


class Membership(models.Model):
    """A portal user's right to act for a merchant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("角色"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.OWNER
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    approved_by = actor_fk(_("审核人"))

    class Meta:
        verbose_name = _("经营者账号关联")
        verbose_name_plural = _("经营者账号关联")
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_unique_user_merchant")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.merchant} ({self.get_role_display()})"


class ClaimCode(models.Model):
    """A one-time code staff issue so the real owner can claim a merchant in the portal.

    Only a keyed hash is stored; the plain code is shown once to the issuing clerk.
    """

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="claim_codes"
    )
    code_hash = models.CharField(_("认领码摘要"), max_length=64, unique=True)
    issued_by = actor_fk(_("发放人"), blank=False)
    issued_at = models.DateTimeField(_("发放时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    used_by = actor_fk(_("使用人"))

    class Meta:
        verbose_name = _("认领码")
        verbose_name_plural = _("认领码")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.merchant} {self.issued_at:%Y-%m-%d}"


class StaffProfile(models.Model):
    """Where a staff member works (their region) and what they do there (their role)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    region = models.ForeignKey(Region, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    unit = models.CharField(
        _("单位"), max_length=100, blank=True, help_text=_("如：解放区市场监管局、焦北监管所")
    )
    full_name = models.CharField(
        _("姓名"), max_length=40, blank=True, help_text=_("检查记录和人员名册中显示的真实姓名。")
    )
    certificate_number = models.CharField(
        _("执法证号"),
        max_length=30,
        blank=True,
        help_text=_("行政执法证件号码；检查员须有执法证号才列入检查人员名册。"),
    )
    roster_active = models.BooleanField(
        _("在册（可被抽取）"),
        default=True,
        help_text=_("取消勾选后，该检查员暂不列入检查人员名册（如休假、借调），不参与双随机抽取。"),
    )

    class Meta:
        verbose_name = _("工作人员信息")
        verbose_name_plural = _("工作人员信息")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~Q(certificate_number=""),
                name="staffprofile_unique_certificate",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.region} · {self.get_role_display()}"

    @property
    def roster_label(self) -> str:
        """How an inspector appears in drop-downs and on records: name and certificate number."""
        return f"{self.full_name or self.user.get_username()}（{_('执法证号')} {self.certificate_number}）"
