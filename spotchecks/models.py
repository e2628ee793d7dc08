"""双随机、一公开: random inspection plans, their verifiable draw, and the tasks it produces.

* ``InspectorConflict`` — a declared conflict of interest between a rostered inspector and a merchant;
  the draw never pairs them.
* ``SpotCheckPlan`` — who plans (issuing region), the scope, the sampling share per credit class, the
  published seed commitment and (after the draw) the seed; status draft → approved → drawn →
  in_progress → completed → published (``workflow.PLAN_WORKFLOW``).
* ``SpotCheckFreeze`` — the frozen lists of one approved plan and its secrets (seed until revealed,
  the salt key of the merchant tokens); bulky, so kept off the plan row. Written once, at approval.
* ``SpotCheckTask`` — one drawn merchant: its two inspectors, the due date, the inspection that
  answered it; status open → done | merchant_closed | escalated (→ done | merchant_closed).

The inspector roster itself is ``merchants.selectors.staff.inspector_roster`` (StaffProfile with the
inspector role, a certificate number and ``roster_active``), shared with the inspection form.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk
from merchants.models import INSPECTION_ITEMS, CreditClass, Industry, MerchantKind, Region

#: The band each class's share must lie in (percent, inclusive), and the default share (seed 004 §13:
#: raise or lower the share by the credit evaluation). Unrated merchants are sampled as class B.
SHARE_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    CreditClass.A: (Decimal("0"), Decimal("5")),
    CreditClass.B: (Decimal("5"), Decimal("20")),
    CreditClass.C: (Decimal("21"), Decimal("60")),
    CreditClass.D: (Decimal("61"), Decimal("100")),
}
DEFAULT_SHARES: dict[str, Decimal] = {
    CreditClass.A: Decimal("3"),
    CreditClass.B: Decimal("10"),
    CreditClass.C: Decimal("30"),
    CreditClass.D: Decimal("70"),
}
UNRATED_SAMPLED_AS = CreditClass.B
#: Working days after completion within which the results are published (DESIGN.md §4).
PUBLISH_WITHIN_WORKING_DAYS = 20

SHARE_FIELDS = {c: f"share_{c.lower()}" for c in SHARE_BANDS}
#: The fields that make up a plan's scope and sampling: editable only while it is a draft.
SCOPE_FIELDS = (
    "region",
    "districts",
    "merchant_kinds",
    "industries",
    "items",
    *SHARE_FIELDS.values(),
    "min_count",
    "max_count",
    "exclude_inspected_months",
)


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已批准（待抽取）")
    DRAWN = "drawn", _("已抽取")
    IN_PROGRESS = "in_progress", _("检查中")
    COMPLETED = "completed", _("已完成")
    PUBLISHED = "published", _("已公示")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待检查")
    DONE = "done", _("已检查")
    MERCHANT_CLOSED = "merchant_closed", _("主体已停业／注销")
    ESCALATED = "escalated", _("超期督办")


#: Task statuses that need nothing more (the plan completes when every task is in one).
TASK_FINISHED = (TaskStatus.DONE, TaskStatus.MERCHANT_CLOSED)


class InspectorConflict(models.Model):
    """A declared conflict of interest (利害关系回避): this inspector never inspects this merchant in a draw."""

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人员"),
        on_delete=models.CASCADE,
        related_name="spot_check_conflicts",
        limit_choices_to={"staff_profile__role": "inspector"},
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="inspector_conflicts"
    )
    reason = models.CharField(_("回避事由"), max_length=200)
    declared_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    declared_by = actor_fk(_("登记人"))
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("检查人员回避申报")
        verbose_name_plural = _("检查人员回避申报")
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "merchant"],
                condition=Q(withdrawn_at__isnull=True),
                name="spotcheck_conflict_once_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspector} ↔ {self.merchant}"


class SpotCheckPlan(models.Model):
    """One random inspection plan (双随机抽查计划) of a region."""

    region = models.ForeignKey(
        Region, verbose_name=_("制定单位辖区"), on_delete=models.PROTECT, related_name="spot_check_plans"
    )
    title = models.CharField(_("计划名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    period = models.CharField(_("期次"), max_length=40, blank=True, help_text=_("如：上半年、第三季度。"))
    # Scope. No district means every district of the issuing region.
    districts = models.ManyToManyField(
        Region, verbose_name=_("抽查区县"), blank=True, related_name="spot_check_plans_in_scope"
    )
    merchant_kinds = models.JSONField(
        _("主体类型"), default=list, blank=True, help_text=_("为空表示全部类型。")
    )
    industries = models.JSONField(_("行业"), default=list, blank=True, help_text=_("为空表示全部行业。"))
    items = models.JSONField(_("检查事项"), default=list, help_text=_("明码标价、计量、虚假宣传、食品安全、经营场所中的若干项。"))
    share_a = models.DecimalField(_("A 类抽查比例（%）"), max_digits=5, decimal_places=2, default=DEFAULT_SHARES["A"])
    share_b = models.DecimalField(
        _("B 类抽查比例（%）"), max_digits=5, decimal_places=2, default=DEFAULT_SHARES["B"],
        help_text=_("未评级的市场主体按 B 类抽查。"),
    )
    share_c = models.DecimalField(_("C 类抽查比例（%）"), max_digits=5, decimal_places=2, default=DEFAULT_SHARES["C"])
    share_d = models.DecimalField(_("D 类抽查比例（%）"), max_digits=5, decimal_places=2, default=DEFAULT_SHARES["D"])
    min_count = models.PositiveIntegerField(_("最少抽取户数"), default=0)
    max_count = models.PositiveIntegerField(_("最多抽取户数"), null=True, blank=True, help_text=_("为空表示不设上限。"))
    exclude_inspected_months = models.PositiveSmallIntegerField(
        _("排除近几个月已检查的主体"), default=0, validators=[MaxValueValidator(60)], help_text=_("0 表示不排除。")
    )
    due_on = models.DateField(_("检查完成期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT, db_index=True
    )
    # Published at approval (before the draw): SHA-256 of the secret seed and of the frozen lists.
    seed_commitment = models.CharField(_("随机种子承诺值（SHA-256）"), max_length=64, blank=True, editable=False)
    frozen_digest = models.CharField(_("名单摘要（SHA-256）"), max_length=64, blank=True, editable=False)
    # Revealed by the draw.
    seed = models.CharField(_("随机种子"), max_length=64, blank=True, editable=False)
    drawn_count = models.PositiveIntegerField(_("抽取户数"), default=0, editable=False)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True, editable=False)
    approved_by = actor_fk(_("批准人"))
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True, editable=False)
    drawn_by = actor_fk(_("抽取人"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    publish_due_on = models.DateField(_("公示期限"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True, editable=False)
    created_by = actor_fk(_("制定人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("双随机抽查计划")
        verbose_name_plural = _("双随机抽查计划")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_a__gte=0, share_a__lte=5)
                & Q(share_b__gte=5, share_b__lte=20)
                & Q(share_c__gte=21, share_c__lte=60)
                & Q(share_d__gte=61, share_d__lte=100),
                name="spotcheckplan_shares_in_band",
            ),
            models.CheckConstraint(
                condition=Q(max_count__isnull=True) | Q(max_count__gte=models.F("min_count")),
                name="spotcheckplan_min_le_max",
            ),
        ]
        permissions = [
            ("approve_spotcheckplan", _("可以批准抽查计划")),
            ("draw_spotcheckplan", _("可以执行抽查计划的抽取")),
        ]

    def __str__(self) -> str:
        return self.title

    def shares(self) -> dict[str, Decimal]:
        return {c: getattr(self, field) for c, field in SHARE_FIELDS.items()}

    @property
    def item_labels(self) -> list[str]:
        chosen = set(self.items or [])
        return [str(label) for name, label in INSPECTION_ITEMS if name in chosen]

    @property
    def kind_labels(self) -> list[str]:
        return [str(MerchantKind(k).label) for k in self.merchant_kinds or [] if k in MerchantKind.values]

    @property
    def industry_labels(self) -> list[str]:
        return [str(Industry(k).label) for k in self.industries or [] if k in Industry.values]


class SpotCheckFreeze(models.Model):
    """What an approved plan froze: the lists the draw runs on, and the secrets until they are revealed."""

    plan = models.OneToOneField(SpotCheckPlan, verbose_name=_("抽查计划"), on_delete=models.CASCADE, related_name="freeze")
    frozen = models.JSONField(_("冻结名单"), editable=False)
    # Secret until the draw (copied to ``SpotCheckPlan.seed`` then); never shown before.
    secret_seed = models.CharField(_("随机种子（保密）"), max_length=64, editable=False)
    # Key of the per-merchant salts: salt = HMAC-SHA256(salt_key, merchant id)[:32]; never published
    # (each drawn merchant's salt is, as its opening).
    salt_key = models.CharField(_("主体令牌密钥"), max_length=64, editable=False)
    # token → merchant id of every frozen merchant (private: it would reveal each merchant's class).
    merchant_index = models.JSONField(_("令牌与主体对照"), default=dict, editable=False)
    created_at = models.DateTimeField(_("冻结时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抽查名单冻结记录")
        verbose_name_plural = _("抽查名单冻结记录")

    def __str__(self) -> str:
        return str(self.plan)


class SpotCheckTask(models.Model):
    """One drawn merchant: visited by its two drawn inspectors before the due date."""

    # No single-column index on plan: the unique (plan, merchant) constraint leads with it. A draw inserts
    # ~18,000 rows at once for a 140,000-merchant city, so each index here is paid 18,000 times.
    plan = models.ForeignKey(
        SpotCheckPlan, verbose_name=_("抽查计划"), on_delete=models.PROTECT, related_name="tasks", db_index=False
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", verbose_name=_("市场主体"), on_delete=models.PROTECT, related_name="spot_check_tasks"
    )
    # The merchant's region at the freeze (the district whose roster supplied the inspectors): the scope field.
    # region and the inspectors come from the frozen lists (checked when frozen); like Merchant.current_rating
    # they carry no database-level constraint, which would cost a check per drawn row at the draw's commit
    # (~18,000 rows for a city). The ORM's PROTECT still refuses to delete a referenced region or inspector.
    region = models.ForeignKey(
        Region, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # Internal: the stratum the merchant was drawn in. Never on a public page, the API or open data.
    credit_class = models.CharField(_("抽取时信用风险分类"), max_length=1, choices=CreditClass.choices, editable=False)
    draw_rank = models.PositiveIntegerField(_("抽取顺序"), editable=False)
    token = models.CharField(_("名单令牌"), max_length=20, editable=False)
    salt = models.CharField(_("令牌盐值"), max_length=32, editable=False)
    inspector_1 = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人员一"),
        on_delete=models.PROTECT,
        related_name="spot_check_tasks_first",
        db_constraint=False,
    )
    inspector_2 = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人员二"),
        on_delete=models.PROTECT,
        related_name="spot_check_tasks_second",
        db_constraint=False,
    )
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    inspection = models.OneToOneField(
        "merchants.Inspection",
        verbose_name=_("检查记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spot_check_task",
        editable=False,
    )
    closed_note = models.CharField(_("停业／注销说明"), max_length=200, blank=True, editable=False)
    escalated_to = models.ForeignKey(
        Region,
        verbose_name=_("督办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("双随机抽查任务")
        verbose_name_plural = _("双随机抽查任务")
        ordering = ["due_on", "plan_id", "draw_rank"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "merchant"], name="spotchecktask_once_per_plan"),
            models.UniqueConstraint(fields=["plan", "draw_rank"], name="spotchecktask_rank_unique"),
            models.CheckConstraint(
                condition=~Q(inspector_1=models.F("inspector_2")), name="spotchecktask_two_inspectors"
            ),
        ]
        # "My tasks" uses the inspector FKs' own indexes; the overdue sweep this one.
        indexes = [models.Index(fields=["status", "due_on"], name="spotchecktask_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.merchant}"
